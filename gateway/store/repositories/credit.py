"""The credit index (party keys of the credit records in the log) and the screenings recorded."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from gateway.store.bulk import insert_rows
from gateway.store.models.credit import CreditIndexEntry, Screening

_CHUNK = 900  # below SQLite's bound-parameter limit for IN lists


@dataclass(frozen=True, slots=True)
class IndexedCredit:
    """One index row as read: plain values, never a session-tracked object that could go stale."""

    credit_key: str
    key_kind: str
    key_value: str
    envelope_id: str
    record_type: str
    party_name: str
    reference: str
    issuer_code: str | None
    valid_from: date | None
    valid_to: date | None
    measures: str


_INDEXED_COLUMNS = [getattr(CreditIndexEntry, name) for name in IndexedCredit.__slots__]
# Core inserts: the ORM bulk path costs more than the rows are worth on the ingest path.
_INDEX_TABLE = cast(Table, CreditIndexEntry.__table__)
_SCREENING_TABLE = cast(Table, Screening.__table__)


class CreditIndexRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def versions(self, credit_keys: Iterable[str]) -> dict[str, datetime]:
        """credit key → version indexed, for the keys that have rows."""
        out: dict[str, datetime] = {}
        for chunk in _chunks(sorted(set(credit_keys))):
            rows = self.db.execute(
                select(CreditIndexEntry.credit_key, CreditIndexEntry.version_utc)
                .where(CreditIndexEntry.credit_key.in_(chunk))
                .distinct()
            )
            out.update((r.credit_key, r.version_utc) for r in rows)
        return out

    def replace_many(self, credit_keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
        """Drop every row of `credit_keys`, then insert `rows` (the newest version's)."""
        for chunk in _chunks(sorted(set(credit_keys))):
            self.db.execute(delete(CreditIndexEntry).where(CreditIndexEntry.credit_key.in_(chunk)))
        if rows:
            insert_rows(self.db.connection(), _INDEX_TABLE, list(rows))

    def list_by_keys(self, keys: Iterable[tuple[str, str]]) -> list[IndexedCredit]:
        """Effective rows whose (kind, value) is one of `keys`."""
        wanted = set(keys)
        found: list[IndexedCredit] = []
        for chunk in _chunks(sorted({value for _, value in wanted})):
            rows = self.db.execute(
                select(*_INDEXED_COLUMNS).where(
                    CreditIndexEntry.key_value.in_(chunk), CreditIndexEntry.effective.is_(True)
                )
            )
            found.extend(IndexedCredit(*row) for row in rows if (row.key_kind, row.key_value) in wanted)
        return found


class ScreeningRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            insert_rows(self.db.connection(), _SCREENING_TABLE, list(rows))

    def replace_many(self, envelope_ids: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
        """The screening of an envelope is the latest one made: older rows of these envelopes go."""
        for chunk in _chunks(sorted(set(envelope_ids))):
            self.db.execute(delete(Screening).where(Screening.envelope_id.in_(chunk)))
        self.add_many(rows)

    def mark_alerted(self, envelope_id: str, position: int, alert_envelope_id: str) -> None:
        self.db.execute(
            update(Screening)
            .where(Screening.envelope_id == envelope_id, Screening.position == position)
            .values(alert_envelope_id=alert_envelope_id)
        )

    def list_by_envelope_id(self, envelope_id: str) -> list[Screening]:
        stmt = (
            select(Screening)
            .where(Screening.envelope_id == envelope_id)
            .order_by(Screening.position)
            .execution_options(populate_existing=True)
        )
        return list(self.db.execute(stmt).scalars())


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])
