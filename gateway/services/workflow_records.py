"""Workflow state changes as signed records: appended through the standard ingest, or refused.

A workflow record that the ingest does not accept is a bug or bad input the workflow let through;
it is refused with the ingest's reasons instead of landing silently in quarantine.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from schemas.deadlines import CHINA_TZ
from schemas.errors import RecordInvalidError

ONE_TICK = timedelta(microseconds=1)


def stamp(moment: datetime) -> str:
    """RFC 3339 in China time, to the microsecond (versions of one record must differ)."""
    return moment.astimezone(CHINA_TZ).isoformat(timespec="microseconds")


def next_version(now: datetime, previous: datetime | None) -> datetime:
    """`now`, or just after the previous version when the clock has not moved past it."""
    if previous is None or now > previous:
        return now
    return previous + ONE_TICK


def append_record(db: Session, *, node: NodeIdentity, record_type: str, jurisdiction: str,
                  payload: Mapping[str, Any], source_system: str, ref: str, now: datetime) -> str:
    """The envelope id of the appended (or identical, already held) record."""
    item = {"type": record_type, "jurisdiction": jurisdiction, "payload": dict(payload),
            "source": {"system": source_system, "ref": ref}}
    (outcome,) = ingest_standard(db, items=[item], node=node, source_system=source_system, now=now)
    if outcome.status in ("accepted", "duplicate") and outcome.id is not None:
        return outcome.id
    raise RecordInvalidError(f"{record_type} refused ({outcome.status})", details=outcome.reasons)
