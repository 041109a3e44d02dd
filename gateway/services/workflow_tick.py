"""The periodic work of the workflows: duties met by receipts, then the obligation and complaint sweeps.

Run by the in-process ticker of the embedded default (gateway/ticker.py) or by Celery beat
(`gateway.tick`, gateway/tasks.py). A copy duty is met by the signed receipt of the copy's envelope
from the creditor's own node; the relay stores each receipt with its delivery, and the tick reads
them here, with the receiver's own receipt time, so a duty met while the tick was away is still
dated by its receipt and judged on time or late by it. A `duplicate` receipt counts as well: the
creditor's node took the copy first from a relay (the province may forward it before the direct
delivery lands) and its receipt repeats when it did (`received_at` of the first arrival, the log index).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy.orm import Session

from gateway.services import obligations
from gateway.services.complaint_exchange import competent_node
from gateway.services.complaint_sweep import sweep_complaints
from gateway.services.identity import NodeIdentity
from gateway.services.obligation_watch import sweep_obligations
from gateway.store.repositories.exchange import ExchangeRepository
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.remote_evaluation import ObligationRepository
from signing.directory import Directory
from sync.publish import current_directory

# Receipts by which the creditor's node says it holds the envelope (a refusal says it does not).
HOLDING_STATUSES = frozenset({"accepted", "duplicate"})


@dataclass
class TickReport:
    fulfilled: list[str] = field(default_factory=list)
    obligations_overdue: list[str] = field(default_factory=list)
    obligations_escalated: list[str] = field(default_factory=list)
    complaints_overdue: int = 0
    complaints_escalated: list[str] = field(default_factory=list)


def tick(db: Session, *, node: NodeIdentity, now: datetime) -> TickReport:
    # The sweeps write (marks, alerts in the log): the log's writer lock first, so that the reads below
    # cannot go stale before those writes on SQLite, and the lock order is the inbox's (log, then rows).
    LogRepository(db).lock_state()
    met = fulfil_from_receipts(db, node=node, directory=current_directory(now), now=now)
    report = TickReport(fulfilled=met)
    swept = sweep_obligations(db, node=node, now=now)
    report.obligations_overdue, report.obligations_escalated = swept.overdue, swept.escalated
    complaints = sweep_complaints(db, node=node, now=now)
    report.complaints_overdue, report.complaints_escalated = complaints.overdue, complaints.escalated
    return report


def fulfil_from_receipts(db: Session, *, node: NodeIdentity, directory: Directory | None,
                         now: datetime) -> list[str]:
    """The obligations met by receipts the relay has stored since the last tick."""
    exchange = ExchangeRepository(db)
    met: list[str] = []
    for row in ObligationRepository(db).open_awaiting():
        target = competent_node(directory, row.creditor_region)
        delivery = None if target is None or row.awaited_envelope_id is None else (
            exchange.get_by_envelope(row.awaited_envelope_id, target))
        if delivery is None or delivery.receipt is None:
            continue
        receipt = orjson.loads(delivery.receipt)
        if receipt.get("status") not in HOLDING_STATUSES:
            continue
        met += [done.obligation_id for done in obligations.fulfil_by_receipt(
            db, node=node, envelope_id=receipt["envelope_id"], receiver=receipt["receiver"],
            receipt_time=datetime.fromisoformat(receipt["received_at"]), now=now,
            creditor_node=lambda region: competent_node(directory, region))]
    return met
