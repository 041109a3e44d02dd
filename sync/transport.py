"""Sending a batch to a peer's inbox: `POST /api/v1/exchange/envelopes` with a fresh peer token.

The body is built by concatenating the stored leaf bytes (the envelopes exactly as the log holds
them, signature included): nothing is parsed or serialized again on the way out. The transport
only carries bytes and reports what came back; judging the answer is `sync.delivery`'s job.
A peer token is minted for every request (audience = the receiving node, two minutes, fresh jti),
so a resent request never reuses a token the receiver has already seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx
import orjson

from signing.keys import SigningKey
from signing.peer_token import mint_peer_token

INBOX_PATH = "/api/v1/exchange/envelopes"
# The peer-token contract of gateway/services/peer_auth.py (DESIGN.md §4.4), which checks what this mints.
MAX_BATCH = 1000


class TransportError(Exception):
    """No answer came back (connection refused or reset, timeout, DNS): always worth another try."""


@dataclass(frozen=True, slots=True)
class Batch:
    target: str
    endpoint: str
    stream: str
    first_seq: int
    leaves: Sequence[bytes]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    retry_after: float | None = None  # seconds, from a Retry-After header


class Transport(Protocol):
    def send(self, batch: Batch, *, now: datetime) -> Answer: ...


def inbox_body(stream: str, first_seq: int, leaves: Sequence[bytes]) -> bytes:
    if not 0 < len(leaves) <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} envelopes, not {len(leaves)}")
    return b"".join((b'{"stream":', orjson.dumps(stream), b',"first_seq":', str(first_seq).encode(),
                     b',"envelopes":[', b",".join(leaves), b"]}"))


class HttpTransport:
    """One keep-alive client per process; `timeout` bounds connect, read and write alike."""

    def __init__(self, *, node_id: str, key: SigningKey, timeout: float = 30.0,
                 client: httpx.Client | None = None) -> None:
        self.node_id, self.key = node_id, key
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, batch: Batch, *, now: datetime) -> Answer:
        token = mint_peer_token(self.node_id, self.key, audience=batch.target, now=now)
        url = batch.endpoint.rstrip("/") + INBOX_PATH
        body = inbox_body(batch.stream, batch.first_seq, batch.leaves)
        try:
            response = self.client.post(url, content=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        except httpx.TransportError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        return Answer(response.status_code, response.content,
                      retry_after(response.headers.get("retry-after"), now))

    def close(self) -> None:
        self.client.close()


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
