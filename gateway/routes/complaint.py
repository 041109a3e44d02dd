"""Complaints: intake, reading, the department's actions, and the due/overdue lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from starlette.responses import JSONResponse

from gateway.deps import DbDep, NodeDep, NowDep, PrincipalDep, requires
from gateway.services.auth import READ, WRITE, ForbiddenError, Principal
from gateway.services.complaint_actions import act
from gateway.services.complaint_intake import file_complaint
from gateway.services.complaints import complaint_view, get_case
from gateway.services.scope import ensure_visible, narrowed_prefix
from gateway.store.repositories.complaint import ComplaintRepository

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])
Reader = Annotated[Principal, Depends(requires(READ))]
Department = Annotated[Principal, Depends(requires("complaints:write"))]
COMPLAINT_WRITE = "complaints:write"
DUE_STATUS = {"due": "due_soon", "overdue": "overdue"}


def intake_channel(principal: PrincipalDep) -> Principal:
    """A channel files complaints: a source system (records:write) or a department window."""
    if not principal.scopes & {WRITE, COMPLAINT_WRITE}:
        raise ForbiddenError(f"the {principal.role} token can not file complaints")
    return principal


@router.post("", status_code=201, responses={
    403: {"description": "auth.forbidden"},
    422: {"description": "complaint.invalid, complaint.missing_element, complaint.unknown_project, "
                         "complaint.unroutable"},
})
def post_complaint(
    body: Annotated[dict[str, Any], Body()], db: DbDep, node: NodeDep, now: NowDep,
    principal: Annotated[Principal, Depends(intake_channel)],
) -> JSONResponse:
    """File a complaint: 201 with the new case, or 200 when it was linked to the case of its matter."""
    view = file_complaint(db, node=node, principal=principal, body=body, now=now)
    return JSONResponse(view, status_code=201 if view["status"] == "created" else 200)


@router.get("/{complaint_id}", responses={404: {"description": "complaint.not_found"}})
def read_complaint(complaint_id: str, db: DbDep, principal: Reader) -> dict[str, Any]:
    case = get_case(db, complaint_id)
    ensure_visible(principal, case.jurisdiction, f"complaint {complaint_id}")
    return complaint_view(case)


@router.post("/{complaint_id}/actions", responses={
    403: {"description": "complaint.not_competent"},
    404: {"description": "complaint.not_found"},
    409: {"description": "complaint.illegal_transition"},
    422: {"description": "complaint.invalid, complaint.unknown_reason, complaint.pause_not_allowed, "
                         "deadline.extension_not_allowed, deadline.extension_exceeds_ceiling"},
})
def post_action(
    complaint_id: str, body: Annotated[dict[str, Any], Body()], db: DbDep, node: NodeDep, now: NowDep,
    principal: Department,
) -> dict[str, Any]:
    """One step of the workflow by the competent department (action, reason, and its own members)."""
    return act(db, node=node, principal=principal, complaint_id=complaint_id, body=body, now=now)


@router.get("")
def list_complaints(
    db: DbDep,
    principal: Reader,
    status: Annotated[Literal["due", "overdue"] | None, Query(description="due soon or overdue")] = None,
    jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    after: Annotated[str | None, Query(description="complaint id: cases after it")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    prefix = narrowed_prefix(principal, jurisdiction)
    cases = ComplaintRepository(db).list_cases(
        code_prefix=prefix, due_status=DUE_STATUS[status] if status else None, limit=limit, after=after
    )
    next_after = cases[-1].complaint_id if len(cases) == limit else None
    return {"items": [complaint_view(case) for case in cases], "next_after": next_after}
