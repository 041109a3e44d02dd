"""Turning what a receiver answered into delivery state: receipts kept, retries scheduled, failures.

- 200: each receipt is verified with the receiver's keys from the directory and must name the
  envelope, the receiver, this sender and the digest of the bytes sent; accepted or duplicate →
  DELIVERED with the receipt bytes kept; refused → FAILED with the receiver's code.
- no answer, 408, 429, 5xx: transient; the run stays PENDING and waits a jittered exponential delay
  computed from the attempts stored (at least what Retry-After asks, at most `cap`).
- 409 `exchange.gap`: the receiver expects an earlier number, so the rows from there are sent again
  (they become PENDING); if one of them FAILED, the stream waits for an operator's retry.
- any other answer (3xx, 4xx): permanent; the run is FAILED.

Every attempt leaves one row per delivery in `delivery_attempts`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson
from sqlalchemy.orm import Session

from gateway.store.models.exchange import DELIVERED, FAILED, PENDING
from gateway.store.repositories.exchange import ExchangeRepository, OutgoingDelivery
from signing.canonical import canonicalize
from signing.directory import Directory
from signing.errors import SignatureError
from signing.receipt import verify_receipt
from sync.transport import Answer

GAP_CODE = "exchange.gap"
TRANSIENT_STATUSES = frozenset({408, 429})
# Jitter only spreads retries out in time; nothing secret depends on it.
JITTER = random.Random()  # noqa: S311


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=10)
    batch_size: int = 1000

    def delay(self, attempts: int, rng: random.Random, retry_after: float | None = None) -> timedelta:
        """Wait after the `attempts`-th failed try: half the exponential step fixed, half random."""
        cap = self.cap.total_seconds()
        step = min(cap, self.base.total_seconds() * 2 ** min(attempts - 1, 32))
        seconds = step / 2 + rng.uniform(0, step / 2)
        if retry_after is not None:
            seconds = max(seconds, min(retry_after, cap))
        return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Failure:
    """A run of deliveries to one destination that failed for good, for the alert."""

    target: str
    stream: str
    seqs: tuple[int, ...]
    envelope_ids: tuple[str, ...]
    record_types: tuple[str, ...]
    code: str
    message: str
    http_status: int | None = None


class AlertSink(Protocol):
    def __call__(self, db: Session, *, failures: Sequence[Failure], now: datetime) -> None: ...


@dataclass
class DeliveryReport:
    """outcome: sent (a batch went out), idle (nothing pending), waiting (the head is not due),
    busy (another worker holds the head, or no such delivery), done (the delivery asked for is no
    longer PENDING)."""

    outbox_id: int | None
    outcome: str
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    retry_at: datetime | None = None
    more: bool = False
    errors: list[str] = field(default_factory=list)


class Judge:
    """One batch sent: the changes and attempt rows its answer leads to, in the caller's transaction."""

    def __init__(self, repo: ExchangeRepository, rows: list[OutgoingDelivery], *, node_id: str, now: datetime,
                 policy: RetryPolicy, rng: random.Random, directory: Directory,
                 finished_at: datetime | None = None, http_status: int | None = None) -> None:
        self.repo, self.rows, self.node_id, self.now = repo, rows, node_id, now
        self.policy, self.rng, self.directory = policy, rng, directory
        self.target, self.stream, self.first_seq = rows[0].target_node, rows[0].stream, rows[0].seq
        self.report = DeliveryReport(rows[0].outbox_id, "sent", sent=len(rows))
        self.failures: list[Failure] = []
        self.http_status = http_status
        self.finished_at = finished_at or now

    def judge(self, answer: Answer) -> None:
        status = answer.status
        if 200 <= status < 300:
            self.take_receipts(answer.body)
        elif status == 409 and _problem(answer.body).get("code") == GAP_CODE:
            self.resend_from(_problem(answer.body).get("expected_seq"))
        elif status in TRANSIENT_STATUSES or status >= 500:
            self.retry(self.rows, f"http.{status}: {_problem_text(answer.body)}", answer.retry_after)
        else:
            problem = _problem(answer.body)
            self.fail(self.rows, str(problem.get("code") or f"http.{status}"), _problem_text(answer.body))

    def take_receipts(self, body: bytes) -> None:
        try:
            receipts = orjson.loads(body)["receipts"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            receipts = None
        if not isinstance(receipts, list) or len(receipts) != len(self.rows):
            self.retry(self.rows, "exchange.bad_answer: the answer does not hold one receipt per envelope")
            return
        keyring = self.directory.node_keyring(self.target, self.now)
        changes: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        refused: dict[str, list[OutgoingDelivery]] = {}
        unverified: list[OutgoingDelivery] = []
        reason = ""
        for row, receipt in zip(self.rows, receipts, strict=True):
            try:
                opened = verify_receipt(receipt, keyring)
                problem = self._mismatch(row, opened)
                stored = canonicalize(receipt)
            except SignatureError as exc:
                # Most likely a receiver key this node's directory does not list yet: ask again later.
                unverified.append(row)
                reason = exc.message
                continue
            if problem is not None:
                self.fail([row], "exchange.receipt_mismatch", problem)
            elif opened["status"] == "refused":
                refused.setdefault(opened["code"], []).append(row)
            else:
                changes.append({"id": row.id, "status": DELIVERED, "attempts": row.attempts + 1,
                                "receipt": stored, "delivered_at": self.now, "last_error": None})
                attempts.append(self._attempt(row, "delivered" if opened["status"] == "accepted"
                                              else "duplicate"))
        self.repo.apply(changes)
        self.repo.add_attempts(attempts)
        self.report.delivered += len(changes)
        if unverified:
            self.retry(unverified, f"exchange.bad_receipt: {reason}")
        for code, rows in refused.items():
            self.fail(rows, code, "refused by the receiver", outcome="refused")

    def resend_from(self, expected: Any) -> None:
        if type(expected) is not int or not 0 <= expected < self.first_seq:
            self.retry(self.rows, f"{GAP_CODE}: the receiver expects seq {expected!r}, "
                                  f"not an earlier one than {self.first_seq}")
            return
        held = self.repo.statuses_between(self.rows[0].outbox_id, expected, self.first_seq)
        missing = [seq for seq in range(expected, self.first_seq) if seq not in held]
        failed = [seq for seq, (_, status) in held.items() if status == FAILED]
        if missing or failed:
            why = (f"seq {min(failed)} FAILED (ggzy exchange retry)" if failed
                   else f"seq {missing[0]} is not held here")
            self.retry(self.rows, f"{GAP_CODE}: the receiver expects seq {expected}; {why}")
            return
        self.repo.apply([{"id": delivery_id, "status": PENDING, "next_attempt_at": self.now}
                         for delivery_id, status in held.values() if status == DELIVERED])
        self.repo.apply([{"id": row.id, "attempts": row.attempts + 1, "next_attempt_at": self.now,
                          "last_error": f"{GAP_CODE}: resent from seq {expected}"} for row in self.rows])
        self.repo.add_attempts([self._attempt(row, "gap", f"{GAP_CODE}: expected {expected}")
                                for row in self.rows])
        self.report.retrying += len(self.rows)

    def retry(self, rows: Sequence[OutgoingDelivery], error: str, retry_after: float | None = None) -> None:
        wait = self.policy.delay(rows[0].attempts + 1, self.rng, retry_after)
        at = self.now + wait
        self.repo.apply([{"id": row.id, "attempts": row.attempts + 1, "next_attempt_at": at,
                          "last_error": error} for row in rows])
        self.repo.add_attempts([self._attempt(row, "transient", error) for row in rows])
        self.report.retrying += len(rows)
        self.report.retry_at = min(filter(None, (self.report.retry_at, at)))
        self.report.errors.append(error)

    def fail(self, rows: Sequence[OutgoingDelivery], code: str, message: str, *, outcome: str = "permanent"
             ) -> None:
        error = f"{code}: {message}"
        self.repo.apply([{"id": row.id, "status": FAILED, "attempts": row.attempts + 1, "last_error": error}
                         for row in rows])
        self.repo.add_attempts([self._attempt(row, outcome, error) for row in rows])
        self.report.failed += len(rows)
        self.report.errors.append(error)
        self.failures.append(Failure(
            self.target, self.stream, tuple(row.seq for row in rows), tuple(row.envelope_id for row in rows),
            tuple(row.record_type or "" for row in rows), code, message, self.http_status))

    def _mismatch(self, row: OutgoingDelivery, receipt: dict[str, Any]) -> str | None:
        expected = {"envelope_id": row.envelope_id, "receiver": self.target, "sender": self.node_id}
        if receipt["status"] != "refused":
            expected["digest"] = "sha256:" + hashlib.sha256(row.leaf or b"").hexdigest()
        for name, value in expected.items():
            if receipt.get(name) != value:
                return f"the receipt names {name} {receipt.get(name)!r}, not {value!r}"
        return None

    def _attempt(self, row: OutgoingDelivery, outcome: str, error: str | None = None) -> dict[str, Any]:
        return {"delivery_id": row.id, "number": row.attempts + 1, "started_at": self.now,
                "finished_at": self.finished_at, "outcome": outcome, "http_status": self.http_status,
                "error": error}


def _problem(body: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _problem_text(body: bytes) -> str:
    problem = _problem(body)
    text = problem.get("detail") or problem.get("title") or body[:200].decode("utf-8", "replace")
    return str(text)[:500]
