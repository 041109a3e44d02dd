"""Credit screening state: the index of the credit records in the log, and the screenings made.

`credit_index` is derived from the log (envelopes of type credit.*) and kept at append time, so
screening a party is an index lookup instead of a log scan. Each credit record (one `credit_key`
across its versions) has one row per way its party can be found: `uscc`, `org` (the 9-character
组织机构代码, also the body of a USCC), `person` (an upper-cased ID number or its keyed hash) and
`name` (the normalised name). Approved repairs (信用修复) are rows of kind `repair`, keyed by the
reference of the entry whose publication they stopped. A later version of a record replaces its rows.

`screenings` is the screening recorded on the screened record: one row per named party of the
envelope, hit or clear, with the credit envelopes that matched and the alert raised for a hit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class CreditIndexEntry(Base):
    __tablename__ = "credit_index"

    credit_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key_value: Mapped[str] = mapped_column(String(500), primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(64))
    version_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    party_name: Mapped[str] = mapped_column(String(500))
    # What a repair names: "credit.penalty|<CF_WSH>" or "credit.blacklist|<BLACKLIST_CODE>".
    reference: Mapped[str] = mapped_column(String(200))
    issuer_code: Mapped[str | None] = mapped_column(String(40))
    effective: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    measures: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_credit_index_key_value_key_kind", "key_value", "key_kind"),)


class Screening(Base):
    __tablename__ = "screenings"

    envelope_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    record_type: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str] = mapped_column(String(12))
    party_role: Mapped[str] = mapped_column(String(32))
    party_name: Mapped[str] = mapped_column(String(500))
    party_code_type: Mapped[str | None] = mapped_column(String(16))
    party_code: Mapped[str | None] = mapped_column(String(100))
    checked_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(8))
    match_kind: Mapped[str | None] = mapped_column(String(8))
    confidence: Mapped[str | None] = mapped_column(String(16))
    matched_envelope_ids: Mapped[list[str]] = mapped_column(JSON)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    screened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    alert_envelope_id: Mapped[str | None] = mapped_column(String(64))
