"""The exchange between nodes: peers deliver envelopes here (push) and read what is routed to them (pull).

Only peers call these routes, each with a token it signed itself (gateway.services.peer_auth). A
token this node issued to one of its users (an auditor's, an admin's) is refused with 403 whatever
its role: node-issued tokens never write here. Every refused call is recorded, and alerted once per
claimed caller, reason and hour, in a transaction of its own, since the request's is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from gateway.body import parse_json, read_limited
from gateway.deps import DbDep, NodeDep, NowDep, SettingsDep
from gateway.routes.federation import HeldDirectoryDep
from gateway.services.auth import ForbiddenError, authenticate
from gateway.services.exchange_alert import record_refused_call
from gateway.services.identity import NodeIdentity
from gateway.services.inbox import (
    DEFAULT_STREAM,
    MAX_BATCH,
    ExchangeRequestError,
    check_batch,
    check_request,
    receive_checked,
)
from gateway.services.peer_auth import MAX_PEER_TOKEN_TTL, PeerPrincipal, authenticate_peer
from gateway.services.peer_replay import DeferredReplayGuard
from gateway.services.pull import routed_feed
from schemas.errors import GatewayError
from signing.canonical import canonicalize
from signing.keys import b64url_decode

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])
NDJSON = "application/x-ndjson"
_REFUSED_CALL: dict[int | str, dict[str, Any]] = {
    401: {"description": "auth.*, peer.* (bad, expired, replayed token; unknown, revoked key)"},
    403: {"description": "auth.forbidden (a node-issued token), peer.unknown_node, peer.key_mismatch"},
    503: {"description": "federation.no_directory"},
}


@dataclass(frozen=True)
class PeerCall:
    principal: PeerPrincipal
    guard: DeferredReplayGuard


def get_exchange_peer(request: Request, held: HeldDirectoryDep, db: DbDep, node: NodeDep, now: NowDep,
                      settings: SettingsDep) -> PeerCall:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else None
    guard = DeferredReplayGuard(request.app.state.session_factory)
    with _refusals_recorded(request, db, node, now, token):
        if token and _header_typ(token) == "JWT":
            authenticate(node, token, now=now)
            raise ForbiddenError("a token this node issued is not a peer token: peers sign their own")
        principal = authenticate_peer(
            held.current(now), token, receiver_id=node.node_id, now=now, replay_guard=guard,
            max_ttl=min(settings.auth.peer_token_max_ttl, MAX_PEER_TOKEN_TTL))
    request.state.peer = principal
    return PeerCall(principal, guard)


PeerDep = Annotated[PeerCall, Depends(get_exchange_peer)]


async def _body(request: Request, peer: PeerDep) -> bytes:
    return await read_limited(request)


@router.post(
    "/envelopes",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "a signed receipt per envelope, in order"},
        400: {"description": "request.malformed_json"},
        409: {"description": "exchange.gap (member expected_seq: resend from there)"},
        413: {"description": "request.too_large"},
        422: {"description": "exchange.bad_request"},
        **_REFUSED_CALL,
    },
)
def deliver_envelopes(
    request: Request, db: DbDep, node: NodeDep, now: NowDep, held: HeldDirectoryDep, peer: PeerDep,
    body: Annotated[bytes, Depends(_body)],
) -> Response:
    """`{"stream", "first_seq", "envelopes": [...]}` → `{"receipts": [...], "next_seq": n}`.

    Refusals of single envelopes are receipts of status `refused`, inside a 200.
    """
    stream, first_seq, envelopes, parsed = _batch(parse_json(body))
    directory = held.current(now)
    check_request(stream=stream, first_seq=first_seq, count=len(envelopes))
    slots = check_batch(envelopes, first_seq=first_seq, directory=directory, now=now, parsed=parsed)
    with _refusals_recorded(request, db, node, now, peer.principal.node_id):
        peer.guard.record(db)
    receipts, next_seq = receive_checked(db, node=node, directory=directory, sender=peer.principal.node_id,
                                         stream=stream, first_seq=first_seq, slots=slots, now=now)
    # The receipts are the stored bytes; the answer is built around them, never re-serialized.
    answer = b'{"receipts":[' + b",".join(receipts) + b'],"next_seq":' + str(next_seq).encode() + b"}"
    return Response(answer, media_type="application/json")


@router.get("/feed", response_class=Response, responses={200: {"content": {NDJSON: {}}}, **_REFUSED_CALL})
def read_routed_feed(
    request: Request, db: DbDep, node: NodeDep, now: NowDep, peer: PeerDep,
    after: Annotated[int, Query(ge=-1, description="last index already read; -1 = from index 0")] = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_BATCH)] = MAX_BATCH,
) -> Response:
    """The envelopes of this log that push would send to the calling peer, as `{"index", "envelope"}`
    lines in log order. `X-Next-After` is where the next page starts, even when this one is empty
    because nothing in the range was for the caller; `X-Log-Size` is the size of this log."""
    with _refusals_recorded(request, db, node, now, peer.principal.node_id):
        peer.guard.record(db)
    page = routed_feed(db, peer=peer.principal.node_id, after=after, limit=limit)
    lines = b"".join(b'{"index":%d,"envelope":%s}\n' % (index, leaf) for index, leaf in page.lines)
    headers = {"X-Next-After": str(page.next_after), "X-Log-Size": str(page.log_size)}
    return Response(lines, media_type=NDJSON, headers=headers)


@contextmanager
def _refusals_recorded(request: Request, db: Session, node: NodeIdentity, now: datetime,
                       token_or_caller: str | None) -> Iterator[None]:
    """A refused call (401, 403) is recorded and alerted in a transaction of its own, then raised."""
    try:
        yield
    except GatewayError as exc:
        if exc.status in (401, 403):
            claimed = (token_or_caller if token_or_caller and token_or_caller.isdigit()
                       else _claimed_issuer(token_or_caller))
            # The request's transaction goes anyway; ending it first frees SQLite's writer lock.
            db.rollback()
            with request.app.state.session_factory() as session, session.begin():
                record_refused_call(session, node=node, claimed=claimed, code=exc.code, message=exc.message,
                                    now=now)
        raise


def _batch(data: Any) -> tuple[str, int, list[bytes], list[dict[str, Any] | None]]:
    """(stream, first_seq, each envelope's canonical bytes, each envelope parsed when it has those)."""
    if not isinstance(data, dict):
        raise ExchangeRequestError('expected {"stream", "first_seq", "envelopes": [...]}')
    unknown = sorted(set(data) - {"stream", "first_seq", "envelopes"})
    if unknown:
        raise ExchangeRequestError(f"unknown members {unknown}")
    stream, first_seq = data.get("stream", DEFAULT_STREAM), data.get("first_seq")
    envelopes = data.get("envelopes")
    if not isinstance(stream, str) or type(first_seq) is not int or not isinstance(envelopes, list):
        raise ExchangeRequestError("stream is a string, first_seq an integer, envelopes a list")
    if len(envelopes) > MAX_BATCH:
        raise ExchangeRequestError(f"at most {MAX_BATCH} envelopes per batch, not {len(envelopes)}")
    raws: list[bytes] = []
    objects: list[dict[str, Any] | None] = []
    for envelope in envelopes:
        # The canonical bytes are the sender's stored leaf, as it concatenated it into the body.
        try:
            raws.append(canonicalize(envelope))
            objects.append(envelope if isinstance(envelope, dict) else None)
        except GatewayError:
            raws.append(orjson.dumps(envelope))  # no canonical form: refused, named by the bytes it came as
            objects.append(None)
    return stream, first_seq, raws, objects


def _header_typ(token: str) -> str | None:
    try:
        header = orjson.loads(b64url_decode(token.split(".", 1)[0]))
    except (GatewayError, orjson.JSONDecodeError):
        return None
    typ = header.get("typ") if isinstance(header, dict) else None
    return typ if isinstance(typ, str) else None


def _claimed_issuer(token: str | None) -> str:
    """Who the token says it is from, unverified: for the refusal record only."""
    parts = token.split(".") if token else []
    try:
        claims = orjson.loads(b64url_decode(parts[1])) if len(parts) == 3 else None
    except (GatewayError, orjson.JSONDecodeError):
        claims = None
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) and issuer.isdigit() and len(issuer) <= 12 else ""


