"""Delivering one outbox stream: the next batch in order, sent, its answer recorded (sync.answer).

`deliver()` is the one place a delivery changes state; Celery tasks, the in-process relay and the
file exchange all go through it or its three steps. `claim` takes the PENDING head of the
(destination, stream) stream and locks the contiguous run after it (SKIP LOCKED: a run another
worker holds is left to it); `send` posts the run as one batch; `record` judges the answer in the
caller's transaction and raises an alert (kind `delivery.failed`) for every run that FAILED.

A FAILED row the receiver never took holds the stream back (the receiver numbers without gaps)
until `ggzy exchange retry`; that is the point of failing loudly rather than skipping.

On PostgreSQL the three steps run in one transaction, so the row locks cover the request. SQLite
has no row locks and one writer: a read transaction there cannot turn into a write once another
writer has committed, so the relay claims in one short transaction and records in a second one
that takes the write lock first and drops the run if another process recorded it meanwhile.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gateway.store.models.exchange import PENDING
from gateway.store.repositories.exchange import ExchangeRepository, OutgoingDelivery
from signing.directory import Directory, UnknownNodeError
from sync.answer import JITTER, AlertSink, DeliveryReport, Failure, Judge, RetryPolicy
from sync.transport import Answer, Batch, Transport, TransportError

__all__ = ["AlertSink", "Claim", "DeliveryReport", "Failure", "RetryPolicy", "Sent", "claim", "deliver",
           "record", "record_answer", "send"]


@dataclass(frozen=True)
class Claim:
    outbox_id: int
    rows: list[OutgoingDelivery]


@dataclass(frozen=True)
class Sent:
    """What became of a claimed run: an answer, no answer (`error`), or not sendable (`refusal`)."""

    rows: list[OutgoingDelivery]
    finished_at: datetime
    answer: Answer | None = None
    error: str | None = None
    refusal: tuple[str, str] | None = None


def deliver(db: Session, *, outbox_id: int | None = None, delivery_id: int | None = None,
            transport: Transport, directory: Directory, node_id: str, now: datetime,
            policy: RetryPolicy | None = None, rng: random.Random | None = None,
            alerts: AlertSink | None = None) -> DeliveryReport:
    """Send the next batch of the stream of `outbox_id` (or of the stream `delivery_id` belongs to)."""
    policy = policy or RetryPolicy()
    claimed = claim(db, outbox_id=outbox_id, delivery_id=delivery_id, now=now, batch_size=policy.batch_size)
    if isinstance(claimed, DeliveryReport):
        return claimed
    sent = send(claimed, transport=transport, directory=directory, now=now)
    return record(db, claimed, sent, directory=directory, node_id=node_id, now=now, policy=policy, rng=rng,
                  alerts=alerts)


def claim(db: Session, *, outbox_id: int | None = None, delivery_id: int | None = None, now: datetime,
          batch_size: int = 1000) -> Claim | DeliveryReport:
    """The run to send next, locked; or a report saying why there is none now."""
    repo = ExchangeRepository(db)
    if delivery_id is None:
        if outbox_id is None:
            raise ValueError("give exactly one of outbox_id and delivery_id")
        stream_id = outbox_id
    else:
        if outbox_id is not None:
            raise ValueError("give exactly one of outbox_id and delivery_id")
        locked = repo.lock_delivery(delivery_id)
        if locked is None:
            return DeliveryReport(None, "busy")
        stream_id, status = locked
        if status != PENDING:
            return DeliveryReport(stream_id, "done")
    head = repo.head(stream_id)
    if head is None:
        return DeliveryReport(stream_id, "idle")
    if head.next_attempt_at > now:
        return DeliveryReport(stream_id, "waiting", retry_at=head.next_attempt_at)
    rows = repo.lock_batch(stream_id, from_seq=head.seq, limit=batch_size)
    if not rows or rows[0].seq != head.seq:
        return DeliveryReport(stream_id, "busy")
    return Claim(stream_id, _contiguous(rows))


def send(claimed: Claim, *, transport: Transport, directory: Directory, now: datetime) -> Sent:
    """Post the run (no database work here)."""
    rows = claimed.rows
    try:
        endpoint = directory.node(rows[0].target_node).endpoint
    except UnknownNodeError as exc:
        return Sent(rows, now, refusal=("directory.unknown_node", exc.message))
    sendable = _until_missing(rows)
    if not sendable:
        return Sent(rows[:1], now, refusal=("exchange.missing_leaf", "the log holds no envelope of this id"))
    started = time.monotonic()
    leaves = [row.leaf or b"" for row in sendable]
    batch = Batch(rows[0].target_node, endpoint, rows[0].stream, rows[0].seq, leaves)
    try:
        answer = transport.send(batch, now=now)
    except TransportError as exc:
        return Sent(sendable, _after(now, started), error=f"exchange.unreachable: {exc}")
    return Sent(sendable, _after(now, started), answer=answer)


def record(db: Session, claimed: Claim, sent: Sent, *, directory: Directory, node_id: str, now: datetime,
           policy: RetryPolicy | None = None, rng: random.Random | None = None,
           alerts: AlertSink | None = None, recheck: bool = False) -> DeliveryReport:
    """Judge `sent` in `db`'s transaction. `recheck`: the claim was made in an earlier transaction."""
    repo = ExchangeRepository(db)
    rows = sent.rows
    if recheck:
        repo.touch(rows[0].id)  # the write lock first: what is read next stays true until the commit
        if repo.states([row.id for row in rows]) != {row.id: (PENDING, row.attempts) for row in rows}:
            return DeliveryReport(claimed.outbox_id, "busy")  # recorded meanwhile by someone else
    judge = Judge(repo, rows, node_id=node_id, now=now, policy=policy or RetryPolicy(), rng=rng or JITTER,
                  directory=directory, finished_at=sent.finished_at,
                  http_status=sent.answer.status if sent.answer else None)
    if sent.refusal is not None:
        judge.report.sent = 0
        judge.fail(rows, *sent.refusal)
    elif sent.answer is None:
        judge.retry(rows, sent.error or "exchange.unreachable")
    else:
        judge.judge(sent.answer)
    return _finish(db, repo, judge, alerts, now)


def record_answer(db: Session, *, rows: list[OutgoingDelivery], answer: Answer, directory: Directory,
                  node_id: str, now: datetime, policy: RetryPolicy | None = None,
                  alerts: AlertSink | None = None) -> DeliveryReport:
    """Judge an answer that came back another way (a receipts file) for `rows`, sent as one batch."""
    repo = ExchangeRepository(db)
    judge = Judge(repo, rows, node_id=node_id, now=now, policy=policy or RetryPolicy(), rng=JITTER,
                  directory=directory, http_status=answer.status)
    judge.judge(answer)
    return _finish(db, repo, judge, alerts, now)


def _finish(db: Session, repo: ExchangeRepository, judge: Judge, alerts: AlertSink | None,
            now: datetime) -> DeliveryReport:
    if judge.failures and alerts is not None:
        alerts(db, failures=judge.failures, now=now)
    db.flush()
    after = repo.head(judge.rows[0].outbox_id)
    judge.report.more = after is not None and after.next_attempt_at <= now
    return judge.report


def _after(now: datetime, started: float) -> datetime:
    return now + timedelta(seconds=time.monotonic() - started)


def _contiguous(rows: list[OutgoingDelivery]) -> list[OutgoingDelivery]:
    """The rows up to the first hole in the numbering: the receiver numbers what it gets densely."""
    for index in range(1, len(rows)):
        if rows[index].seq != rows[index - 1].seq + 1:
            return rows[:index]
    return rows


def _until_missing(rows: list[OutgoingDelivery]) -> list[OutgoingDelivery]:
    for index, row in enumerate(rows):
        if row.leaf is None:
            return rows[:index]
    return rows
