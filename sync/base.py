"""`GatewayTask`: the base of every task; it owns the transaction, as the request's DB dependency does.

Defaults every task shares: acknowledged after the work (a worker that dies mid-task has its task
requeued), rejected back to the queue when the worker process is lost, no results kept, bounded in
time and in retries. The exchange context (sessions, node key, directory, transport) is built once
per worker process on first use, after any fork, so no connection crosses a fork.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import ClassVar

import structlog
from celery import Task
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from config.settings import get_settings
from sync import publish
from sync.context import ExchangeContext


class GatewayTask(Task):  # type: ignore[misc]
    acks_late = True
    reject_on_worker_lost = True
    ignore_result = True
    serializer = "json"
    max_retries = 5
    time_limit = 300
    soft_time_limit = 270
    # A database that is briefly unreachable is worth a few retries; anything else is a bug to see.
    autoretry_for = (OperationalError,)
    retry_backoff = 2
    retry_backoff_max = 60
    retry_jitter = True

    _context: ClassVar[ExchangeContext | None] = None
    _context_lock: ClassVar[threading.Lock] = threading.Lock()

    @property
    def exchange(self) -> ExchangeContext:
        with GatewayTask._context_lock:
            if GatewayTask._context is None:
                context = ExchangeContext.build(get_settings())
                publish.configure(publisher=publish.CeleryPublisher(self.app), directory=context.directory,
                                  rules=context.rules)
                GatewayTask._context = context
            return GatewayTask._context

    @classmethod
    def use_context(cls, context: ExchangeContext | None) -> None:
        """Set (or with None, forget) the context of this process, for a worker embedded in a test."""
        with cls._context_lock:
            cls._context = context

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction that commits when the block ends, with the task id in log context."""
        with structlog.contextvars.bound_contextvars(task_id=self.request.id, task=self.name), \
                self.exchange.session_factory() as db, db.begin():
            yield db

    def now(self) -> datetime:
        return datetime.now(UTC)
