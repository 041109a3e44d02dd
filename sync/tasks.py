"""The tasks, by explicit name. Arguments are ids only; each body is a few lines around `deliver()`.

A task that finds the work done, taken by another worker or not yet due returns without effect, so
a task delivered twice, or one the sweeper sent again, changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from gateway.store.repositories.exchange import ExchangeRepository
from sync import delivery, maintain, publish
from sync.base import GatewayTask
from sync.celery_app import DELIVER_TASK, MAINTAIN_TASK, SWEEP_TASK, app

MAX_BATCHES_PER_TASK = 20  # a few seconds of work; a longer stream goes on in a fresh task


@app.task(base=GatewayTask, bind=True, name=DELIVER_TASK)
def deliver(self: GatewayTask, outbox_id: int) -> str:
    """Send the due batches of one outbox stream."""
    ctx = self.exchange
    outcome = "no_directory"
    for _ in range(MAX_BATCHES_PER_TASK):
        now = self.now()
        directory = ctx.directory(now)
        if directory is None:
            return outcome
        with self.transaction() as db:
            report = delivery.deliver(db, outbox_id=outbox_id, transport=ctx.transport, directory=directory,
                                      node_id=ctx.node_id, now=now, policy=ctx.policy,
                                      alerts=ctx.alerts(directory))
        outcome = report.outcome
        if not report.more:
            break
    else:
        publish.publish_later([outbox_id])
    if report.outcome == "sent" and report.retry_at is not None:
        wait = (report.retry_at - self.now()).total_seconds()
        if wait < ctx.settings.sync.sweep_interval.total_seconds():
            publish.publish_later([outbox_id], countdown=max(0.0, wait))
    return outcome


@app.task(base=GatewayTask, bind=True, name=SWEEP_TASK)
def sweep(self: GatewayTask) -> int:
    """Send a delivery task for every stream with a due PENDING delivery: lost tasks come back this way."""
    skipped = self.exchange.settings.sync.file_only_peers
    with self.transaction() as db:
        due = ExchangeRepository(db).list_due_outboxes(self.now(), exclude_targets=skipped)
    publish.publish_later(due)
    return len(due)


@app.task(base=GatewayTask, bind=True, name=MAINTAIN_TASK)
def maintenance(self: GatewayTask) -> dict[str, Any]:
    """Refresh the federation directory and purge spent token ids (beat runs it every refresh_interval)."""
    ctx = self.exchange
    return asdict(maintain.maintain(ctx.settings, ctx.session_factory, self.now()))
