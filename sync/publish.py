"""The one way the rest of the gateway reaches the exchange: write deliveries, publish them after commit.

`enqueue_deliveries` writes the outbox rows in the caller's transaction and notes the outbox ids in
`db.info`. When that transaction commits, the ids go to the process's publisher: Celery tasks sent
by name where a broker is configured, or a wake-up of the in-process relay in the embedded default.
A rollback drops them. Publishing is only a hint, and never fails the caller: whatever is not
published is found by the sweeper (or the relay's next look) from the deliveries table.

`start` wires a serving process (called from the app's lifespan); workers wire themselves in
`sync.base`. A process nothing wired (a CLI command) reads the settings on first use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from celery import Celery
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from config.settings import Settings, get_settings
from signing.directory import Directory
from signing.keys import SigningKey
from sync.celery_app import DELIVER_TASK, make_celery
from sync.context import DirectoryFiles, DirectorySource, ExchangeContext
from sync.outbox import PENDING_OUTBOX_KEY, EnvelopeRoute, NodeLike
from sync.outbox import enqueue_deliveries as _enqueue
from sync.relay import Relay
from sync.routing import RoutingRules, load_rules
from sync.transport import Transport

__all__ = [
    "CeleryPublisher", "EnvelopeRoute", "ExchangeRuntime", "Publisher", "configure", "current_directory",
    "enqueue_deliveries", "publish_later", "reset", "routing_rules", "start",
]

log = logging.getLogger("sync.publish")

# A broker that does not answer must not hold a committed request for long: the sweeper catches up.
SEND_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


class Publisher(Protocol):
    def publish(self, outbox_ids: Collection[int], *, countdown: float | None = None) -> None: ...


class CeleryPublisher:
    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def publish(self, outbox_ids: Collection[int], *, countdown: float | None = None) -> None:
        for outbox_id in sorted(outbox_ids):
            self.celery.send_task(DELIVER_TASK, args=[outbox_id], countdown=countdown, retry=True,
                                  retry_policy=SEND_RETRY)


@dataclass
class _Wiring:
    publisher: Publisher | None
    directory: DirectorySource
    rules: RoutingRules


_wiring: _Wiring | None = None
_wiring_lock = threading.Lock()
_hooks_installed = False


def configure(*, publisher: Publisher | None, directory: DirectorySource, rules: RoutingRules) -> None:
    global _wiring
    _install_hooks()
    with _wiring_lock:
        _wiring = _Wiring(publisher, directory, rules)


def reset() -> None:
    global _wiring
    with _wiring_lock:
        _wiring = None


def current_directory(now: datetime) -> Directory | None:
    """The directory deliveries are routed with: the one this node holds and trusts, if any."""
    return _current().directory(now)


def routing_rules() -> RoutingRules:
    """The routing rules deliveries are written with (config/routing.json unless configured)."""
    return _current().rules


def enqueue_deliveries(db: Session, *, node: NodeLike, directory: Directory | None,
                       envelopes: Sequence[EnvelopeRoute], now: datetime,
                       rules: RoutingRules | None = None) -> list[int]:
    """One delivery per destination of each envelope, in `db`'s transaction (see sync.outbox)."""
    _install_hooks()
    return _enqueue(db, node=node, directory=directory, envelopes=envelopes, now=now,
                    rules=rules or _current().rules)


def publish_later(outbox_ids: Collection[int], *, countdown: float | None = None) -> None:
    """Hand outbox ids to the publisher now (no transaction involved); failures are logged, not raised."""
    publisher = _current().publisher
    if publisher is None or not outbox_ids:
        return
    try:
        publisher.publish(outbox_ids, countdown=countdown)
    except Exception as exc:
        log.warning("could not publish outbox %s (the sweeper will): %s", sorted(outbox_ids), exc)


@dataclass
class ExchangeRuntime:
    context: ExchangeContext
    relay: Relay | None

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        reset()
        self.context.close()


def start(settings: Settings, *, session_factory: sessionmaker[Session], node_id: str, key: SigningKey,
          clock: Callable[[], datetime], directory: DirectorySource | None = None,
          transport: Transport | None = None) -> ExchangeRuntime:
    """Wire a serving process: Celery publishing with a broker, else the in-process relay (started here)."""
    context = ExchangeContext.build(settings, session_factory=session_factory, node_id=node_id, key=key,
                                    directory=directory, transport=transport)
    relay = None
    publisher: Publisher
    if settings.broker.url:
        publisher = CeleryPublisher(make_celery(settings))
    else:
        relay = Relay(context, clock=clock)
        publisher = relay
    configure(publisher=publisher, directory=context.directory, rules=context.rules)
    if relay is not None:
        relay.start()
    return ExchangeRuntime(context, relay)


def _current() -> _Wiring:
    global _wiring
    with _wiring_lock:
        if _wiring is None:
            settings = get_settings()
            publisher = CeleryPublisher(make_celery(settings)) if settings.broker.url else None
            rules = load_rules(settings.sync.routing_path)
            _wiring = _Wiring(publisher, DirectoryFiles(settings).current, rules)
        return _wiring


def _install_hooks() -> None:
    global _hooks_installed
    with _wiring_lock:
        if not _hooks_installed:
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_soft_rollback", _after_rollback)
            _hooks_installed = True


def _after_commit(session: Session) -> None:
    pending: set[int] | None = session.info.pop(PENDING_OUTBOX_KEY, None)
    if pending:
        publish_later(pending)


def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    # A savepoint rolled back leaves the outer transaction's ids: publishing too much is harmless.
    if previous.parent is None:
        session.info.pop(PENDING_OUTBOX_KEY, None)
