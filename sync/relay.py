"""The in-process relay of the embedded default: one background thread draining the due outbox streams.

It runs where no broker is configured, with the same `deliver()` as the Celery tasks. A commit that
wrote deliveries wakes it at once; otherwise it looks again when the earliest waiting delivery falls
due, and at least every `sync.sweep_interval`, which is also what picks up deliveries written by
other processes (`ggzy ingest`) on the same database. Each batch is its own transaction (two on
SQLite: see sync.delivery).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from datetime import datetime

from gateway.store.repositories.exchange import ExchangeRepository
from sync.context import ExchangeContext
from sync.delivery import DeliveryReport, claim, deliver, record, send
from sync.maintain import maintain

log = logging.getLogger("sync.relay")

MAX_BATCHES_PER_STREAM = 50  # then the other streams get their turn
ERROR_PAUSE = 1.0


class Relay:
    def __init__(self, context: ExchangeContext, *, clock: Callable[[], datetime]) -> None:
        self.context, self.clock = context, clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._maintain_at: datetime | None = None
        with context.session_factory() as db:
            self._sqlite = db.get_bind().dialect.name == "sqlite"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ggzy-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def publish(self, outbox_ids: Collection[int], *, countdown: float | None = None) -> None:
        """The publisher of the embedded default: look now (a later retry is found by its due time)."""
        self._wake.set()

    def run_once(self) -> list[DeliveryReport]:
        """Drain every due stream (each up to MAX_BATCHES_PER_STREAM batches); the reports of the batches."""
        now = self.clock()
        with self.context.session_factory() as db:
            due = ExchangeRepository(db).list_due_outboxes(
                now, exclude_targets=self.context.settings.sync.file_only_peers)
        reports: list[DeliveryReport] = []
        for outbox_id in due:
            for _ in range(MAX_BATCHES_PER_STREAM):
                report = self.deliver_batch(outbox_id)
                if report is None:
                    return reports
                reports.append(report)
                if not report.more or self._stop.is_set():
                    break
        return reports

    def deliver_batch(self, outbox_id: int) -> DeliveryReport | None:
        """One batch; None when this node holds no valid directory. See sync.delivery for SQLite."""
        now = self.clock()
        directory = self.context.directory(now)
        if directory is None:
            return None
        ctx = self.context
        if not self._sqlite:
            with ctx.session_factory() as db, db.begin():
                return deliver(db, outbox_id=outbox_id, transport=ctx.transport, directory=directory,
                               node_id=ctx.node_id, now=now, policy=ctx.policy, alerts=ctx.alerts(directory))
        with ctx.session_factory() as db, db.begin():
            claimed = claim(db, outbox_id=outbox_id, now=now, batch_size=ctx.policy.batch_size)
        if isinstance(claimed, DeliveryReport):
            return claimed
        sent = send(claimed, transport=ctx.transport, directory=directory, now=now)
        with ctx.session_factory() as db, db.begin():
            return record(db, claimed, sent, directory=directory, node_id=ctx.node_id, now=now,
                          policy=ctx.policy, alerts=ctx.alerts(directory), recheck=True)

    def _loop(self) -> None:
        interval = self.context.settings.sync.sweep_interval.total_seconds()
        while not self._stop.is_set():
            self._wake.clear()
            self.maintain_if_due()
            try:
                self.run_once()
                wait = self._until_next_due(interval)
            except Exception:
                log.exception("relay pass failed; trying again")
                wait = ERROR_PAUSE
            self._wake.wait(wait)

    def maintain_if_due(self) -> None:
        """The periodic upkeep of sync.maintain, every `federation.refresh_interval` (and at start)."""
        now = self.clock()
        if self._maintain_at is not None and now < self._maintain_at:
            return
        settings = self.context.settings
        self._maintain_at = now + settings.federation.refresh_interval
        try:
            maintain(settings, self.context.session_factory, now)
        except Exception:
            log.exception("maintenance failed; trying again in %s", settings.federation.refresh_interval)

    def _until_next_due(self, interval: float) -> float:
        skipped = self.context.settings.sync.file_only_peers
        with self.context.session_factory() as db:
            due = ExchangeRepository(db).next_due_at(exclude_targets=skipped)
        now = self.clock()
        if self._maintain_at is not None:
            interval = min(interval, max(0.05, (self._maintain_at - now).total_seconds()))
        if due is None:
            return interval
        return min(interval, max(0.05, (due - now).total_seconds()))
