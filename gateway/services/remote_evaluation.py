"""Remote off-site evaluation (远程异地评标) sessions on one node: registration, events, reading.

The host (主场) department registers a session with its venues and seats; both sides then record
events (remote_events.py says what each kind checks and which duties it starts or meets). Who acts
is told by the caller's jurisdiction: a caller inside a guest venue's region acts as that guest,
one inside the host's region as the host; an admin acts for either. Sessions and events are signed
records appended through the standard ingest; the tables only index them.

Registering and recording take the log's writer lock before they read anything: what they read
(the session, its sequence, its duties) cannot change before their write, the lock order is the
inbox's (log, then session rows), and on SQLite a read snapshot never goes stale before the write (a
stale snapshot cannot be upgraded to a writer: the request would fail with "database is locked" when
an arrival, the relay or the tick wrote in between).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.services.deadline_rules import DuePolicy
from gateway.services.identity import NodeIdentity
from gateway.services.remote_context import EventContext
from gateway.services.remote_errors import (
    DuplicateVenueError,
    NotHostError,
    NotParticipantError,
    SessionExistsError,
    UnknownSessionError,
)
from gateway.services.remote_events import prepare_event
from gateway.services.remote_exchange import acknowledgements, index_event, index_session, seats_of
from gateway.services.workflow_records import append_record, stamp
from gateway.store.models.remote_evaluation import RemoteSession
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.remote_evaluation import ObligationRepository, RemoteEvaluationRepository
from schemas.errors import NotFoundError
from schemas.regions import is_within
from schemas.registry import validate_payload
from sync.publish import current_directory

REMOTE_SOURCE = "remote_evaluation"


@dataclass
class EventResult:
    sequence: int
    envelope_id: str
    kind: str
    jurisdiction: str
    obligations_created: list[str] = field(default_factory=list)
    obligations_fulfilled: list[str] = field(default_factory=list)
    fault: dict[str, Any] | None = None


def register_session(db: Session, *, node: NodeIdentity, session: Mapping[str, Any],
                     acting_region: str | None, now: datetime) -> RemoteSession:
    """`acting_region` is the caller's jurisdiction (None: an admin). Only the host registers."""
    payload = {"data_timestamp": stamp(now), **session}
    validate_payload("remote_evaluation", payload)
    host = payload["host"]
    if acting_region is not None and not is_within(acting_region, host["region_code"]):
        raise NotHostError("only the host venue's department registers a remote evaluation")
    venues = [host, *payload["guests"]]
    codes = [venue["venue_code"] for venue in venues]
    if len(set(codes)) != len(codes):
        raise DuplicateVenueError("venue codes must be unique within a session")
    LogRepository(db).lock_state()  # before any read: see the module docstring
    repo = RemoteEvaluationRepository(db)
    if repo.session(payload["session_id"]) is not None:
        raise SessionExistsError(f"remote evaluation {payload['session_id']} is already registered")
    seats = seats_of(payload)
    envelope_id = append_record(db, node=node, record_type="remote_evaluation",
                                jurisdiction=host["region_code"], payload=payload,
                                source_system=REMOTE_SOURCE, ref=payload["session_id"], now=now)
    return index_session(db, payload, envelope_id, seats)


def acting_side(session: Mapping[str, Any], acting_region: str | None) -> str | None:
    """The venue code of the guest the caller acts as, "host", or None for an admin."""
    if acting_region is None:
        return None
    for guest in session["guests"]:
        if is_within(acting_region, guest["region_code"]):
            return str(guest["venue_code"])
    if is_within(acting_region, session["host"]["region_code"]):
        return "host"
    raise NotParticipantError("the caller is neither the host nor a guest of this session")


def record_event(db: Session, *, node: NodeIdentity, session_id: str, event: Mapping[str, Any],
                 acting_region: str | None, now: datetime, policy: DuePolicy | None = None,
                 answer_by: str | None = None) -> EventResult:
    """Check the event against the session, append it, then start or meet the duties it bears on."""
    LogRepository(db).lock_state()  # before the session is read: see the module docstring
    repo = RemoteEvaluationRepository(db)
    session = repo.session(session_id, for_update=True)
    if session is None:
        raise UnknownSessionError(f"remote evaluation {session_id} is not registered here")
    sequence = session.last_sequence + 1
    payload = {**event, "session_id": session_id, "sequence": sequence, "data_timestamp": stamp(now),
               "host_region": session.host_region}
    context = EventContext(db=db, node=node, session=session, payload=payload, sequence=sequence,
                           side=acting_side(session.payload, acting_region), now=now,
                           policy=policy or DuePolicy.default(), answer_by=answer_by)
    prepared = prepare_event(context)
    payload["region_code"] = prepared.jurisdiction
    validate_payload("remote_evaluation.event", payload)
    envelope_id = append_record(db, node=node, record_type="remote_evaluation.event",
                                jurisdiction=prepared.jurisdiction, payload=payload,
                                source_system=REMOTE_SOURCE, ref=f"{session_id}#{sequence}", now=now)
    index_event(db, payload, envelope_id=envelope_id, sequence=sequence, jurisdiction=prepared.jurisdiction)
    session.last_sequence = sequence
    result = EventResult(sequence, envelope_id, payload["kind"], prepared.jurisdiction, fault=prepared.fault)
    if prepared.after is not None:
        created, fulfilled = prepared.after(envelope_id)
        result.obligations_created, result.obligations_fulfilled = created, fulfilled
    db.flush()
    return result


def session_view(db: Session, *, session_id: str, reader_region: str | None) -> dict[str, Any]:
    """The session, its seats, events, investigations and duties; 404 outside the reader's subtree."""
    repo = RemoteEvaluationRepository(db)
    session = repo.session(session_id)
    if session is None or not _visible(session.payload, reader_region):
        raise NotFoundError(f"remote evaluation {session_id} not found")
    return {
        "session_id": session.session_id, "envelope_id": session.envelope_id, "session": session.payload,
        "seats": [{"expert_id": s.expert_id, "venue_code": s.venue_code, "region_code": s.region_code,
                   "seat_no": s.seat_no} for s in repo.seats(session_id)],
        "events": [{"sequence": e.sequence, "kind": e.kind, "envelope_id": e.envelope_id,
                    "jurisdiction": e.jurisdiction, "occurred_at": stamp(e.occurred_at)}
                   for e in repo.events(session_id)],
        "investigations": [{"investigation_id": i.investigation_id, "experts": i.experts,
                            "concluded_at": None if i.concluded_at is None else stamp(i.concluded_at)}
                           for i in repo.investigations(session_id)],
        "obligations": [row.payload | {"envelope_id": row.envelope_id}
                        for row in ObligationRepository(db).of_subject(session_id)],
        "acknowledgements": acknowledgements(db, session, current_directory(datetime.now(UTC))),
    }


def _visible(session: Mapping[str, Any], reader_region: str | None) -> bool:
    if reader_region is None:
        return True
    regions = [session["host"]["region_code"], *(guest["region_code"] for guest in session["guests"])]
    return any(is_within(region, reader_region) or is_within(reader_region, region) for region in regions)
