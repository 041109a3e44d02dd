"""From a row read by `RowFields` to a `NormalizedRecord`, and the small rules mappings share.

`finished_record` is the last step of every mapping: it refuses the row with all its reasons, adds
the unread fields as `extensions`, runs the record type's JSON Schema (so that an adapter never hands
out a payload the gateway would refuse) and takes the jurisdiction from the payload's region fields.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
from datetime import date
from typing import Any

from adapters.base import NormalizedRecord, reason
from adapters.normalize import clean_code
from adapters.row_fields import RowFields
from schemas.errors import AdapterError, RecordInvalidError
from schemas.registry import jurisdiction_of, validate_payload


def compact(**values: Any) -> dict[str, Any]:
    """A payload without its absent fields: optional means omitted, never null."""
    return {name: value for name, value in values.items() if value is not None}


def is_id_card_type(document_type: str | None) -> bool:
    """证件类型 naming a 居民身份证, or none given (the number is then read as one)."""
    return document_type is None or "身份证" in document_type


def keyed_person_id(key: bytes, id_number: str) -> str:
    """The keyed hash "hmac-sha256:<hex>" of the upper-cased, space-free ID number (KeyedHash)."""
    normalized = clean_code(id_number, keep_hyphens=False)
    return "hmac-sha256:" + hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


def add_months(day: date, months: int) -> date:
    """Calendar arithmetic for publicity windows: a month end clamps (2024-02-29 + 12 → 2025-02-28)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


def finished_record(
    record_type: str, payload: dict[str, Any], fields: RowFields, *, ref: str
) -> NormalizedRecord:
    """The record once every field was read: refused with all reasons, or validated and located.

    The schema check runs here too, so that no adapter ever hands out a payload the gateway would
    refuse; its details point into the payload rather than the source row.
    """
    if fields.reasons:
        raise fields.refuse(f"{record_type} row refused: {len(fields.reasons)} problem(s)")
    if "extensions" not in payload and (extensions := fields.extensions()):
        payload["extensions"] = extensions
    if fields.reasons:
        raise fields.refuse(f"{record_type} row refused: {len(fields.reasons)} problem(s)")
    try:
        validate_payload(record_type, payload)
    except RecordInvalidError as error:
        raise AdapterError(f"{record_type} row refused: {error.message}", details=error.details) from None
    jurisdiction = jurisdiction_of(record_type, payload)
    if jurisdiction is None:  # every mapping requires a region field; this guards a mapping mistake
        raise AdapterError(
            f"{record_type} row refused: no jurisdiction",
            details=[reason(fields.own("no_jurisdiction"), "no region code for the record", "")],
        )
    return NormalizedRecord(record_type, jurisdiction, payload, ref, tuple(fields.warnings))
