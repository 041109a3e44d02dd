"""The HTTP transport: a body of the stored leaves, a fresh peer token per request, the answer as is."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import httpx
import orjson
import pytest

from gateway.services.peer_auth import authenticate_peer
from signing.canonical import canonicalize
from signing.directory import Directory
from signing.keys import SigningKey
from signing.peer_token import mint_peer_token
from sync.transport import (
    INBOX_PATH,
    Batch,
    HttpTransport,
    TransportError,
    inbox_body,
    retry_after,
)
from tests.conftest import FIXED_NOW
from tests.sync.conftest import CITY, COUNTY
from tests.sync.fake_receiver import MemoryReplayGuard

LEAVES = [canonicalize({"id": "a", "n": 1}), canonicalize({"id": "b", "text": "中文"})]


class TestInboxBody:
    def test_leaves_are_concatenated_as_stored(self) -> None:
        body = inbox_body("records", 7, LEAVES)
        assert body == b'{"stream":"records","first_seq":7,"envelopes":[' + b",".join(LEAVES) + b"]}"
        assert orjson.loads(body)["envelopes"][1] == {"id": "b", "text": "中文"}

    @pytest.mark.parametrize("count", [0, 1001])
    def test_batch_size_is_bounded(self, count: int) -> None:
        with pytest.raises(ValueError, match="1 to 1000"):
            inbox_body("records", 0, [b"{}"] * count)


class TestPeerToken:
    def test_the_receiver_accepts_it_once(self, keys: dict[str, SigningKey], directory: Directory) -> None:
        token = mint_peer_token(COUNTY, keys[COUNTY], audience=CITY, now=FIXED_NOW)
        guard = MemoryReplayGuard()
        peer = authenticate_peer(directory, token, receiver_id=CITY, now=FIXED_NOW, replay_guard=guard)
        assert peer.node_id == COUNTY
        with pytest.raises(Exception, match="already used") as caught:
            authenticate_peer(directory, token, receiver_id=CITY, now=FIXED_NOW, replay_guard=guard)
        assert getattr(caught.value, "code", "") == "peer.replayed_token"

    def test_each_token_is_new_and_short_lived(self, keys: dict[str, SigningKey],
                                               directory: Directory) -> None:
        first = mint_peer_token(COUNTY, keys[COUNTY], audience=CITY, now=FIXED_NOW)
        assert first != mint_peer_token(COUNTY, keys[COUNTY], audience=CITY, now=FIXED_NOW)
        with pytest.raises(Exception, match="expired") as caught:
            authenticate_peer(directory, first, receiver_id=CITY, now=FIXED_NOW + timedelta(minutes=4),
                              replay_guard=MemoryReplayGuard())
        assert getattr(caught.value, "code", "") == "auth.expired"


class TestHttpTransport:
    def test_posts_to_the_inbox_with_a_token(self, keys: dict[str, SigningKey], directory: Directory) -> None:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200, content=b'{"receipts":[],"next_seq":9}', headers={"Retry-After": "5"})

        transport = HttpTransport(node_id=COUNTY, key=keys[COUNTY],
                                  client=httpx.Client(transport=httpx.MockTransport(handler)))
        answer = transport.send(Batch(CITY, "http://city.test/", "records", 7, LEAVES), now=FIXED_NOW)
        assert (answer.status, answer.body, answer.retry_after) == (200, b'{"receipts":[],"next_seq":9}', 5.0)
        [request] = seen
        assert str(request.url) == "http://city.test" + INBOX_PATH
        assert request.headers["content-type"] == "application/json"
        assert request.content == inbox_body("records", 7, LEAVES)
        token = request.headers["authorization"].removeprefix("Bearer ")
        peer = authenticate_peer(directory, token, receiver_id=CITY, now=FIXED_NOW,
                                 replay_guard=MemoryReplayGuard())
        assert peer.node_id == COUNTY
        transport.close()

    def test_no_answer_is_a_transport_error(self, keys: dict[str, SigningKey]) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        transport = HttpTransport(node_id=COUNTY, key=keys[COUNTY],
                                  client=httpx.Client(transport=httpx.MockTransport(handler)))
        with pytest.raises(TransportError, match="ConnectError"):
            transport.send(Batch(CITY, "http://city.test", "records", 0, LEAVES), now=FIXED_NOW)


class TestRetryAfter:
    def test_seconds_and_dates(self) -> None:
        assert retry_after("120", FIXED_NOW) == 120.0
        assert retry_after(format_datetime(FIXED_NOW + timedelta(seconds=30), usegmt=True), FIXED_NOW) == 30.0
        assert retry_after(format_datetime(FIXED_NOW - timedelta(seconds=30), usegmt=True), FIXED_NOW) == 0.0

    @pytest.mark.parametrize("value", [None, "", "soon", "-5", "Sun, 99 Foo 2026 00:00:00"])
    def test_nonsense_is_ignored(self, value: str | None) -> None:
        assert retry_after(value, FIXED_NOW) is None
