"""Remote off-site evaluation sessions: register (host), read, record events (host or guest)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field

from gateway.deps import DbDep, NodeDep, NowDep, requires
from gateway.services.access_log import log_access
from gateway.services.auth import READ, Principal
from gateway.services.remote_evaluation import EventResult, record_event, register_session, session_view

router = APIRouter(prefix="/api/v1/remote-evaluations", tags=["remote evaluation"])
Writer = Annotated[Principal, Depends(requires("remote:write"))]
Reader = Annotated[Principal, Depends(requires(READ))]
REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "remote.not_host, remote.not_guest, remote.not_participant"},
    404: {"description": "remote.unknown_session"},
    409: {"description": "remote.session_exists, remote.investigation_state"},
    422: {"description": "record.invalid, remote.expert_in_two_venues, remote.unknown_expert, "
                         "remote.no_experts_there, calendar.no_data …"},
}


class SessionCreated(BaseModel):
    session_id: str
    envelope_id: str


class EventRecorded(BaseModel):
    sequence: int
    envelope_id: str
    kind: str
    jurisdiction: str
    obligations_created: list[str]
    obligations_fulfilled: list[str]
    fault: dict[str, Any] | None

    @classmethod
    def of(cls, result: EventResult) -> EventRecorded:
        return cls(sequence=result.sequence, envelope_id=result.envelope_id, kind=result.kind,
                   jurisdiction=result.jurisdiction, obligations_created=result.obligations_created,
                   obligations_fulfilled=result.obligations_fulfilled, fault=result.fault)


class EventBody(BaseModel):
    """An event as the `remote_evaluation.event` record without the fields the node assigns
    (session_id, sequence, data_timestamp, region_code); `answer_by` is a letter's answer date."""

    event: dict[str, Any]
    answer_by: str | None = Field(default=None, description="函告: the date the answer is due (YYYY-MM-DD)")


def _acting_region(principal: Principal) -> str | None:
    return None if principal.role == "admin" else principal.jurisdiction


@router.post("", status_code=201, response_model=SessionCreated, responses=REFUSALS)
def create_session(db: DbDep, node: NodeDep, now: NowDep, principal: Writer,
                   session: Annotated[dict[str, Any], Body()]) -> SessionCreated:
    """The host registers a session: venues (host, guests), seats (experts as keyed hashes), schedule."""
    row = register_session(db, node=node, session=session, acting_region=_acting_region(principal), now=now)
    return SessionCreated(session_id=row.session_id, envelope_id=row.envelope_id)


@router.get("/{session_id}", responses=REFUSALS)
def get_session(session_id: str, db: DbDep, node: NodeDep, now: NowDep, principal: Reader) -> dict[str, Any]:
    """The session with its seats, events, investigations and obligations."""
    view = session_view(db, session_id=session_id, reader_region=_acting_region(principal))
    log_access(db, node=node, principal=principal, resource="remote_evaluation", now=now, result_count=1,
               record_ids=[session_id])
    return view


@router.post("/{session_id}/events", status_code=201, response_model=EventRecorded, responses=REFUSALS)
def post_event(session_id: str, body: EventBody, db: DbDep, node: NodeDep, now: NowDep,
               principal: Writer) -> EventRecorded:
    result = record_event(db, node=node, session_id=session_id, event=body.event,
                          acting_region=_acting_region(principal), now=now, answer_by=body.answer_by)
    return EventRecorded.of(result)
