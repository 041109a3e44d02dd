"""The periodic upkeep: the directory refreshed from a served URL (kept only if valid and newer), spent
token ids purged, run from the relay and as the Celery task `sync.maintain`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import FederationSettings, Settings
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.models.federation import SeenToken
from gateway.store.repositories.federation import SeenTokenRepository
from signing.directory import Directory, sign_directory
from signing.keys import SigningKey
from sync.base import GatewayTask
from sync.celery_app import MAINTAIN_TASK, celery_config
from sync.context import DirectoryFiles, ExchangeContext
from sync.maintain import MaintenanceReport, maintain
from sync.relay import Relay
from sync.tasks import maintenance
from tests.conftest import FIXED_NOW
from tests.sync.conftest import COUNTY, PROVINCE, MakeDirectory
from tests.sync.fake_receiver import FakeReceiver
from tests.sync.servers import hold_directory, served

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class DirectoryServer:
    """An ASGI app answering every GET with `body`, counting the requests."""

    def __init__(self) -> None:
        self.body = b"{}"
        self.hits = 0

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        self.hits += 1
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": self.body})


@pytest.fixture
def factory(db_url: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def parent() -> Iterator[tuple[DirectoryServer, str]]:
    app = DirectoryServer()
    with served(app) as url:
        yield app, f"{url}/api/v1/federation/directory"


def with_url(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"federation": FederationSettings(directory_url=url)})


def held_serial(settings: Settings) -> int:
    document: dict[str, Any] = orjson.loads(DirectoryFiles(settings).directory_path.read_bytes())
    return int(document["serial"])


def refusal(report: MaintenanceReport) -> str:
    """The code (or exception name) a refused refresh reports."""
    assert report.directory == "refused"
    return (report.error or "").split(":")[0]


def signed_bytes(directory: Directory) -> bytes:
    return orjson.dumps(directory.document)


@pytest.fixture
def node(settings: Settings, keys: dict[str, SigningKey], make_directory: MakeDirectory,
         parent: tuple[DirectoryServer, str]) -> Settings:
    """A node holding serial 5 and refreshing from the served parent URL."""
    hold_directory(settings.data_dir, make_directory(serial=5), keys[PROVINCE].public)
    return with_url(settings, parent[1])


class TestDirectoryRefresh:
    def test_a_newer_valid_directory_is_taken_up(self, node: Settings, factory: Callable[[], Session],
                                                 make_directory: MakeDirectory,
                                                 parent: tuple[DirectoryServer, str]) -> None:
        newer = make_directory(serial=6)
        parent[0].body = signed_bytes(newer)
        report = maintain(node, factory, FIXED_NOW)
        assert (report.directory, report.serial, report.error) == ("accepted", 6, None)
        assert DirectoryFiles(node).directory_path.read_bytes() == parent[0].body
        assert DirectoryFiles(node).current(FIXED_NOW).serial == 6  # type: ignore[union-attr]

    def test_the_same_directory_again_is_unchanged(self, node: Settings, factory: Callable[[], Session],
                                                   parent: tuple[DirectoryServer, str]) -> None:
        parent[0].body = DirectoryFiles(node).directory_path.read_bytes()
        report = maintain(node, factory, FIXED_NOW)
        assert (report.directory, report.serial) == ("unchanged", 5)

    def test_an_older_serial_is_refused(self, node: Settings, factory: Callable[[], Session],
                                        make_directory: MakeDirectory,
                                        parent: tuple[DirectoryServer, str]) -> None:
        parent[0].body = signed_bytes(make_directory(serial=4))
        report = maintain(node, factory, FIXED_NOW)
        assert report.directory == "refused"
        assert refusal(report) == "directory.stale"
        assert held_serial(node) == 5

    def test_a_directory_signed_by_another_key_is_refused(self, node: Settings,
                                                          factory: Callable[[], Session],
                                                          keys: dict[str, SigningKey],
                                                          make_directory: MakeDirectory,
                                                          parent: tuple[DirectoryServer, str]) -> None:
        unsigned = {name: value for name, value in make_directory(serial=9).document.items() if name != "sig"}
        parent[0].body = orjson.dumps(sign_directory(unsigned, keys[COUNTY]))
        report = maintain(node, factory, FIXED_NOW)
        assert report.directory == "refused"
        assert refusal(report) == "directory.untrusted_signer"
        assert held_serial(node) == 5

    def test_an_expired_directory_is_refused(self, node: Settings, factory: Callable[[], Session],
                                             make_directory: MakeDirectory,
                                             parent: tuple[DirectoryServer, str]) -> None:
        parent[0].body = signed_bytes(make_directory(serial=7, now=FIXED_NOW - timedelta(days=60)))
        report = maintain(node, factory, FIXED_NOW)
        assert report.directory == "refused"
        assert refusal(report) == "directory.expired"
        assert held_serial(node) == 5

    def test_a_body_that_is_not_json_is_refused(self, node: Settings, factory: Callable[[], Session],
                                                parent: tuple[DirectoryServer, str]) -> None:
        parent[0].body = b"<html>maintenance</html>"
        report = maintain(node, factory, FIXED_NOW)
        assert refusal(report) == "directory.invalid"
        assert held_serial(node) == 5

    def test_an_unreachable_parent_keeps_the_held_directory(self, node: Settings,
                                                            factory: Callable[[], Session],
                                                            tmp_path: Path) -> None:
        missing = with_url(node, str(tmp_path / "nowhere" / "directory.json"))
        report = maintain(missing, factory, FIXED_NOW)
        assert report.directory == "refused"
        assert refusal(report) == "FileNotFoundError"
        assert held_serial(node) == 5

    def test_a_file_url_is_read(self, node: Settings, factory: Callable[[], Session],
                                make_directory: MakeDirectory, tmp_path: Path) -> None:
        source = tmp_path / "published.json"
        source.write_bytes(signed_bytes(make_directory(serial=8)))
        report = maintain(with_url(node, str(source)), factory, FIXED_NOW)
        assert (report.directory, report.serial) == ("accepted", 8)
        assert held_serial(node) == 8

    def test_without_a_url_nothing_is_fetched(self, settings: Settings, factory: Callable[[], Session],
                                              parent: tuple[DirectoryServer, str]) -> None:
        report = maintain(settings, factory, FIXED_NOW)
        assert report.directory == "skipped"
        assert parent[0].hits == 0


class TestTokenPurge:
    def test_expired_ids_go_and_unexpired_ones_stay(self, settings: Settings,
                                                    factory: Callable[[], Session]) -> None:
        with factory() as db, db.begin():
            guard = SeenTokenRepository(db)
            guard.first_use("spent", issuer=COUNTY, expires_at=FIXED_NOW - timedelta(seconds=1))
            guard.first_use("live", issuer=COUNTY, expires_at=FIXED_NOW + timedelta(minutes=5))
        report = maintain(settings, factory, FIXED_NOW)
        assert report.purged == 1
        with factory() as db:
            assert db.scalars(select(SeenToken.jti)).all() == ["live"]


class TestRelayMaintenance:
    def test_runs_at_start_and_again_after_the_refresh_interval(
            self, node: Settings, factory: Callable[[], Session], keys: dict[str, SigningKey],
            directory: Directory, city: FakeReceiver, parent: tuple[DirectoryServer, str]) -> None:
        parent[0].body = DirectoryFiles(node).directory_path.read_bytes()
        now = [FIXED_NOW]
        context = ExchangeContext.build(node, session_factory=factory, node_id=COUNTY,  # type: ignore[arg-type]
                                        key=keys[COUNTY], directory=lambda at: directory, transport=city)
        relay = Relay(context, clock=lambda: now[0])
        relay.maintain_if_due()
        relay.maintain_if_due()
        assert parent[0].hits == 1
        now[0] += node.federation.refresh_interval
        relay.maintain_if_due()
        assert parent[0].hits == 2


class TestMaintainTask:
    def test_the_task_refreshes_and_purges(self, node: Settings, factory: Callable[[], Session],
                                           keys: dict[str, SigningKey], make_directory: MakeDirectory,
                                           directory: Directory, city: FakeReceiver,
                                           parent: tuple[DirectoryServer, str]) -> None:
        real_now = datetime.now(UTC)
        parent[0].body = signed_bytes(make_directory(serial=6, now=real_now))
        with factory() as db, db.begin():
            SeenTokenRepository(db).first_use("spent", issuer=COUNTY,
                                              expires_at=real_now - timedelta(hours=1))
        context = ExchangeContext.build(node, session_factory=factory, node_id=COUNTY,  # type: ignore[arg-type]
                                        key=keys[COUNTY], directory=lambda at: directory, transport=city)
        GatewayTask.use_context(context)
        try:
            result = maintenance.apply()
        finally:
            GatewayTask.use_context(None)
        assert result.successful()
        assert result.get() == {"directory": "accepted", "purged": 1, "serial": 6, "error": None}
        assert held_serial(node) == 6

    def test_beat_runs_it_every_refresh_interval(self, settings: Settings) -> None:
        schedule = celery_config(settings)["beat_schedule"]["sync-maintain"]
        assert schedule == {"task": MAINTAIN_TASK,
                            "schedule": settings.federation.refresh_interval.total_seconds()}
        assert maintenance.name == "sync.maintain"
