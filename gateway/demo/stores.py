"""Where each node of a local federation keeps its data and takes its tasks from.

- Database: a SQLite file in the node's data directory (the embedded default), or, given a PostgreSQL
  URL, a database of its own on that server, created at launch and dropped at the end.
- Broker: none (the in-process relay), or one Celery worker per node. Nodes sharing a broker must never
  take each other's tasks: on Redis each node gets a database number of its own, and on any broker
  (RabbitMQ too, where one vhost is shared) each node's queue carries the run's tag besides its node id
  (`sync.celery_app.queue_name`), so two federations on one broker stay apart as well.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from kombu import Connection
from kombu.exceptions import KombuError
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gateway.store.engine import make_engine
from sync.celery_app import QUEUE_PREFIX

log = logging.getLogger("gateway.demo")
REDIS_DATABASES = 16  # Redis's default `databases`
_SAFE_NAME = re.compile(r"[^a-z0-9_]")


def sqlite_url(data: Path) -> str:
    return f"sqlite:///{(data / 'var' / 'node.db').as_posix()}"


def database_name(tag: str, node_id: str) -> str:
    return _SAFE_NAME.sub("_", f"ggzy_{tag}_{node_id}".lower())[:63]


def create_database(base_url: str, name: str) -> str:
    """A fresh database `name` on the server of `base_url` (dropped first if a crashed run left it)."""
    _admin(base_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'])
    return make_url(_psycopg(base_url)).set(database=name).render_as_string(hide_password=False)


def drop_databases(base_url: str, urls: Iterable[str]) -> None:
    names = [make_url(_psycopg(url)).database for url in urls]
    _admin(base_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names if name])


def broker_for(base_url: str, position: int, *, redis_base: int) -> str:
    """The broker URL of the node at `position` in the topology: on Redis, its own database number."""
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("redis"):
        return base_url
    number = (redis_base + position) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{number}"))


def queue_for(tag: str, node_id: str) -> str:
    return f"{QUEUE_PREFIX}.{tag}.{node_id}"


def broker_kind(url: str) -> str:
    if not url:
        return "in-process relay"
    scheme = urlsplit(url).scheme.split("+")[0]
    return {"redis": "Celery on Redis", "rediss": "Celery on Redis", "amqp": "Celery on RabbitMQ",
            "pyamqp": "Celery on RabbitMQ"}.get(scheme, f"Celery on {scheme}")


def drop_queues(queues: Iterable[tuple[str, str]]) -> None:
    """Delete the run's queues, (broker URL, queue name) each, so that no later worker finds their tasks.
    On Redis that is the queue's list and Kombu's binding sets, on RabbitMQ the queue and its exchange.
    Best effort: a broker that is gone has nothing left to clean."""
    for url, name in queues:
        try:
            if urlsplit(url).scheme.startswith("redis"):
                client = redis.Redis.from_url(url, socket_timeout=3)
                keys = list(client.scan_iter(match=f"*{name}*"))
                if keys:
                    client.delete(*keys)
                client.close()
                continue
            with Connection(url, connect_timeout=3) as conn:
                conn.default_channel.queue_delete(name)
                conn.default_channel.exchange_delete(name)
        except (OSError, KombuError, redis.RedisError) as exc:
            log.warning("queue %s on %s not deleted: %s", name, urlsplit(url).hostname, exc)


def _psycopg(url: str) -> str:
    prefix = "postgresql://"
    return "postgresql+psycopg://" + url.removeprefix(prefix) if url.startswith(prefix) else url


def _admin(base_url: str, statements: list[str]) -> None:
    if not statements:
        return
    admin = make_engine(base_url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()
