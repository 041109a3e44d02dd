"""中标候选人公示 GCJS_WIN_CANDIDATE → `tender.candidate`, one record per section.

The national dataset sends one row per candidate; `split` gathers the rows of one tender project
and section into one item, so that the record holds the whole ranking. Rows are ordered by
WIN_CANDIDATE_ORDER (two candidates with one rank are refused). The publication fields (notice name,
times, URL, region) may come in every row or only in some, but rows that give them must agree;
the record's version is the latest DATA_TIMESTAMP of its rows. Prices are in 万元 unless the row
says otherwise, as in `adapters.tender_bid_mapping`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import NormalizedRecord, RawItem, invalid, reason
from adapters.tender_bid_mapping import CURRENCIES
from adapters.tender_reader import RowReader, compact
from adapters.tender_record import ROWS_KEY, SECTION_KEY, Options, finish, require, version_number

# Fields that describe the publication, not a candidate: every row of a section must agree on them.
_SHARED_FIELDS = (
    "tender_project_code",
    "unified_deal_code",
    "notice_name",
    "notice_content",
    "notice_send_time",
    "publicity_start_time",
    "publicity_end_time",
    "url",
    "region_code",
    "platform_code",
)


def map_candidates(item: RawItem, options: Options) -> list[NormalizedRecord]:
    grouped = ROWS_KEY in item.row
    rows = item.row[ROWS_KEY] if grouped else [item.row]
    if not isinstance(rows, list) or not rows or not all(_is_row(row) for row in rows):
        raise invalid(
            f"{item.dataset} item {item.ref} refused",
            reason("tender.bad_shape", "the candidate rows are not a list of records", f"/{ROWS_KEY}"),
        )
    readers = [options.reader(row, f"/{index}" if grouped else "") for index, row in enumerate(rows)]
    section = item.row.get(SECTION_KEY)
    shared: dict[str, Any] = {}
    candidates: list[tuple[int, dict[str, Any], RowReader]] = []
    stamps: list[str] = []
    for reader in readers:
        row_shared, stamp = _publication(reader, item)
        if stamp is not None:
            stamps.append(stamp)
        _merge(shared, row_shared, reader)
        sections = reader.codes("BID_SECTION_CODE") or reader.codes("BID_SECTION_CODES") or []
        if not isinstance(section, str):
            section = sections[0] if len(sections) == 1 else None
        if section not in sections:
            reader.fail(
                "BID_SECTION_CODE",
                "tender.multiple_sections" if sections else "tender.missing_field",
                "each candidate row names the one section it belongs to",
            )
        candidate = _candidate(reader)
        if candidate is not None:
            candidates.append((candidate["order"], candidate, reader))
    if not stamps:
        stamp = version_number(readers[0], item)
        stamps = [stamp] if stamp else []
    _check_orders(candidates)
    candidates.sort(key=lambda entry: entry[0])
    payload = compact(
        data_timestamp=max(stamps) if stamps else None,
        bid_section_code=section if isinstance(section, str) else None,
        candidates=[candidate for _, candidate, _ in candidates] or None,
        **shared,
    )
    require(readers[0], "NOTICE_SEND_TIME", payload.get("notice_send_time"))
    require(readers[0], "TENDER_PROJECT_CODE", payload.get("tender_project_code"))
    extensions = _extensions([reader for _, _, reader in candidates] or readers)
    return finish("tender.candidate", [payload], readers, item, extensions=extensions)


def _is_row(row: object) -> bool:
    return isinstance(row, Mapping) and all(isinstance(key, str) for key in row)


def _publication(reader: RowReader, item: RawItem) -> tuple[dict[str, Any], str | None]:
    values = compact(
        tender_project_code=reader.code("TENDER_PROJECT_CODE"),
        unified_deal_code=reader.deal_code("UNIFIED_DEAL_CODE"),
        notice_name=reader.text("NOTICE_NAME"),
        notice_content=reader.text("NOTICE_CONTENT", multiline=True),
        notice_send_time=reader.time("NOTICE_SEND_TIME"),
        publicity_start_time=reader.time("PUBLICITY_START_TIME"),
        publicity_end_time=reader.time("PUBLICITY_END_TIME"),
        url=reader.url("URL"),
        region_code=reader.region("REGION_CODE"),
        platform_code=reader.code("PLATFORM_CODE"),
    )
    return values, reader.time("DATA_TIMESTAMP")


def _merge(shared: dict[str, Any], values: dict[str, Any], reader: RowReader) -> None:
    for key in _SHARED_FIELDS:
        if key not in values:
            continue
        if key in shared and shared[key] != values[key]:
            reader.fail(
                key.upper(), "tender.inconsistent_rows", f"rows of one section disagree on {key.upper()}"
            )
        shared.setdefault(key, values[key])


def _candidate(reader: RowReader) -> dict[str, Any] | None:
    candidate = compact(
        order=reader.count("WIN_CANDIDATE_ORDER", required=True, minimum=1),
        candidate=reader.party(
            name="WIN_CANDIDATE_NAME",
            code="WIN_CANDIDATE_CODE",
            code_types=("WIN_CANDIDATE_CODE_TYPE", "BIDDER_CODE_TYPE"),
            role="BIDDER_ROLE",
            region="BIDDER_REGION_CODE",
            default_role="投标人",
            required=True,
        ),
        is_float_rate=reader.flag("IS_FLOAT_RATE"),
        rate=reader.decimal("RATE", percent=True),
        bid_price=reader.money("BID_PRICE", default_unit="万元", currencies=CURRENCIES),
        evaluation_price=reader.money("EVALUATION_PRICE", default_unit="万元", currencies=CURRENCIES),
        win_price=reader.money("WIN_PRICE", default_unit="万元", currencies=CURRENCIES),
        other_bid_price=reader.text("OTHER_BID_PRICE"),
        evaluation_result=reader.text("EVALUATION_RESULT"),
        evaluation_status=reader.code("EVALUATION_STATUS"),
        quality=reader.text("QUALITY"),
        qualification=reader.text("WIN_CANDIDATE_QUALIFICATION"),
        pm_name=reader.text("PM_NAME"),
        pm_code=reader.code("PM_CODE"),
        pm_certificates=reader.text("PM_CERTIFICATES"),
        time_limit=reader.text("TIME_LIMIT"),
    )
    return candidate if "order" in candidate and "candidate" in candidate else None


def _check_orders(candidates: list[tuple[int, dict[str, Any], RowReader]]) -> None:
    seen: set[int] = set()
    for order, _, reader in candidates:
        if order in seen:
            reader.fail(
                "WIN_CANDIDATE_ORDER", "tender.duplicate_candidate_order", "two candidates share this rank"
            )
        seen.add(order)


def _extensions(readers: list[RowReader]) -> dict[str, Any]:
    """Leftover fields: once when every row agrees, else per candidate (in candidate order)."""
    leftovers = [reader.leftovers() for reader in readers]
    keys = list(dict.fromkeys(key for fields in leftovers for key in fields))
    agreed = {key for key in keys if all(fields.get(key) == leftovers[0].get(key) for fields in leftovers)}
    extensions: dict[str, Any] = {key: leftovers[0][key] for key in keys if key in agreed}
    per_row = [{key: value for key, value in fields.items() if key not in agreed} for fields in leftovers]
    if any(per_row):
        extensions["CANDIDATE_FIELDS"] = per_row
    return extensions
