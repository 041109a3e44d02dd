"""What the relay and the workers deliver with: sessions, the node's key, the held directory, a transport.

Workers build it from settings alone: the node key file written by `ggzy serve` (a worker never
makes keys) and the directory files kept by `ggzy federation fetch`, verified against the pinned
root key every time they change. The serving process hands in its own identity instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from gateway.store.engine import make_engine, make_session_factory
from schemas.errors import GatewayError
from signing.directory import Directory, verify_directory
from signing.errors import SignatureError
from signing.keys import PublicKey, SigningKey
from sync.alert import DeliveryAlerts
from sync.delivery import RetryPolicy
from sync.routing import RoutingRules, load_rules
from sync.transport import HttpTransport, Transport

log = logging.getLogger("sync.context")

DirectorySource = Callable[[datetime], "Directory | None"]
RECHECK_REFUSED = timedelta(minutes=1)


class DirectoryFiles:
    """The directory the node holds (Settings.directory_file), verified against the pinned root key."""

    def __init__(self, settings: Settings) -> None:
        self.directory_path, self.root_path = settings.directory_file, settings.root_jwk_file
        self._lock = threading.Lock()
        self._stamp: tuple[object, ...] | None = None
        self._held: Directory | None = None
        self._refused_at: datetime | None = None

    def current(self, now: datetime) -> Directory | None:
        """The held directory if it verifies and is valid at `now`; None otherwise (nothing is sent then)."""
        stamp = (_stamp(self.directory_path), _stamp(self.root_path))
        with self._lock:
            held = self._held
            if stamp == self._stamp:
                if held is not None and now < held.expires_at:
                    return held
                # The same files were refused a moment ago: once a minute is enough to say so again.
                if held is None and self._refused_at is not None and now - self._refused_at < RECHECK_REFUSED:
                    return None
            self._stamp, self._held, self._refused_at = stamp, None, None
            if None in stamp:
                return None
            try:
                root = PublicKey.from_jwk(orjson.loads(self.root_path.read_bytes()))
                self._held = verify_directory(orjson.loads(self.directory_path.read_bytes()), root, now=now)
            except (OSError, orjson.JSONDecodeError, SignatureError) as exc:
                log.warning("no usable federation directory: %s", exc)
                self._refused_at = now
                return None
            return self._held


def load_node_key(settings: Settings) -> SigningKey:
    passphrase = settings.signing.key_passphrase.get_secret_value().encode() or None
    path = settings.key_file
    if not path.exists():
        raise NodeKeyMissingError(f"no node key at {path}: start the node once (ggzy serve) to make it")
    return SigningKey.from_pem(path.read_bytes(), passphrase)


class NodeKeyMissingError(GatewayError):
    code = "sync.node_key_missing"
    status = 503


@dataclass
class ExchangeContext:
    settings: Settings
    session_factory: sessionmaker[Session]
    node_id: str
    key: SigningKey
    directory: DirectorySource
    transport: Transport
    policy: RetryPolicy
    rules: RoutingRules
    engine: Engine | None = None  # set when this context made it, and so disposes of it

    @classmethod
    def build(cls, settings: Settings, *, session_factory: sessionmaker[Session] | None = None,
              node_id: str | None = None, key: SigningKey | None = None,
              directory: DirectorySource | None = None, transport: Transport | None = None
              ) -> ExchangeContext:
        engine = None
        if session_factory is None:
            engine = make_engine(settings.database_url, echo=settings.db.echo)
            session_factory = make_session_factory(engine)
        node_id = node_id or settings.node.id
        key = key or load_node_key(settings)
        sync = settings.sync
        return cls(
            settings=settings, session_factory=session_factory, node_id=node_id, key=key,
            directory=directory or DirectoryFiles(settings).current,
            transport=transport or HttpTransport(node_id=node_id, key=key,
                                                 timeout=sync.request_timeout.total_seconds()),
            policy=RetryPolicy(base=sync.backoff_base, cap=_below_visibility(settings),
                               batch_size=sync.batch_size),
            rules=load_rules(sync.routing_path), engine=engine,
        )

    def alerts(self, directory: Directory | None) -> DeliveryAlerts:
        return DeliveryAlerts(node_id=self.node_id, key=self.key, directory=directory, rules=self.rules)

    def close(self) -> None:
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()
        if self.engine is not None:
            self.engine.dispose()


def _below_visibility(settings: Settings) -> timedelta:
    # A countdown past Redis's visibility timeout would have the task delivered twice.
    return min(settings.sync.backoff_max, settings.broker.visibility_timeout / 2)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino
