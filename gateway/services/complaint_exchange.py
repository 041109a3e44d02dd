"""Complaints across nodes: the competent node takes a forwarded case in, the filing node follows it.

A complaint's records travel straight to the node of the competent department and back to the node
where it was filed (config/routing.json, `direct`). When a `complaint` version arrives at the node
that covers the competent department's region and no case is held, that node opens the case from
the record (it is now the one that acts and runs the clock); at any other node holding the case (the
filing window) later versions and events only mirror the competent node's progress: stage, payload,
history, and the deadline the competent node stated. A mirrored case is flagged `handled_elsewhere`
and keeps no running deadline, so only the competent node's sweep escalates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.services.complaint_routing import default_routing
from gateway.services.complaint_screening import screen
from gateway.services.complaint_state import TRANSITIONS
from gateway.services.complaints import held_project, matter_key, refresh_deadline
from gateway.services.identity import NodeIdentity
from gateway.store.models import ComplaintCase
from gateway.store.repositories.complaint import ComplaintRepository
from gateway.store.repositories.record import RecordHeadRepository
from signing.directory import Directory, UnknownNodeError
from signing.envelope import record_key

FLAG_HANDLED_ELSEWHERE = "handled_elsewhere"
FLAG_PROJECT_NOT_HELD = "project_not_held"
# The stage each recorded action leaves a case in (`extend` and `receive` leave it where it was).
STAGE_AFTER = {t.record_action: t.target for t in TRANSITIONS.values() if t.target is not None}
# Events looked for in the log when a case is opened from a forwarded record.
HISTORY_PROBE = 256


def competent_node(directory: Directory | None, department_region: str) -> str | None:
    """The node that covers the department's region, or None when no directory routes anything."""
    if directory is None:
        return None
    try:
        return directory.node_for_jurisdiction(department_region)
    except UnknownNodeError:
        return None


def handled_here(node: NodeIdentity, directory: Directory | None, department_region: str) -> bool:
    found = competent_node(directory, department_region)
    return found is None or found == node.node_id


def hand_over(case: ComplaintCase) -> None:
    """A node whose case another node now handles (the filing node after forwarding, a department's
    node after a transfer): it follows the case and no longer runs its clock."""
    if FLAG_HANDLED_ELSEWHERE not in case.flags:
        case.flags = [*case.flags, FLAG_HANDLED_ELSEWHERE]
    case.due_at, case.due_step = None, None


def take_received(db: Session, *, node: NodeIdentity, directory: Directory,
                  envelopes: list[tuple[str, Mapping[str, Any]]], now: datetime) -> None:
    """Index the complaint records among `(envelope id, envelope)` just appended from a peer."""
    repo = ComplaintRepository(db)
    for envelope_id, envelope in envelopes:
        payload = envelope["payload"]
        case = repo.get_by_id(payload["complaint_id"], for_update=True)
        if envelope["type"] == "complaint.event":
            if case is not None:
                _follow_event(case, envelope_id, payload, now)
        elif case is None:
            department = payload.get("competent_department") or {}
            region = department.get("region_code")
            if region and competent_node(directory, region) == node.node_id:
                repo.add(_open(db, envelope_id, envelope, now))
        elif FLAG_HANDLED_ELSEWHERE in case.flags:
            _follow_version(case, envelope_id, payload, now)


def _open(db: Session, envelope_id: str, envelope: Mapping[str, Any], now: datetime) -> ComplaintCase:
    payload = dict(envelope["payload"])
    department = payload["competent_department"]
    received_at = datetime.fromisoformat(payload["received_at"])
    accepted = payload.get("accept_date")
    case = ComplaintCase(
        complaint_id=payload["complaint_id"], jurisdiction=payload["region_code"],
        trade_type=payload["trade_type"], stage="routed", department_code=department["code"],
        department_kind=department.get("industry") or "", department_region=department["region_code"],
        matter_key=matter_key(payload), received_at=received_at, first_received_at=received_at,
        accepted_at=received_at if accepted else None, due_at=None, due_step=None, due_status="",
        escalated_at=None, deadlines={}, pauses=[], extensions=[], flags=[], screening=[],
        payload=payload, version_at=datetime.fromisoformat(payload["data_timestamp"]), sequence=0,
        record_ids=[envelope_id], event_ids=[], updated_at=now,
    )
    project = held_project(db, payload["region_code"], payload["tender_project_code"])
    if project is None:
        case.flags = [FLAG_PROJECT_NOT_HELD]
    else:
        case.screening = screen(payload, project=project, matter=None, routing=default_routing())
    _replay_history(db, case, envelope["jurisdiction"])
    refresh_deadline(case)
    return case


def _replay_history(db: Session, case: ComplaintCase, jurisdiction: str) -> None:
    """The events already held (they may arrive by another path first), in sequence order."""
    keys = {record_key("complaint.event", jurisdiction, [case.complaint_id, str(n)]): n
            for n in range(1, HISTORY_PROBE + 1)}
    heads = RecordHeadRepository(db).get_many(keys)
    for key, head in sorted(heads.items(), key=lambda item: keys[item[0]]):
        case.event_ids = [*case.event_ids, head.envelope_id]
        case.sequence = max(case.sequence, keys[key])


def _follow_event(case: ComplaintCase, envelope_id: str, payload: Mapping[str, Any], now: datetime) -> None:
    if envelope_id in case.event_ids:
        return
    case.event_ids = [*case.event_ids, envelope_id]
    case.sequence = max(case.sequence, int(payload["sequence"]))
    case.updated_at = now
    if FLAG_HANDLED_ELSEWHERE not in case.flags:
        if _transferred_here(case, payload):
            # 转办: the receiving department's acceptance period runs from the transfer.
            case.received_at = datetime.fromisoformat(payload["occurred_at"])
            refresh_deadline(case)
        return
    case.stage = STAGE_AFTER.get(payload["action"], case.stage)
    if payload.get("due_at"):
        case.deadlines = {**case.deadlines, "stated_by_competent_node": {
            "action": payload["action"], "due_at": payload["due_at"], "sequence": payload["sequence"]}}


def _transferred_here(case: ComplaintCase, payload: Mapping[str, Any]) -> bool:
    """A department's transfer (not the filing window's first routing) to the department here."""
    target = payload.get("to_department") or {}
    return (payload["action"] == "route" and (payload.get("actor") or {}).get("role") == "department"
            and target.get("code") == case.department_code)


def _follow_version(case: ComplaintCase, envelope_id: str, payload: Mapping[str, Any], now: datetime) -> None:
    version = datetime.fromisoformat(payload["data_timestamp"])
    if envelope_id in case.record_ids:
        return
    case.record_ids = [*case.record_ids, envelope_id]
    if version > case.version_at:
        case.payload, case.version_at, case.updated_at = dict(payload), version, now
        department = payload.get("competent_department") or {}
        if department:
            case.department_code = department["code"]
            case.department_kind = department.get("industry") or case.department_kind
            case.department_region = department["region_code"]
