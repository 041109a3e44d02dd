"""Root fixtures: settings, migrated databases (SQLite always, PostgreSQL when configured), node, client.

Databases are made only with `alembic upgrade head`. SQLite: one migrated template per run, copied
for each test. PostgreSQL (GGZY_TEST_POSTGRES_URL): one database per xdist worker, migrated once,
emptied after each test. Unreachable services skip with the reason, or fail when
GGZY_REQUIRE_SERVICES=1 (CI), so a missing service is never a silent pass.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.services.identity import NodeIdentity
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.migrate import upgrade_head
from gateway.store.models import Base
from signing.keys import Keyring, SigningKey

POSTGRES_ENV = "GGZY_TEST_POSTGRES_URL"
FIXED_NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def service_unavailable(reason: str) -> None:
    if os.environ.get("GGZY_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "node.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_head(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A database of its own for this run and xdist worker, dropped at the end: runs never collide."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        service_unavailable(f"PostgreSQL tier off: set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1/test)")
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ggzy_test_{worker_id}_{os.getpid()}"
    admin = make_engine(url.render_as_string(hide_password=False), echo=False)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure means the tier is unavailable
        admin.dispose()
        service_unavailable(f"PostgreSQL at {url.host}:{url.port} unreachable: {type(exc).__name__}")
    worker_url = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(worker_url)
    upgrade_head(engine)
    engine.dispose()
    yield worker_url
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "node.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables}"))
    engine.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()
        engine.dispose()


@pytest.fixture(scope="session")
def node_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def node(node_key: SigningKey) -> NodeIdentity:
    return NodeIdentity(
        node_id="530600",
        name="昭通市节点",
        endpoint="http://127.0.0.1:0",
        key=node_key,
        keyring=Keyring([node_key.public]),
    )


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path / "var",
        node={"id": "530600", "name": "昭通市节点"},
        db={"url": db_url},
        max_body_bytes=2 * 1024 * 1024,
        max_batch_records=5000,
    )
