"""A receiving node reduced to the wire contract of the inbox, for testing the sending side alone.

It numbers batches per (sender, stream) without gaps, answers a batch that starts too late with 409
`exchange.gap`, deduplicates on (origin, envelope id) and gives the original receipt bytes again,
signs receipts with its own key (signing.receipt), and counts what it appended. `script` holds
answers to give instead of processing, one per request; `refuse` names envelopes to refuse.
The same object serves as an in-process `Transport` and as an HTTP app (`asgi`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.services.peer_auth import authenticate_peer
from signing.canonical import canonicalize
from signing.directory import Directory
from signing.keys import SigningKey
from signing.receipt import sign_receipt
from sync.transport import INBOX_PATH, Answer, Batch, TransportError

CHINA_TZ = timezone(timedelta(hours=8))
Scripted = Answer | Exception


class MemoryReplayGuard:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def first_use(self, jti: str, *, issuer: str, expires_at: datetime) -> bool:
        if jti in self.seen:
            return False
        self.seen.add(jti)
        return True


@dataclass
class FakeReceiver:
    node_id: str
    key: SigningKey
    sender: str = ""  # who calls when used in-process (HTTP calls are authenticated instead)
    script: list[Scripted] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    expected: dict[tuple[str, str], int] = field(default_factory=dict)
    held: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    appended: list[str] = field(default_factory=list)
    received: Counter[str] = field(default_factory=Counter)
    batches: list[tuple[str, int, int]] = field(default_factory=list)  # (stream, first_seq, count)
    on_batch: Callable[[], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- in-process transport ----

    def send(self, batch: Batch, *, now: datetime) -> Answer:
        body = b"".join((b'{"stream":', orjson.dumps(batch.stream), b',"first_seq":',
                         str(batch.first_seq).encode(), b',"envelopes":[', b",".join(batch.leaves), b"]}"))
        return self.handle(self.sender, body, now=now)

    def handle(self, sender: str, body: bytes, *, now: datetime) -> Answer:
        if self.on_batch is not None:
            self.on_batch()
        with self.lock:
            if self.script:
                scripted = self.script.pop(0)
                if isinstance(scripted, Exception):
                    raise scripted
                return scripted
            return self._process(sender, orjson.loads(body), now)

    def _process(self, sender: str, batch: dict[str, object], now: datetime) -> Answer:
        stream, first, envelopes = batch["stream"], batch["first_seq"], batch["envelopes"]
        assert isinstance(stream, str)
        assert isinstance(first, int)
        assert isinstance(envelopes, list)
        expected = self.expected.get((sender, stream), 0)
        if first > expected:
            return problem(409, "exchange.gap", expected_seq=expected)
        self.batches.append((stream, first, len(envelopes)))
        receipts = [self._take(sender, envelope, now) for envelope in envelopes]
        next_seq = max(expected, first + len(envelopes))
        self.expected[(sender, stream)] = next_seq
        body = b'{"receipts":[' + b",".join(receipts) + b'],"next_seq":' + str(next_seq).encode() + b"}"
        return Answer(200, body)

    def _take(self, sender: str, envelope: dict[str, object], now: datetime) -> bytes:
        leaf = canonicalize(envelope)
        digest = "sha256:" + hashlib.sha256(leaf).hexdigest()
        eid, origin = str(envelope["id"]), str(envelope["origin"])
        self.received[eid] += 1
        stamp = {"envelope_id": eid, "origin": origin, "sender": sender, "receiver": self.node_id,
                 "digest": digest, "received_at": now.astimezone(CHINA_TZ).isoformat(timespec="seconds")}
        held = self.held.get((origin, eid))
        if held is not None:
            if held[0] == digest:
                return held[1]
            conflict = {**stamp, "status": "refused", "code": "exchange.conflicting_duplicate"}
            return sign_receipt(conflict, self.key)
        if eid in self.refuse:
            return sign_receipt({**stamp, "status": "refused", "code": self.refuse[eid]}, self.key)
        receipt = sign_receipt({**stamp, "status": "accepted", "log_index": len(self.appended)}, self.key)
        self.appended.append(eid)
        self.held[(origin, eid)] = (digest, receipt)
        return receipt

    def forget(self) -> None:
        """Lose every record of what was received (a node restored from an empty backup)."""
        with self.lock:
            self.expected.clear()
            self.held.clear()
            self.appended.clear()

    # ---- HTTP ----

    def asgi(self, directory: Directory, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
             ) -> Starlette:
        guard = MemoryReplayGuard()

        async def envelopes(request: Request) -> Response:
            now = clock()
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            try:
                peer = authenticate_peer(directory, token if scheme == "Bearer" else None,
                                         receiver_id=self.node_id, now=now, replay_guard=guard)
            except Exception as exc:  # the contract's 401/403 problem
                code = getattr(exc, "code", "peer.invalid_token")
                return as_response(problem(getattr(exc, "status", 401), code))
            body = await request.body()
            try:
                answer = self.handle(peer.node_id, body, now=now)
            except TransportError:
                return Response(b"", status_code=503)
            return as_response(answer)

        return Starlette(routes=[Route(INBOX_PATH, envelopes, methods=["POST"])])


def problem(status: int, code: str, **members: object) -> Answer:
    document = {"type": "about:blank", "title": code, "status": status, "detail": code, "code": code}
    return Answer(status, orjson.dumps({**document, **members}))


def as_response(answer: Answer) -> Response:
    media = "application/json" if answer.status == 200 else "application/problem+json"
    return Response(answer.body, status_code=answer.status, media_type=media)
