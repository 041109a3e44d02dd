"""County trading-centre exports (县级公共资源交易中心): legacy CSV and xlsx files → tender records.

Source name "county-center". County centres export 中标结果, 投标人名单, 招标项目, 标段 and 开标记录
tables as CSV (GBK/GB18030, or UTF-8 with or without BOM) or xlsx, with Chinese headers spelled
differently from centre to centre. Files arrive over HTTP or through the drop folder of a one-way
gateway (adapters.dropfolder); either way the adapter sees bytes and a file name.

Construction. The adapter is data-driven: it takes the mapping document
(config/mappings/county-center.json, described in adapters.county_center_mapping) as a dict, so
this module reads no file and imports no configuration. There is therefore no module-level
`ADAPTER`: the gateway builds the adapter once, at start-up, and registers it under `name`::

    from adapters.county_center import CountyCenterAdapter
    from adapters.county_center_mapping import load_mapping

    adapter = CountyCenterAdapter(load_mapping(mapping_path), id_key=pseudonym_key, regions=region_table)

`id_key` is the federation's pseudonymisation key: 项目经理身份证号 leaves the adapter only as
"hmac-sha256:<hex>". `regions` (optional) turns well-formed region codes missing from the GB/T 2260
table into warnings on the record.

split. The export kind and the file's county are recognised as adapters.county_center_recognition
describes. Whole-file failures (encoding, empty file, unusable header, unreadable workbook) raise
SourceFormatError; a row that cannot be read (ragged, mojibake; broken quoting, from there on)
becomes a RejectedItem and the other rows go on. Each RawItem has ref "<file>:line N" (xlsx:
"<file>:row N"), dataset "county:<kind>", the row's own bytes, and row = {"fields": {FIELD: text},
"context": {file, line, region_code?, units, suffixes}}: the context carries what the file says
about all its rows (the county, the money unit written in a header), so `normalize` needs nothing
but the item.

normalize. One record per row, or one per section for rows listing several sections. A row's region
is its REGION_CODE cell, else its file's county: with neither the row is refused
(`county.region_unknown`), and so is a cell outside the file's county (`county.region_outside`).
Every payload is validated against its schema before it is returned.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from adapters.base import NormalizedRecord, RawItem, RejectedItem, invalid, reason
from adapters.county_center_builder import compact
from adapters.county_center_cells import TEXT_LIMIT, RowReader, pointer
from adapters.county_center_files import read_upload, span
from adapters.county_center_mapping import CountyMapping, ExportKind, parse_mapping
from adapters.county_center_recognition import county_of, header_context, recognize
from adapters.county_center_records import BUILDERS, KNOWN_FIELDS
from adapters.errors import SourceFormatError
from schemas.errors import RecordInvalidError
from schemas.regions import RegionTable, is_region_code, is_within
from schemas.registry import jurisdiction_of, validate_payload

DATASET_PREFIX = "county:"
MIN_KEY_BYTES = 16


class CountyCenterAdapter:
    name = "county-center"
    version = "1"

    def __init__(
        self, mapping: Mapping[str, Any], *, id_key: bytes, regions: RegionTable | None = None
    ) -> None:
        if not isinstance(id_key, bytes) or len(id_key) < MIN_KEY_BYTES:
            raise ValueError(f"id_key is the pseudonymisation key: at least {MIN_KEY_BYTES} bytes")
        self.mapping: CountyMapping = parse_mapping(mapping, KNOWN_FIELDS)
        self._id_key, self._regions = id_key, regions

    def split(
        self, data: bytes, *, filename: str = "", content_type: str = ""
    ) -> Iterator[RawItem | RejectedItem]:
        upload = read_upload(
            data, filename=filename, content_type=content_type, max_title_rows=self.mapping.max_title_rows
        )
        kind, columns = recognize(upload, self.mapping)
        context: dict[str, Any] = {"file": upload.name, **header_context(upload, kind, columns)}
        county = county_of(upload, self.mapping)
        if county is not None:
            context["region_code"] = county.region_code
        header, rows = upload.table.header, upload.table.rows()
        resume = upload.table.header_line + 1  # the first line not yet given to an item
        while True:
            try:
                row = next(rows, None)
            except SourceFormatError as exc:  # broken quoting, a damaged sheet: nothing after it is usable
                yield RejectedItem(upload.ref(resume), upload.tail_bytes(resume), tuple(exc.details))
                return
            if row is None:
                return
            resume = row.line + (span(row) if upload.is_csv else 1)
            ref, raw = upload.ref(row.line), upload.row_bytes(row)
            if row.values is None:
                problem = row.error.as_detail() if row.error else reason("csv.malformed", "unreadable row")
                yield RejectedItem(ref, raw, (problem,))
                continue
            fields = {field: row.values[header[index]] for index, field in columns.items()}
            row_context = {**context, "line": row.line}
            yield RawItem(ref, DATASET_PREFIX + kind.key, {"fields": fields, "context": row_context}, raw)

    def normalize(self, item: RawItem) -> list[NormalizedRecord]:
        kind = self._kind_of(item)
        fields, context = _item_parts(item, kind)
        reader = RowReader(fields, context, kind, self.mapping, id_key=self._id_key, regions=self._regions)
        payloads = BUILDERS[kind.record_type].payloads(reader)
        extensions = {
            name: value for name in kind.extensions if (value := reader.text(name, limit=TEXT_LIMIT))
        }
        common = compact(
            {
                "data_timestamp": _version(reader),
                "platform_code": reader.code("PLATFORM_CODE"),
                "region_code": _region(reader),
                "extensions": extensions or None,
            }
        )
        reader.finish()
        records = []
        for payload in payloads:
            full = {**payload, **common}
            try:
                validate_payload(kind.record_type, full)
            except RecordInvalidError as exc:
                raise invalid(f"{kind.record_type} payload is invalid", *exc.details) from exc
            jurisdiction = jurisdiction_of(kind.record_type, full)
            if jurisdiction is None:  # unreachable while every county record type carries region_code
                raise invalid(
                    "no jurisdiction", reason("county.region_unknown", "no region code", "/region_code")
                )
            records.append(
                NormalizedRecord(kind.record_type, jurisdiction, full, item.ref, tuple(reader.warnings))
            )
        return records

    def _kind_of(self, item: RawItem) -> ExportKind:
        dataset = item.dataset if isinstance(item.dataset, str) else ""
        kind = (
            self.mapping.kinds.get(dataset.removeprefix(DATASET_PREFIX))
            if dataset.startswith(DATASET_PREFIX)
            else None
        )
        if kind is None:
            raise invalid(
                "not a county export row", reason("county.unknown_export", "unknown dataset", "/dataset")
            )
        return kind


def _item_parts(item: RawItem, kind: ExportKind) -> tuple[dict[str, str], dict[str, Any]]:
    """The row's fields and context, checked: an item may come from elsewhere (a quarantine replay)."""
    row = item.row if isinstance(item.row, Mapping) else {}
    fields, context = row.get("fields"), row.get("context", {})
    problems = []
    if not isinstance(fields, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in fields.items()
    ):
        problems.append(reason("county.bad_item", "fields must map field names to text", "/fields"))
        fields = {}
    elif unknown := sorted(set(fields) - set(kind.columns.values())):
        problems.append(
            reason(
                "county.unknown_field",
                f"{len(unknown)} field(s) not in this export kind",
                pointer(unknown[0]),
            )
        )
    clean: dict[str, Any] = {}
    if not isinstance(context, Mapping):
        problems.append(reason("county.bad_item", "context must be an object", "/context"))
        context = {}
    for key in ("units", "suffixes"):
        value = context.get(key, {})
        if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
            clean[key] = dict(value)
        else:
            problems.append(
                reason("county.bad_item", f"context {key} must map fields to text", f"/context/{key}")
            )
    region = context.get("region_code")
    if region is not None and not is_region_code(region):
        problems.append(
            reason("county.bad_item", "context region_code is not a GB/T 2260 code", "/context/region_code")
        )
    elif region is not None:
        clean["region_code"] = region
    if problems:
        raise invalid("malformed county item", *problems)
    return dict(fields), clean


def _version(reader: RowReader) -> str | None:
    """The record version: the first version field of the kind with a value in this row."""
    for field in reader.kind.versions:
        if reader.fields.get(field, "").strip():
            return reader.time(field)
    reader.fail(
        reader.kind.versions[0], "tender.missing_field", "no version: " + ", ".join(reader.kind.versions)
    )
    return None


def _region(reader: RowReader) -> str | None:
    default = reader.context.get("region_code")
    if reader.fields.get("REGION_CODE", "").strip():
        own = reader.region("REGION_CODE")
        if own is not None and default is not None and not is_within(own, default):
            reader.fail(
                "REGION_CODE", "county.region_outside", f"outside the county of this file ({default})"
            )
            return None
        return own
    if default is None:
        reader.fail(
            "REGION_CODE", "county.region_unknown", "no region code cell and no county known for the file"
        )
        return None
    return reader.region("REGION_CODE", value=default)
