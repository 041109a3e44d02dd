"""The broker dies (SIGKILL) in the middle of the traffic and comes back empty: nothing lost or duplicated.

A Redis started without persistence forgets every queued and unacknowledged task when it is killed,
and records ingested while it is down cannot be published at all. The deliveries table is the truth:
once the broker answers again the sweeper (beat) finds every due stream, and the receiver answers a
resent envelope with the receipt it gave the first time. The test owns its Redis on a free port and
never touches a shared one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from config.settings import Settings
from gateway.services.identity import NodeIdentity
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.models.exchange import DELIVERED
from signing.keys import SigningKey
from sync import publish
from sync.celery_app import make_celery
from sync.context import DirectoryFiles
from sync.routing import RoutingRules
from tests.conftest import service_unavailable
from tests.gateway.live import free_port
from tests.sync import test_worker
from tests.sync.conftest import CITY, PROVINCE, MakeDirectory
from tests.sync.fake_receiver import FakeReceiver
from tests.sync.servers import hold_directory, served
from tests.sync.test_worker import Site, stop, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

worker_database = test_worker.worker_database  # a PostgreSQL database of this test's own
BATCH_DELAY = 0.5  # each batch takes a while at the receiver, so the broker dies with work still to do


class PrivateRedis:
    """A redis-server of the test's own, without persistence: killing it loses everything it held."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--daemonize", "no", "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    pass
                if time.monotonic() > deadline or self.process.poll() is not None:
                    log = (self.folder / "redis.log").read_text()
                    raise RuntimeError(f"redis-server did not start:\n{log}")
                time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        service_unavailable("broker-restart test off: redis-server is not on PATH")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def site(worker_database: str, broker: PrivateRedis, tmp_path: Path, keys: dict[str, SigningKey],
         county: NodeIdentity, make_directory: MakeDirectory, rules: RoutingRules) -> Iterator[Site]:
    port = free_port()
    now = datetime.now(UTC)
    directory = make_directory({CITY: f"http://127.0.0.1:{port}"}, now=now)
    queue = f"ggzy.test.{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ, "GATEWAY_ENV": "test", "GATEWAY_DATA_DIR": str(tmp_path / "county"),
        "GATEWAY_NODE__ID": county.node_id, "GATEWAY_DB__URL": worker_database,
        "GATEWAY_BROKER__URL": broker.url, "GATEWAY_BROKER__QUEUE": queue,
        "GATEWAY_SYNC__SWEEP_INTERVAL": "PT1S", "GATEWAY_SYNC__BACKOFF_BASE": "PT0.2S",
    }
    settings = Settings(env="test", data_dir=tmp_path / "county", node={"id": county.node_id},
                        db={"url": worker_database}, broker={"url": broker.url, "queue": queue})
    settings.key_file.parent.mkdir(parents=True)
    settings.key_file.write_bytes(keys[county.node_id].to_pem())
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


def keep_running(site: Site, workers: list[subprocess.Popen[bytes]]) -> None:
    """Start a fresh worker where the last one died, as the node's service manager does.

    A worker that loses Redis while a task is unacknowledged stops with "Unrecoverable error"
    (kombu cannot restore the unacknowledged message over the closed connection); it finishes the
    task in hand first, and what it did not do is still PENDING in the deliveries table.
    """
    if workers[-1].poll() is not None:
        workers.append(site.worker())


def wait_until_still(count: Callable[[], int], site: Site, *, quiet: float, timeout: float) -> None:
    """Until `count` has not changed for `quiet` seconds (bounded by `timeout`)."""
    deadline = time.monotonic() + timeout
    last, since = count(), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            raise AssertionError(f"still moving; worker log:\n{site.log.read_text()[-3000:]}")
        time.sleep(0.2)
        now = count()
        if now != last:
            last, since = now, time.monotonic()


class TestBrokerRestart:
    def test_a_broker_killed_and_restarted_loses_and_duplicates_nothing(self, site: Site,
                                                                        broker: PrivateRedis) -> None:
        arrivals: list[float] = []

        def slow_batch() -> None:
            arrivals.append(time.monotonic())
            time.sleep(BATCH_DELAY)

        site.city.on_batch = slow_batch
        workers = [site.worker()]
        try:
            with served(site.city_app, port=site.port):
                ids = site.ingest(0, 2500)  # three batches of at most 1000
                wait_for(lambda: site.statuses().count(DELIVERED) >= 1000, site, timeout=120)
                broker.kill()  # a task in flight, if any, is unacknowledged: the broker forgets it
                delivered_at_kill = site.statuses().count(DELIVERED)
                # A task already running finishes its batch without the broker; then nothing moves.
                wait_until_still(lambda: site.statuses().count(DELIVERED), site, quiet=3.0, timeout=120)
                ids += site.ingest(2500, 600)  # accepted while no broker answers: published by nobody
                time.sleep(1.5)
                delivered_while_down = site.statuses().count(DELIVERED)
                assert delivered_while_down <= 2500
                restarted_at = time.monotonic()
                broker.start()  # the same port, nothing in it

                def all_delivered() -> bool:
                    keep_running(site, workers)
                    return site.statuses() == [DELIVERED] * 3100

                wait_for(all_delivered, site, timeout=180)
        finally:
            for worker in workers:
                stop(worker)
        assert delivered_at_kill < 2500
        assert delivered_while_down < 3100  # the new records waited for the broker to come back
        assert arrivals[-1] > restarted_at
        assert site.city.appended == ids  # each appended once, in log order
        assert len(set(site.city.appended)) == 3100
        assert set(site.city.received) == set(ids)
