"""Celery tasks of the gateway side, beside the exchange's (sync/tasks.py): the workflow tick."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from config.settings import get_settings
from gateway.services.identity import load_identity
from gateway.services.workflow_tick import tick
from sync.base import GatewayTask
from sync.celery_app import TICK_TASK, app


@app.task(base=GatewayTask, bind=True, name=TICK_TASK)
def workflow_tick(self: GatewayTask) -> dict[str, Any]:
    """Duties met by receipts, then the obligation and complaint sweeps (beat: every tick_interval)."""
    node = load_identity(get_settings())
    with self.transaction() as db:
        return asdict(tick(db, node=node, now=self.now()))
