"""Obligations: duties with a due date computed from a deadline rule, met on time or late.

Each state change is a new version of the `obligation` record, appended through the standard
ingest (so it is signed, logged and in the feeds); the `obligations` table indexes the latest
version. A duty is met by an event of its subject (a handover, an answer) or, for a copy (抄送), by
the signed receipt of the copy's envelope from the creditor's node (`fulfil_by_receipt`, called by
the workflow tick with the receipts the relay stored). A duty met after its due time is recorded as
met *late*: the flag is part of the signed record, never dropped. "Overdue" is decided at read time
(open, due time passed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.services.deadline_rules import DuePolicy
from gateway.services.identity import NodeIdentity
from gateway.services.remote_errors import UnknownObligationError
from gateway.services.workflow_records import append_record, next_version, stamp
from gateway.store.models.remote_evaluation import ObligationRow
from gateway.store.repositories.remote_evaluation import ObligationRepository
from schemas.regions import is_region_code, is_within, region_level

OBLIGATION_SOURCE = "obligations"


@dataclass(frozen=True)
class Duty:
    """What a new obligation is: who owes what to whom, about which subject, from when."""

    kind: str  # copy | handover | feedback | assistance_answer
    debtor: Mapping[str, Any]  # a Department
    creditor: Mapping[str, Any]
    subject_type: str
    subject_id: str
    triggered_at: datetime
    trigger_sequence: int | None = None
    discriminator: str = ""  # tells duties of one subject and trigger apart (the creditor, a letter)


def obligation_id(duty: Duty) -> str:
    parts = [duty.kind, duty.subject_type, duty.subject_id, str(duty.trigger_sequence or 0),
             str(duty.creditor.get("code", "")), duty.discriminator]
    return f"OB-{duty.kind}-{hashlib.sha256(chr(31).join(parts).encode()).hexdigest()[:20]}"


def create_obligation(db: Session, *, node: NodeIdentity, duty: Duty, step: str, rules_jurisdiction: str,
                      now: datetime, policy: DuePolicy | None = None) -> ObligationRow:
    """The duty with its due date from the rules of `step` binding `rules_jurisdiction`."""
    deadline = (policy or DuePolicy.default()).deadline(
        step, jurisdiction=rules_jurisdiction, start=duty.triggered_at)
    rule = deadline.rule
    return create_with_due(db, node=node, duty=duty, due_at=deadline.due, rule_id=rule.rule_id,
                           rule_source=rule.source, now=now)


def create_with_due(db: Session, *, node: NodeIdentity, duty: Duty, due_at: datetime, rule_id: str,
                    rule_source: str, now: datetime) -> ObligationRow:
    """A duty whose due time another act fixed (a letter's stated answer date), named by `rule_id`."""
    repo = ObligationRepository(db)
    oid = obligation_id(duty)
    held = repo.get(oid)
    if held is not None:
        return held
    payload: dict[str, Any] = {
        "data_timestamp": stamp(now), "obligation_id": oid, "kind": duty.kind,
        "debtor": dict(duty.debtor), "creditor": dict(duty.creditor),
        "subject_type": duty.subject_type, "subject_id": duty.subject_id,
        "triggered_at": stamp(duty.triggered_at), "due_at": stamp(due_at),
        "rule_id": rule_id, "rule_source": rule_source, "status": "open",
    }
    if duty.trigger_sequence is not None:
        payload["trigger_sequence"] = duty.trigger_sequence
    envelope_id = _append(db, node, payload, now)
    row = ObligationRow(
        obligation_id=oid, kind=duty.kind, status="open", debtor_region=duty.debtor["region_code"],
        creditor_region=duty.creditor["region_code"], subject_id=duty.subject_id, due_at=due_at,
        envelope_id=envelope_id, version_at=now, payload=payload)
    repo.add(row)
    return row


def fulfil(db: Session, *, node: NodeIdentity, obligation_id: str, fulfilled_at: datetime, now: datetime,
           by_sequence: int | None = None, note: str | None = None) -> ObligationRow:
    """Met at `fulfilled_at`: late when that is not before the due time. Meeting a met duty again
    changes nothing (the first act counts)."""
    repo = ObligationRepository(db)
    row = repo.get(obligation_id, for_update=True)
    if row is None:
        raise UnknownObligationError(f"obligation {obligation_id} not found")
    if row.status != "open":
        return row
    late = fulfilled_at >= row.due_at
    changes: dict[str, Any] = {"status": "fulfilled", "fulfilled_at": stamp(fulfilled_at), "late": late}
    if by_sequence is not None:
        changes["fulfilled_by_sequence"] = by_sequence
    if note:
        changes["reason"] = note
    _new_version(db, node, row, changes, now)
    row.status, row.fulfilled_at, row.late = "fulfilled", fulfilled_at, late
    db.flush()
    return row


def await_envelope(db: Session, *, obligation_id: str, envelope_id: str, sequence: int) -> ObligationRow:
    """The duty is met when `envelope_id` (the copy, event `sequence` of the subject) is receipted by
    the creditor's node."""
    row = ObligationRepository(db).get(obligation_id, for_update=True)
    if row is None:
        raise UnknownObligationError(f"obligation {obligation_id} not found")
    row.awaited_envelope_id, row.awaited_sequence = envelope_id, sequence
    db.flush()
    return row


def fulfil_by_receipt(db: Session, *, node: NodeIdentity, envelope_id: str, receiver: str,
                      receipt_time: datetime, now: datetime,
                      creditor_node: Callable[[str], str | None] | None = None) -> list[ObligationRow]:
    """A signed receipt of `envelope_id` by node `receiver` is held (workflow_tick.py reads them).

    Only the creditor's own node counts: `creditor_node(region)` names it from the federation
    directory (the province itself for a region no lower node covers); without a directory, its
    jurisdiction's node or the city node of a county creditor. Relays on the way, the province above
    all, receipt the same envelope without meeting the duty. Returns the obligations met."""
    met = []
    for row in ObligationRepository(db).awaiting(envelope_id):
        owner = creditor_node(row.creditor_region) if creditor_node is not None else None
        if receiver == owner or (owner is None and _is_creditor_node(receiver, row.creditor_region)):
            met.append(fulfil(db, node=node, obligation_id=row.obligation_id, fulfilled_at=receipt_time,
                              now=now, by_sequence=row.awaited_sequence,
                              note=f"receipted by node {receiver}"))
    return met


def _is_creditor_node(receiver: str, creditor_region: str) -> bool:
    if receiver == creditor_region:
        return True
    return (is_region_code(receiver) and region_level(receiver) != "province"
            and is_within(creditor_region, receiver))


def _new_version(db: Session, node: NodeIdentity, row: ObligationRow, changes: Mapping[str, Any],
                 now: datetime) -> None:
    version = next_version(now, row.version_at)
    payload = {**row.payload, **changes, "data_timestamp": stamp(version)}
    row.envelope_id = _append(db, node, payload, version)
    row.payload, row.version_at = payload, version


def _append(db: Session, node: NodeIdentity, payload: Mapping[str, Any], now: datetime) -> str:
    return append_record(db, node=node, record_type="obligation",
                         jurisdiction=payload["debtor"]["region_code"], payload=payload,
                         source_system=OBLIGATION_SOURCE, ref=payload["obligation_id"], now=now)
