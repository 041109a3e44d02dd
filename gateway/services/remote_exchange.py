"""Remote evaluation across nodes: guests take the session in, the host takes the guests' events in.

The session record goes straight to every guest venue's node, and every event to the host's node and
to the node of the venue it concerns (config/routing.json, `direct`). A node that covers a guest
venue indexes an arriving session, so the guest department records its own events (check-in,
misconduct, handover, answers) at its own node; a node holding the session indexes arriving events.
At the host, a guest's handover or answer also meets the host's open duty, as it would have had the
guest recorded it at the host. The host's view of a session lists, per guest node, the delivery of
the session and that node's signed receipt (its acknowledgement).

Sequences: each node numbers the events it records after the last it holds, and an arriving event
moves that number on, so the records of one session keep distinct keys as long as each side has
seen the other's events before recording its own; an event whose number is taken here is indexed
under the next free one (its record keeps its own).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from gateway.services.complaint_exchange import competent_node
from gateway.services.deadline_rules import DuePolicy
from gateway.services.identity import NodeIdentity
from gateway.services.remote_context import EventContext
from gateway.services.remote_errors import ExpertInTwoVenuesError, UnknownVenueError
from gateway.services.remote_events import GUEST_ONLY, prepare_event
from gateway.store.models.remote_evaluation import RemoteEvent, RemoteSeat, RemoteSession
from gateway.store.repositories.exchange import ExchangeRepository
from gateway.store.repositories.remote_evaluation import RemoteEvaluationRepository
from schemas.errors import GatewayError
from signing.directory import Directory

log = logging.getLogger(__name__)


def index_session(db: Session, payload: Mapping[str, Any], envelope_id: str, seats: list[RemoteSeat]
                  ) -> RemoteSession:
    start = datetime.fromisoformat(payload["scheduled_start"])
    row = RemoteSession(session_id=payload["session_id"], host_region=payload["host"]["region_code"],
                        envelope_id=envelope_id, scheduled_start=start, last_sequence=0,
                        payload=dict(payload))
    RemoteEvaluationRepository(db).add_session(row, seats)
    return row


def index_event(db: Session, payload: Mapping[str, Any], *, envelope_id: str, sequence: int,
                jurisdiction: str) -> None:
    RemoteEvaluationRepository(db).add_event(RemoteEvent(
        session_id=payload["session_id"], sequence=sequence, kind=payload["kind"], envelope_id=envelope_id,
        jurisdiction=jurisdiction, occurred_at=datetime.fromisoformat(payload["occurred_at"]),
        venue_code=payload.get("venue_code"), expert_id=payload.get("expert_id"),
        fault_id=payload.get("fault_id"), fault_phase=payload.get("fault_phase"),
        investigation_id=payload.get("investigation_id")))


def seats_of(payload: Mapping[str, Any]) -> list[RemoteSeat]:
    """The seats of a session, refused when one names an unknown venue or seats an expert twice."""
    regions = {venue["venue_code"]: venue["region_code"] for venue in [payload["host"], *payload["guests"]]}
    venue_of: dict[str, str] = {}
    seats: list[RemoteSeat] = []
    for index, seat in enumerate(payload.get("seats") or []):
        pointer = f"/seats/{index}"
        if seat["venue_code"] not in regions:
            raise UnknownVenueError(
                f"seat {seat['seat_no']}: venue {seat['venue_code']} is not in the session",
                details=[{"pointer": f"{pointer}/venue_code", "code": UnknownVenueError.code,
                          "message": "not a venue of this session"}])
        held = venue_of.setdefault(seat["expert_id"], seat["venue_code"])
        if len(venue_of) <= len(seats):
            code = ExpertInTwoVenuesError.code
            raise ExpertInTwoVenuesError(
                f"an expert is seated twice (venues {held} and {seat['venue_code']})",
                details=[{"pointer": f"{pointer}/expert_id", "code": code,
                          "message": "one expert sits in one venue, on one seat"}])
        seats.append(RemoteSeat(session_id=payload["session_id"], expert_id=seat["expert_id"],
                                venue_code=seat["venue_code"], region_code=regions[seat["venue_code"]],
                                seat_no=seat["seat_no"]))
    return seats


def take_received(db: Session, *, node: NodeIdentity, directory: Directory,
                  envelopes: list[tuple[str, Mapping[str, Any]]], now: datetime) -> None:
    """Index the remote evaluation records among `(envelope id, envelope)` just appended from a peer."""
    repo = RemoteEvaluationRepository(db)
    for envelope_id, envelope in envelopes:
        payload = envelope["payload"]
        session = repo.session(payload["session_id"], for_update=True)
        if envelope["type"] == "remote_evaluation":
            if session is None and _is_participant(node, directory, payload):
                index_session(db, payload, envelope_id, seats_of(payload))
            continue
        if session is None:
            continue
        wanted = int(payload["sequence"])
        sequence = wanted if repo.event(session.session_id, wanted) is None else session.last_sequence + 1
        index_event(db, payload, envelope_id=envelope_id, sequence=sequence,
                    jurisdiction=envelope["jurisdiction"])
        session.last_sequence = max(session.last_sequence, sequence)
        if payload["kind"] in GUEST_ONLY and competent_node(directory, session.host_region) == node.node_id:
            _meet_host_duties(db, node, session, payload, envelope_id, now)


def acknowledgements(db: Session, session: RemoteSession, directory: Directory | None
                     ) -> list[dict[str, Any]]:
    """Per guest venue: the node the session went to, and that node's signed receipt once it came."""
    exchange = ExchangeRepository(db)
    found = []
    for guest in session.payload["guests"]:
        target = competent_node(directory, guest["region_code"])
        delivery = None if target is None else exchange.get_by_envelope(session.envelope_id, target)
        receipt = None if delivery is None or delivery.receipt is None else orjson.loads(delivery.receipt)
        found.append({"venue_code": guest["venue_code"], "region_code": guest["region_code"], "node": target,
                      "delivery": None if delivery is None else delivery.status,
                      "receipt": receipt})
    return found


def _is_participant(node: NodeIdentity, directory: Directory, payload: Mapping[str, Any]) -> bool:
    venues = [payload["host"], *payload["guests"]]
    return any(competent_node(directory, venue["region_code"]) == node.node_id for venue in venues)


def _meet_host_duties(db: Session, node: NodeIdentity, session: RemoteSession, payload: Mapping[str, Any],
                      envelope_id: str, now: datetime) -> None:
    context = EventContext(db=db, node=node, session=session, payload=dict(payload),
                           sequence=int(payload["sequence"]), side=payload.get("venue_code"), now=now,
                           policy=DuePolicy.default())
    try:
        prepared = prepare_event(context)
        if prepared.after is not None:
            prepared.after(envelope_id)
    except GatewayError as exc:  # the event stays held and listed; only the duty is left for a person
        log.warning("event %s of %s meets no duty here: %s", payload["sequence"], session.session_id, exc)
