"""Preparing a node's data directory: folders, schema (Alembic), keys."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.services.identity import NodeIdentity, load_identity
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.migrate import upgrade_head


def tune_gc() -> None:
    """Ingest allocates many short-lived containers and no cycles worth chasing per record; with
    Python's default gen-0 threshold (700) collection costs 15–40 % of ingest (benchmarks/)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def prepare_node(settings: Settings) -> NodeIdentity:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        upgrade_head(engine)
    finally:
        engine.dispose()
    return load_identity(settings)


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as db, db.begin():
            yield db
    finally:
        engine.dispose()
