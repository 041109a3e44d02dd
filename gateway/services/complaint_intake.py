"""Complaint intake: the elements of the 投诉书, screening, duplicates and routing.

Validation refuses a complaint that lacks an element of 投诉处理办法 art 7 (complainant and respondent
with contacts, facts, requests, evidence or leads) or that fails the schema (identifiers included),
and one about a tender project this node does not hold. Screening does not refuse: 不予受理 is the
competent department's written decision, so the grounds found (no standing, time-barred, required
异议/质疑 missing, unsigned letter) are recorded with the case and offered to that department.

A filing on a matter already held (same complainant, project, section and respondents) is linked to
the existing case as a `receive` event, never a second case. When two competent departments receive
the same matter, the first to receive it handles it (条例 art 61): a filing received earlier by
another competent department moves the case there, as a `route` event with the reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.services.auth import Principal
from gateway.services.complaint_exchange import hand_over, handled_here
from gateway.services.complaint_routing import Route, RoutingTable, default_routing
from gateway.services.complaint_screening import screen
from gateway.services.complaints import (
    ComplaintInvalidError,
    Step,
    complaint_view,
    held_project,
    invalid,
    matter_key,
    record_step,
    record_steps,
    refresh_deadline,
    stamp,
)
from gateway.services.identity import NodeIdentity
from gateway.store.models import ComplaintCase
from gateway.store.repositories.complaint import ComplaintRepository
from gateway.store.repositories.log import LogRepository
from schemas.deadlines import CHINA_TZ
from schemas.errors import GatewayError, RecordInvalidError
from schemas.regions import is_region_code, is_within
from schemas.registry import validate_payload
from sync.publish import current_directory

FIRST_RECEIVER_RULE = "同一事项先收到投诉的部门负责处理 (招标投标法实施条例 第六十一条)"
INTAKE_ONLY = ("matter", "industry", "national_major_project", "filed_with")
SET_BY_GATEWAY = ("complaint_id", "state", "data_timestamp", "competent_department", "accept_date",
                  "filing_region", "decision", "handle_result", "handle_basis", "handle_date", "dealing_unit")


class MissingElementError(GatewayError):
    code = "complaint.missing_element"
    status = 422


class UnknownProjectError(GatewayError):
    code = "complaint.unknown_project"
    status = 422


def file_complaint(
    db: Session, *, node: NodeIdentity, principal: Principal, body: Any, now: datetime,
    routing: RoutingTable | None = None,
) -> dict[str, Any]:
    """Take a complaint in; returns the case view with status `created` or `linked`."""
    routing = routing or default_routing()
    if not isinstance(body, Mapping):
        raise invalid("", "a complaint is a JSON object")
    intake = {name: body[name] for name in INTAKE_ONLY if name in body}
    payload = _payload(body, node=node, now=now)
    received_at = datetime.fromisoformat(payload["received_at"])
    _check_elements(payload)
    # The log's writer lock before anything is read: a concurrent filing of the same matter then sees
    # this one's case, and on SQLite no read snapshot goes stale before the case is written.
    LogRepository(db).lock_state()
    project = _project(db, node, payload, intake, routing)
    industry = intake.get("industry") or project.get("tender_project_industries_type")
    candidates = routing.candidates(trade_type=payload["trade_type"], industry=industry,
                                    region_code=payload["region_code"],
                                    national_major=intake.get("national_major_project") is True)
    handler = _first_receiver(candidates, intake.get("filed_with"))
    matter = matter_key(payload)
    repo = ComplaintRepository(db)
    existing = repo.get_by_matter(matter)
    actor = {"name": f"{node.name} 投诉受理窗口", "role": principal.role, "region_code": node.node_id}
    if existing is not None:
        return _link(db, existing, node=node, now=now, actor=actor, handler=handler,
                     candidates=candidates, received_at=received_at, channel=payload["channel"])
    findings = screen(payload, project=project, matter=intake.get("matter"), routing=routing)
    case = ComplaintCase(
        complaint_id=payload["complaint_id"], jurisdiction=payload["region_code"],
        trade_type=payload["trade_type"], stage="received", department_code=handler.code,
        department_kind=handler.kind, department_region=handler.region_code, matter_key=matter,
        received_at=received_at, first_received_at=received_at, accepted_at=None, due_at=None,
        due_step=None, due_status="", escalated_at=None, deadlines={}, pauses=[], extensions=[],
        flags=[], screening=findings, payload=payload, version_at=now, sequence=0, record_ids=[],
        event_ids=[], updated_at=now,
    )
    found = "; ".join(f"{f['code']}" for f in findings)
    steps = [Step("receive", "received", actor,
                  f"渠道 {payload['channel']}" + (f"; 审查发现: {found}" if found else ""))]
    refresh_deadline(case)
    department = handler.as_department()
    if case.due_at is not None:
        steps.append(Step("route", "routed", actor, f"属地管理、分类负责: {handler.source}",
                          {"to_department": department, "due_at": stamp(case.due_at)},
                          {"competent_department": department}))
    else:  # no deadline can be stated, so no written forwarding yet: the case is flagged
        case.payload = {**case.payload, "competent_department": department}
    record_steps(db, case, node=node, now=now, steps=steps)
    if not handled_here(node, current_directory(now), case.department_region):
        hand_over(case)
    ComplaintRepository(db).add(case)
    return complaint_view(case, status="created")


def _payload(body: Mapping[str, Any], *, node: NodeIdentity, now: datetime) -> dict[str, Any]:
    managed = sorted(name for name in SET_BY_GATEWAY if name in body)
    if managed:
        raise ComplaintInvalidError("members set by the gateway", details=[
            {"pointer": f"/{name}", "code": ComplaintInvalidError.code, "message": "set by the gateway"}
            for name in managed])
    payload = {name: value for name, value in body.items() if name not in INTAKE_ONLY}
    received = payload.get("received_at") or stamp(now)
    try:
        received_at = datetime.fromisoformat(received) if isinstance(received, str) else None
    except ValueError:
        received_at = None
    if received_at is None or received_at.utcoffset() is None or received_at > now:
        raise invalid("/received_at", "an RFC 3339 time with offset, not in the future")
    region = payload.get("region_code") if isinstance(payload.get("region_code"), str) else node.node_id
    if is_region_code(node.node_id):  # feedback goes back to this node (config/routing.json)
        payload["filing_region"] = node.node_id
    payload.update(received_at=stamp(received_at), state="received", data_timestamp=stamp(now),
                   complaint_id=f"TS-{region}-{received_at.astimezone(CHINA_TZ).year}-{secrets.token_hex(6)}")
    try:
        validate_payload("complaint", payload)
    except RecordInvalidError as exc:
        raise ComplaintInvalidError(f"complaint is invalid: {exc.message}", details=exc.details) from None
    return payload


def _check_elements(payload: Mapping[str, Any]) -> None:
    """投诉处理办法 art 7: who complains and against whom, with address and contact; evidence or leads."""
    missing: list[tuple[str, str]] = []
    complainant = payload["complainant"]
    if not complainant.get("address"):
        missing.append(("/complainant/address", "投诉人地址"))
    if not (complainant.get("phone") or complainant.get("email")):
        missing.append(("/complainant/phone", "投诉人联系方式"))
    for index, respondent in enumerate(payload["respondents"]):
        if not (respondent.get("address") or respondent.get("phone") or respondent.get("email")):
            missing.append((f"/respondents/{index}/phone", "被投诉人地址或联系方式"))
    if not (payload.get("evidence") or payload.get("leads")):
        missing.append(("/evidence", "证据或者相关线索"))
    if missing:
        raise MissingElementError(
            "the complaint lacks required elements (投诉处理办法 第七条): "
            + ", ".join(m for _, m in missing),
            details=[{"pointer": p, "code": MissingElementError.code, "message": m} for p, m in missing],
        )


def _project(db: Session, node: NodeIdentity, payload: Mapping[str, Any], intake: Mapping[str, Any],
             routing: RoutingTable) -> dict[str, Any]:
    """The tender.project record held for the code in the project's region.

    A project outside this node's jurisdiction is checked by the competent node the complaint is
    forwarded to; here the filing only has to say enough to be routed (its industry, where the
    table routes by industry)."""
    region, code = payload["region_code"], payload["tender_project_code"]
    project = held_project(db, region, code)
    if project is not None:
        return project
    if is_within(region, node.node_id) or not is_region_code(node.node_id):
        raise UnknownProjectError(
            f"no tender project {code} in region {region} is held by this node",
            details=[{"pointer": "/tender_project_code", "code": UnknownProjectError.code,
                      "message": "unknown tender project"}],
        )
    if intake.get("industry") is None and routing.routes_by_industry(payload["trade_type"]):
        raise invalid("/industry", f"project {code} of region {region} is not held here: name its industry "
                      "(行业) so that the complaint reaches the competent department")
    return {}


def _first_receiver(candidates: list[Route], filed_with: Any) -> Route:
    if isinstance(filed_with, Mapping):
        for route in candidates:
            if (route.kind, route.region_code) == (filed_with.get("kind"), filed_with.get("region_code")):
                return route
    return candidates[0]


def _link(
    db: Session, case: ComplaintCase, *, node: NodeIdentity, now: datetime, actor: Mapping[str, Any],
    handler: Route, candidates: list[Route], received_at: datetime, channel: str,
) -> dict[str, Any]:
    earlier = received_at < case.first_received_at
    if earlier:
        case.first_received_at = received_at
    moves = (earlier and handler.code != case.department_code
             and case.stage in ("received", "routed") and handler in candidates)
    if moves:
        case.department_code, case.department_kind = handler.code, handler.kind
        case.department_region, case.received_at = handler.region_code, received_at
        refresh_deadline(case)
        if case.due_at is not None:
            department = handler.as_department()
            record_step(db, case, node=node, now=now, step=Step(
                "route", "routed", actor, f"{FIRST_RECEIVER_RULE}: {handler.name}",
                {"to_department": department, "due_at": stamp(case.due_at)},
                {"competent_department": department}))
            return complaint_view(case, status="linked")
    note = f"同一事项的重复投诉 (渠道 {channel}, 收到 {stamp(received_at)}) 并入本案"
    record_step(db, case, node=node, now=now, step=Step("receive", case.stage, actor, note))
    return complaint_view(case, status="linked")
