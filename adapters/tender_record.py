"""Turning the values a `RowReader` collected into checked standard records.

Every record of the tender-platform source gets its version (`data_timestamp`) from the row's
DATA_TIMESTAMP, else from the VERSIONNUMBER of the `receiveInfo` call that carried it, and its
jurisdiction from its own region code fields (never guessed). A record is returned only when the
reader collected no error and the payload passes its JSON Schema; otherwise the item is refused
with every problem found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.base import NormalizedRecord, RawItem, invalid, reason
from adapters.normalize import to_rfc3339
from adapters.tender_reader import MISSING, RowReader
from schemas.errors import AdapterError, RecordInvalidError
from schemas.regions import RegionTable
from schemas.registry import jurisdiction_of, validate_payload

# Keys that `split` adds to a row; field names of the source never start with "@".
CALL_KEY = "@call"  # the receiveInfo parameters: SERIALNUMBER, VERSIONNUMBER, PLATID
ROWS_KEY = "@rows"  # the rows grouped into one item (the candidates of one section)
SECTION_KEY = "@section"  # the section a group of rows was gathered for


@dataclass(frozen=True)
class Options:
    regions: RegionTable | None = None
    id_key: bytes | None = field(default=None, repr=False)

    def reader(self, row: Mapping[str, Any], pointer: str = "") -> RowReader:
        return RowReader(row, pointer=pointer, regions=self.regions, id_key=self.id_key)


def call_of(item: RawItem) -> Mapping[str, str]:
    call = item.row.get(CALL_KEY)
    return call if isinstance(call, Mapping) else {}


def header(reader: RowReader, item: RawItem) -> dict[str, Any]:
    """`data_timestamp` and `platform_code`, the fields every record starts with."""
    fields: dict[str, Any] = {}
    stamp = reader.time("DATA_TIMESTAMP")
    if stamp is None and not _failed(reader, "DATA_TIMESTAMP"):
        stamp = version_number(reader, item)
    if stamp is not None:
        fields["data_timestamp"] = stamp
    platform = reader.code("PLATFORM_CODE")
    if platform is not None:
        fields["platform_code"] = platform
    return fields


def version_number(reader: RowReader, item: RawItem) -> str | None:
    """The call's VERSIONNUMBER (yyyyMMddHHmmss, China time), or a missing DATA_TIMESTAMP."""
    version = call_of(item).get("VERSIONNUMBER")
    if isinstance(version, str):
        try:
            return to_rfc3339(version, pointer=f"/{CALL_KEY}/VERSIONNUMBER")
        except AdapterError as exc:
            reader.errors.extend(exc.details)
            return None
    reader.missing("DATA_TIMESTAMP")
    return None


def _failed(reader: RowReader, name: str) -> bool:
    pointer = reader.pointer(name)
    return any(error["pointer"] == pointer for error in reader.errors)


def finish(
    record_type: str,
    payloads: Sequence[dict[str, Any]],
    readers: Sequence[RowReader],
    item: RawItem,
    *,
    extensions: Mapping[str, Any] | None = None,
) -> list[NormalizedRecord]:
    """Checked records, or AdapterError naming every problem the readers and the schema found."""
    if extensions is None:
        extensions = readers[0].leftovers() if len(readers) == 1 else {}
    errors = [error for reader in readers for error in reader.errors]
    warnings = tuple(_unique([warning for reader in readers for warning in reader.warnings]))
    records: list[NormalizedRecord] = []
    for payload in payloads:
        if extensions:
            payload["extensions"] = dict(extensions)
        jurisdiction = jurisdiction_of(record_type, payload)
        if jurisdiction is None:
            pointer = readers[0].pointer("REGION_CODE")
            if not any(error["pointer"] == pointer for error in errors):
                errors.append(
                    reason("tender.no_jurisdiction", "no REGION_CODE says where this belongs", pointer)
                )
            continue
        if not errors:
            try:
                validate_payload(record_type, payload)
            except RecordInvalidError as exc:
                errors.extend(exc.details)
                continue
        records.append(NormalizedRecord(record_type, jurisdiction, payload, item.ref, warnings))
    if errors:
        raise invalid(f"{item.dataset} item {item.ref} refused: {len(errors)} problem(s)", *_unique(errors))
    return records


def _unique(details: list[dict[str, str]]) -> list[dict[str, str]]:
    # A field read for two records (REGION_CODE of project and tender project) reports once.
    seen: set[tuple[str, str]] = set()
    kept = []
    for detail in details:
        key = (detail.get("pointer", ""), detail.get("code", ""))
        if key not in seen:
            seen.add(key)
            kept.append(detail)
    return kept


def require(reader: RowReader, name: str, value: object) -> None:
    """Report `name` missing unless it has a value or a problem of its own was already reported."""
    if value is None and not _failed(reader, name):
        reader.errors.append(reason(MISSING, f"{name} is required", reader.pointer(name)))
