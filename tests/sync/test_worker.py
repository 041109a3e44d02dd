"""Real Celery workers on the real broker and PostgreSQL, delivering to a city inbox on loopback.

Every envelope arrives once; a worker killed with SIGKILL in the middle of a batch loses nothing and
duplicates nothing, because the deliveries table is the truth: the dead worker's transaction rolls
back, the sweeper (beat) sends the stream again, and the receiver answers the resent envelopes
with the receipts it gave the first time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.migrate import upgrade_head
from gateway.store.models.exchange import DELIVERED
from signing.keys import SigningKey
from sync import publish
from sync.celery_app import make_celery
from sync.context import DirectoryFiles
from sync.routing import RoutingRules
from tests.conftest import POSTGRES_ENV, service_unavailable
from tests.gateway.conftest import award
from tests.gateway.live import free_port
from tests.sync.conftest import CITY, COUNTY, PROVINCE, MakeDirectory, deliveries
from tests.sync.fake_receiver import FakeReceiver
from tests.sync.servers import hold_directory, served

REDIS_ENV = "GGZY_TEST_REDIS_URL"
REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def worker_database() -> Iterator[str]:
    """A PostgreSQL database of its own (others may run tests on the same server at the same time)."""
    base = os.environ.get(POSTGRES_ENV, "")
    if not base:
        service_unavailable(f"PostgreSQL tier off: set {POSTGRES_ENV}")
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ggzy_sync_worker_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(database)
    upgrade_head(engine)
    engine.dispose()
    try:
        yield database
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Site:
    settings: Settings
    env: dict[str, str]
    city: FakeReceiver
    city_app: object
    port: int
    factory: sessionmaker[Session]
    county: NodeIdentity
    log: Path

    def ingest(self, start: int, count: int) -> list[str]:
        with self.factory() as db:
            items = [award(start + i, jurisdiction=COUNTY) for i in range(count)]
            outcomes = ingest_standard(db, items=items, node=self.county, source_system="test",
                                       now=datetime.now(UTC))
            db.commit()
        return [o.id or "" for o in outcomes]

    def statuses(self) -> list[str]:
        with self.factory() as db:
            return [row.status for row in deliveries(db)]

    def worker(self) -> subprocess.Popen[bytes]:
        # A threads pool, and beat embedded as a child process: both in a process group of their own,
        # so that killing the worker kills its beat too (an orphaned beat would outlive the test).
        command = [sys.executable, "-m", "celery", "-A", "sync.celery_app", "worker", "--beat",
                   "--pool", "threads", "--concurrency", "2", "--loglevel", "INFO",
                   "--schedule", str(self.settings.data_dir / f"beat-{uuid.uuid4().hex[:6]}")]
        with self.log.open("ab") as out:
            return subprocess.Popen(command, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)


@pytest.fixture
def site(worker_database: str, tmp_path: Path, keys: dict[str, SigningKey], county: NodeIdentity,
         make_directory: MakeDirectory, rules: RoutingRules) -> Iterator[Site]:
    broker = os.environ.get(REDIS_ENV, "")
    if not broker:
        service_unavailable(f"Redis tier off: set {REDIS_ENV} (e.g. redis://127.0.0.1:6379/0)")
    port = free_port()
    now = datetime.now(UTC)
    directory = make_directory({CITY: f"http://127.0.0.1:{port}"}, now=now)
    env = {
        **os.environ, "GATEWAY_ENV": "test", "GATEWAY_DATA_DIR": str(tmp_path / "county"),
        "GATEWAY_NODE__ID": COUNTY, "GATEWAY_DB__URL": worker_database, "GATEWAY_BROKER__URL": broker,
        # A queue of this test's own: other nodes' workers on the same broker never see these tasks.
        "GATEWAY_BROKER__QUEUE": f"ggzy.test.{uuid.uuid4().hex[:10]}",
        "GATEWAY_SYNC__SWEEP_INTERVAL": "PT1S", "GATEWAY_SYNC__BACKOFF_BASE": "PT0.2S",
    }
    settings = Settings(env="test", data_dir=tmp_path / "county", node={"id": COUNTY},
                        db={"url": worker_database},
                        broker={"url": broker, "queue": env["GATEWAY_BROKER__QUEUE"]})
    key_file = settings.key_file
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(keys[COUNTY].to_pem())
    hold_directory(settings.data_dir, directory, keys[PROVINCE].public)
    assert DirectoryFiles(settings).current(now) is not None
    engine = make_engine(worker_database)
    publisher = publish.CeleryPublisher(make_celery(settings))
    publish.configure(publisher=publisher, directory=lambda at: directory, rules=rules)
    city = FakeReceiver(CITY, keys[CITY])
    try:
        yield Site(settings, env, city, city.asgi(directory), port, make_session_factory(engine), county,
                   tmp_path / "worker.log")
    finally:
        publish.reset()
        engine.dispose()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the worker and its beat (the whole process group), even when the worker is gone already."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def wait_for(condition: Callable[[], bool], site: Site, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time; worker log:\n{site.log.read_text()[-3000:]}")
        time.sleep(0.1)


class TestCeleryWorker:
    def test_every_envelope_is_delivered_once(self, site: Site) -> None:
        worker = site.worker()
        try:
            with served(site.city_app, port=site.port):
                ids = site.ingest(0, 2500)  # three batches of at most 1000
                wait_for(lambda: site.statuses() == [DELIVERED] * 2500, site)
        finally:
            stop(worker)
        assert site.city.appended == ids
        assert set(site.city.received.values()) == {1}
        assert [count for _, _, count in site.city.batches] == [1000, 1000, 500]

    def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(self, site: Site) -> None:
        in_flight = threading.Event()

        def slow_batch() -> None:
            in_flight.set()
            time.sleep(1.0)  # the worker waits for this answer while it is killed

        site.city.on_batch = slow_batch
        first = site.worker()
        try:
            with served(site.city_app, port=site.port):
                ids = site.ingest(0, 1500)
                assert in_flight.wait(60), site.log.read_text()[-3000:]
                os.killpg(first.pid, signal.SIGKILL)
                first.wait(10)
                killed_in_flight = site.statuses().count(DELIVERED)
                site.city.on_batch = None
                ids += site.ingest(1500, 700)
                second = site.worker()
                try:
                    wait_for(lambda: site.statuses() == [DELIVERED] * 2200, site)
                finally:
                    stop(second)
        finally:
            stop(first)
        assert killed_in_flight < 2200
        assert site.city.appended == ids  # each appended once, in log order
        assert len(set(site.city.appended)) == 2200
        assert max(site.city.received.values()) == 2  # the batch in flight was sent again, and deduplicated
