"""The provincial tender-platform source (`tender-platform`): GCJS datasets as XML, SOAP or JSON.

`split` looks at the content, never at the file name or media type:

- JSON (the first non-blank byte is `{`): the JSON variant of `adapters.xml_source`;
- a SOAP 1.1 envelope (the first element is `Envelope`): one `receiveInfo` call (`adapters.soap`),
  whose items take the call's SERIALNUMBER as their ref and its VERSIONNUMBER as the version of
  rows without DATA_TIMESTAMP. Their raw bytes are the call written again without its appKey, so
  that a sender's secret never reaches quarantine or the record store;
- any other XML: one dataset object, a dataset of RECORD/ROW rows, or a `<DATASETS>` batch, in
  any encoding the document declares (GBK files say so in their XML declaration).

A document is read whole before any item is handed out: hostile, truncated or wrongly encoded
input, and unknown dataset codes (`xml.unknown_dataset`, `json.unknown_dataset`), refuse the whole
upload with `SourceFormatError`. Each row is one item, except GCJS_WIN_CANDIDATE: its rows are
gathered per tender project and section, so that one `tender.candidate` record holds the whole
ranking of a section.

| dataset | record type(s) | module |
| --- | --- | --- |
| GCJS_TENDER_PROJECT | `tender.project` (+ `project` when PROJECT_NAME is given) | tender_mapping |
| GCJS_SECTION | `tender.section` | tender_mapping |
| GCJS_TENDER_NOTICE | `tender.notice` | tender_mapping |
| GCJS_OPENING_RECORD | `tender.opening`, one per section | tender_mapping |
| GCJS_TENDER_LIST | `tender.bid`, one per bidder | tender_bid_mapping |
| GCJS_WIN_CANDIDATE | `tender.candidate`, one per section | tender_candidates |
| GCJS_RESULT_NOTICE | `tender.award` | tender_bid_mapping |
| GCJS_CONTRACT_PERFORMANCE | `contract` | tender_mapping |
| GCJS_EXCEPTION_REPORT, WEB_UNICODE_RECORD | refused: `tender.unsupported_dataset` | |
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from adapters.base import NormalizedRecord, RawItem, RejectedItem, invalid, reason
from adapters.soap import ReceiveInfoCall, build_receive_info_request, parse_receive_info
from adapters.tender_bid_mapping import map_award, map_bid
from adapters.tender_candidates import map_candidates
from adapters.tender_mapping import map_contract, map_notice, map_opening, map_section, map_tender_project
from adapters.tender_reader import RowReader
from adapters.tender_record import CALL_KEY, ROWS_KEY, SECTION_KEY, Options
from adapters.xml_source import DEFAULT_MAX_BYTES, iter_datasets, parse_json_dataset
from schemas.regions import RegionTable

NAME = "tender-platform"
VERSION = "1"
CANDIDATE_DATASET = "GCJS_WIN_CANDIDATE"
MIN_KEY_BYTES = 16

Mapper = Callable[[RawItem, Options], list[NormalizedRecord]]
MAPPERS: Mapping[str, Mapper] = {
    "GCJS_TENDER_PROJECT": map_tender_project,
    "GCJS_SECTION": map_section,
    "GCJS_TENDER_NOTICE": map_notice,
    "GCJS_OPENING_RECORD": map_opening,
    "GCJS_TENDER_LIST": map_bid,
    CANDIDATE_DATASET: map_candidates,
    "GCJS_RESULT_NOTICE": map_award,
    "GCJS_CONTRACT_PERFORMANCE": map_contract,
}
# Datasets that are read but have no standard record type: each item is refused with its reason,
# so that it lands in quarantine rather than vanishing.
UNSUPPORTED: Mapping[str, str] = {
    "GCJS_EXCEPTION_REPORT": "招标异常 reports have no standard record type in schema version 1",
    "WEB_UNICODE_RECORD": "统一交易标识码 requests are answered upstream, not recorded",
}
_FIRST_ELEMENT = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_SNIFF_BYTES = 4096


class TenderPlatformAdapter:
    """`id_key` is the federation's pseudonymisation key: personal ID numbers leave only as
    "hmac-sha256:<hex>" (without a key they are left out, with a warning). `regions` turns
    well-formed region codes missing from the dated GB/T 2260 table into warnings. A node builds
    its own: `TenderPlatformAdapter(id_key=key, regions=RegionTable.load(...))`; `ADAPTER` has
    neither, so that nothing personal can leave it under a key known to everyone."""

    name = NAME
    version = VERSION

    def __init__(
        self,
        *,
        id_key: bytes | None = None,
        regions: RegionTable | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if id_key is not None and (not isinstance(id_key, bytes) or len(id_key) < MIN_KEY_BYTES):
            raise ValueError(f"id_key is the pseudonymisation key: at least {MIN_KEY_BYTES} bytes")
        self._options = Options(regions=regions, id_key=id_key)
        self._max_bytes = max_bytes

    def split(
        self, data: bytes, *, filename: str = "", content_type: str = ""
    ) -> Iterator[RawItem | RejectedItem]:
        source = filename or "upload"
        kind = sniff(data)
        if kind == "json":
            code, records = parse_json_dataset(data, max_bytes=self._max_bytes)
            yield from _items([(code, record) for record in records], data, source)
        elif kind == "soap":
            call = parse_receive_info(data, max_bytes=self._max_bytes)
            params = {
                "SERIALNUMBER": call.serial_number,
                "VERSIONNUMBER": call.version_number.strftime("%Y%m%d%H%M%S"),
                "PLATID": call.plat_id,
            }
            pairs = [(call.dataset_code, row) for row in call.rows]
            yield from _items(pairs, _without_app_key(call), call.serial_number, call=params, bare_ref=True)
        else:
            # Read to the end first: a document that breaks off is refused whole, not in part.
            pairs = list(iter_datasets(io.BytesIO(data), max_bytes=self._max_bytes))
            yield from _items(pairs, data, source)

    def normalize(self, item: RawItem) -> list[NormalizedRecord]:
        mapper = MAPPERS.get(item.dataset)
        if mapper is None:
            why = UNSUPPORTED.get(item.dataset)
            if why is not None:
                raise invalid(
                    f"{item.dataset} is not ingested", reason("tender.unsupported_dataset", why, "")
                )
            raise invalid(
                "unknown dataset", reason("xml.unknown_dataset", "not a tender-platform dataset", "")
            )
        if not isinstance(item.row, Mapping) or not all(isinstance(key, str) for key in item.row):
            raise invalid(
                "item is not a record", reason("tender.bad_shape", "a row maps field names to values", "")
            )
        return mapper(item, self._options)


def sniff(data: bytes) -> str:
    """`json`, `soap` or `xml`, from the first bytes."""
    head = data[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head[:1] == b"{":
        return "json"
    first = _FIRST_ELEMENT.search(head)
    return "soap" if first is not None and first.group(1) == b"Envelope" else "xml"


def _without_app_key(call: ReceiveInfoCall) -> bytes:
    return build_receive_info_request(
        app_id=call.app_id,
        app_key="",
        serial_number=call.serial_number,
        dataset_code=call.dataset_code,
        xml_content=call.xml_content,
        request_time=call.request_time,
        version_number=call.version_number,
        plat_id=call.plat_id,
        credit_code=call.credit_code,
    )


def _items(
    pairs: Sequence[tuple[str, Mapping[str, Any]]],
    raw: bytes,
    source: str,
    *,
    call: Mapping[str, str] | None = None,
    bare_ref: bool = False,
) -> Iterator[RawItem | RejectedItem]:
    entries: list[tuple[str, Mapping[str, Any]] | RejectedItem] = []
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for code, row in pairs:
        reserved = next((key for key in row if key.startswith("@")), None)
        if reserved is not None:
            message = "field names starting with @ are reserved"
            entries.append(RejectedItem("", raw, (reason("json.bad_shape", message, f"/{reserved[:64]}"),)))
            continue
        keys = _candidate_keys(row) if code == CANDIDATE_DATASET else None
        if not keys:
            entries.append((code, {**row, CALL_KEY: call} if call else row))
            continue
        for key in keys:
            if key not in groups:
                groups[key] = []
                group: dict[str, Any] = {ROWS_KEY: groups[key], SECTION_KEY: key[1]}
                entries.append((code, {**group, CALL_KEY: call} if call else group))
            groups[key].append(row)
    for index, entry in enumerate(entries):
        ref = source if bare_ref and len(entries) == 1 else f"{source}#{index}"
        if isinstance(entry, RejectedItem):
            yield RejectedItem(ref, entry.raw, entry.reasons)
        else:
            yield RawItem(ref=ref, dataset=entry[0], row=entry[1], raw=raw)


def _candidate_keys(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(tender project, section) pairs a candidate row belongs to; none if it names no section."""
    reader = RowReader(row)
    project = reader.code("TENDER_PROJECT_CODE")
    sections = reader.codes("BID_SECTION_CODE") or reader.codes("BID_SECTION_CODES") or []
    if project is None or reader.errors:
        return []
    return [(project, section) for section in sections]


ADAPTER = TenderPlatformAdapter()
