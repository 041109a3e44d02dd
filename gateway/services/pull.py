"""Pull as well as push: a node reads what a peer routed to it from the peer's log, from a cursor.

Serving side (`routed_feed`): the leaves of this log that the outbox routed to the calling peer, that
is exactly what push delivers to it, found through the deliveries table in log order. A page scans a
range of log indexes; `next_after` moves on even when nothing in the range was for the caller.

Reading side (`fetch_page`, then `take_page` in a transaction): the envelopes go through the very
receive path of push (inbox.take_envelopes) with the peer as sender, so they are checked, logged,
receipted (locally: the receipts are stored as if the peer had pushed them), forwarded and alerted
the same way, and a later push of the same envelopes gets duplicates. The cursor is the peer's log
index, kept per peer in `inbox_streams` under the stream PULL_STREAM (a name push cannot use); it
moves in the transaction that takes the page, so a crash between fetch and commit only fetches the
page again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import orjson
from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.services.inbox import MAX_BATCH, check_batch, take_envelopes
from gateway.services.peer_auth import issue_peer_token
from gateway.store.repositories.inbox import InboxRepository
from gateway.store.repositories.log import LogRepository
from schemas.errors import GatewayError
from signing.audit import split_feed_line
from signing.directory import Directory

# "~" opens the names push may not use (inbox.check_request), so no peer can move this cursor.
PULL_STREAM = "~pull"
FEED_PATH = "/api/v1/exchange/feed"


class PullError(GatewayError):
    code = "exchange.pull_failed"
    status = 502


@dataclass(frozen=True)
class FeedPage:
    lines: list[tuple[int, bytes]]  # (the peer's log index, the leaf bytes as the peer holds them)
    next_after: int
    log_size: int

    @property
    def done(self) -> bool:
        return self.next_after + 1 >= self.log_size


@dataclass
class PullCounts:
    pages: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    cursor: int = 0
    log_size: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"pages": self.pages, "received": sum(self.statuses.values()),
                **dict(sorted(self.statuses.items())), "cursor": self.cursor, "peer_log_size": self.log_size}


def routed_feed(db: Session, *, peer: str, after: int, limit: int) -> FeedPage:
    """Up to `limit` log indexes after `after`: the leaves among them routed to `peer`."""
    size = LogRepository(db).size()
    until = min(after + limit, size - 1)
    lines = InboxRepository(db).routed_leaves(peer, after=after, until=until) if until > after else []
    return FeedPage(lines, max(after, until), size)


def cursor_of(db: Session, peer: str) -> int:
    """The next index of `peer`'s log to read (0 before the first pull)."""
    return InboxRepository(db).next_seq(peer, PULL_STREAM) or 0


def fetch_page(client: httpx.Client, *, base_url: str, node: NodeIdentity, peer: str, after: int,
               now: datetime, limit: int = MAX_BATCH) -> FeedPage:
    """One page of `peer`'s routed feed over HTTP, with a fresh peer token (outside any transaction)."""
    token = issue_peer_token(node, audience=peer, now=now)
    try:
        response = client.get(base_url.rstrip("/") + FEED_PATH, params={"after": after, "limit": limit},
                              headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise PullError(f"cannot reach {base_url}: {exc}") from exc
    if response.status_code != 200:
        raise PullError(f"{base_url} answered {response.status_code}: {_problem(response.content)}")
    try:
        lines = [(line.index, line.envelope) for line in map(split_feed_line, response.content.splitlines())]
        return FeedPage(lines, int(response.headers["X-Next-After"]), int(response.headers["X-Log-Size"]))
    except (KeyError, ValueError) as exc:
        raise PullError(f"{base_url} sent an unreadable feed page: {exc}") from exc


def take_page(db: Session, *, node: NodeIdentity, directory: Directory, peer: str, page: FeedPage,
              now: datetime) -> PullCounts:
    """Receive one fetched page as a push from `peer` would be, and move the cursor past it."""
    slots = check_batch([leaf for _, leaf in page.lines], first_seq=None, directory=directory, now=now)
    for slot, (index, _) in zip(slots, page.lines, strict=True):
        slot.seq = index
    inbox = InboxRepository(db)
    frontier = LogRepository(db).lock_state()
    held = inbox.next_seq(peer, PULL_STREAM)
    cursor = held or 0
    # Lines below the cursor were taken by a pull that committed meanwhile.
    fresh = [slot for slot in slots if slot.seq is not None and slot.seq >= cursor]
    counts = PullCounts(pages=1, log_size=page.log_size)
    if fresh:
        receipts = take_envelopes(db, node=node, directory=directory, sender=peer, stream=PULL_STREAM,
                                  slots=fresh, frontier=frontier, replay_below=0, now=now)
        counts.statuses.update(orjson.loads(receipt)["status"] for receipt in receipts)
    counts.cursor = max(cursor, page.next_after + 1)
    if counts.cursor != held:
        inbox.set_next_seq(peer, PULL_STREAM, counts.cursor, known=held is not None, now=now)
    return counts


def _problem(body: bytes) -> str:
    try:
        problem = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace")
    if isinstance(problem, dict):
        return f"{problem.get('code')}: {problem.get('detail')}"
    return str(problem)[:200]
