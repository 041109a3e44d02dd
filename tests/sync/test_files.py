"""Store-and-forward over files: export at the county, import at the city, receipts back, all by `ggzy`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from config.settings import Settings, get_settings
from gateway.cli.main import app
from gateway.cli.setup import open_session, prepare_node
from gateway.services.ingest import ingest_standard
from gateway.store.models import InboxReceipt, LogLeaf
from gateway.store.models.exchange import DELIVERED, FAILED, PENDING
from signing.directory import Directory
from signing.keys import SigningKey
from sync import publish
from sync.context import DirectoryFiles
from sync.files import (
    BATCH_KIND,
    RECEIPTS_KIND,
    ExchangeFileError,
    Part,
    import_receipts,
    read_file,
    write_file,
)
from sync.routing import RoutingRules
from tests.gateway.conftest import award
from tests.sync.conftest import CITY, COUNTY, PROVINCE, MakeDirectory, deliveries
from tests.sync.servers import hold_directory

runner = CliRunner()


class Site:
    """A node's data directory, and `ggzy` run as that node."""

    def __init__(self, root: Path, node_id: str, key: SigningKey, directory: Directory,
                 root_key: SigningKey) -> None:
        self.env = {"GATEWAY_DATA_DIR": str(root / node_id), "GATEWAY_NODE__ID": node_id,
                    "GATEWAY_ENV": "test"}
        self.settings = Settings(env="test", data_dir=root / node_id, node={"id": node_id})
        self.settings.key_file.parent.mkdir(parents=True)
        self.settings.key_file.write_bytes(key.to_pem())
        hold_directory(self.settings.data_dir, directory, root_key.public)
        self.node = prepare_node(self.settings)

    def ggzy(self, *args: str, code: int = 0) -> str:
        old = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        get_settings.cache_clear()
        try:
            result = runner.invoke(app, list(args))
        finally:
            for name, value in old.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            get_settings.cache_clear()
        assert result.exit_code == code, result.output
        return result.output


@pytest.fixture
def sites(tmp_path: Path, keys: dict[str, SigningKey], make_directory: MakeDirectory,
          rules: RoutingRules) -> Iterator[tuple[Site, Site]]:
    directory = make_directory(now=datetime.now(UTC))
    county = Site(tmp_path, COUNTY, keys[COUNTY], directory, keys[PROVINCE])
    city = Site(tmp_path, CITY, keys[CITY], directory, keys[PROVINCE])
    publish.configure(publisher=None, directory=DirectoryFiles(county.settings).current, rules=rules)
    yield county, city
    publish.reset()


def ingest(site: Site, start: int, count: int) -> list[str]:
    with open_session(site.settings) as db:
        items = [award(start + i, jurisdiction=COUNTY) for i in range(count)]
        outcomes = ingest_standard(db, items=items, node=site.node, source_system="test",
                                   now=datetime.now(UTC))
    return [o.id or "" for o in outcomes]


class TestFileExchange:
    def test_export_import_and_receipts_back(self, sites: tuple[Site, Site], tmp_path: Path) -> None:
        county, city = sites
        ids = ingest(county, 0, 5)
        batch, receipts = tmp_path / "to-city.batch", tmp_path / "to-city.receipts"
        exported = county.ggzy("exchange", "export", "--to", CITY, "--out", str(batch))
        assert "5 envelopes for node 530600" in exported
        taken = city.ggzy("exchange", "import", str(batch), "--receipts", str(receipts))
        assert "5 envelopes from node 530621 taken" in taken
        with open_session(city.settings) as db:
            assert list(db.execute(select(LogLeaf.envelope_id).order_by(LogLeaf.idx)).scalars()) == ids
            given = dict(db.execute(select(InboxReceipt.envelope_id, InboxReceipt.receipt)).all())
            # The city forwards what it took up to the province.
            forwarded = [(r.envelope_id, r.seq) for r in deliveries(db, PROVINCE)]
            assert forwarded == list(zip(ids, range(5), strict=True))
        assert "5 delivered, 0 failed" in county.ggzy("exchange", "import-receipts", str(receipts))
        with open_session(county.settings) as db:
            rows = deliveries(db)
            assert [r.status for r in rows] == [DELIVERED] * 5
            assert all(r.receipt == given[r.envelope_id] for r in rows)
        status = orjson.loads(county.ggzy("exchange", "status"))
        assert [(s["target"], s["status"], s["count"]) for s in status] == [(CITY, DELIVERED, 5)]

    def test_importing_a_batch_again_gives_the_same_receipts(self, sites: tuple[Site, Site],
                                                             tmp_path: Path) -> None:
        county, city = sites
        ingest(county, 0, 3)
        batch = tmp_path / "b"
        county.ggzy("exchange", "export", "--to", CITY, "--out", str(batch))
        city.ggzy("exchange", "import", str(batch), "--receipts", str(tmp_path / "r1"))
        city.ggzy("exchange", "import", str(batch), "--receipts", str(tmp_path / "r2"))
        first, second = (read_lines(tmp_path / name) for name in ("r1", "r2"))
        assert first[1:] == second[1:]  # byte-identical receipts; only the header's time may differ
        assert len(first) == 4

    def test_a_tampered_file_is_refused(self, sites: tuple[Site, Site], tmp_path: Path) -> None:
        county, city = sites
        ingest(county, 0, 2)
        batch = tmp_path / "b"
        county.ggzy("exchange", "export", "--to", CITY, "--out", str(batch))
        lines = read_lines(batch)
        batch.write_bytes(b"".join([lines[0], lines[1].replace(b"530621", b"530622", 1), lines[2]]))
        assert "exchange.bad_file" in city.ggzy("exchange", "import", str(batch), code=1)

    def test_a_file_for_another_node_is_refused(self, sites: tuple[Site, Site], tmp_path: Path) -> None:
        county, _ = sites
        ingest(county, 0, 1)
        batch = tmp_path / "b"
        county.ggzy("exchange", "export", "--to", CITY, "--out", str(batch))
        assert "is for node '530600'" in county.ggzy("exchange", "import", str(batch), code=1)

    def test_a_gap_in_the_receipts_sends_again_from_there(self, sites: tuple[Site, Site],
                                                          keys: dict[str, SigningKey]) -> None:
        county, _ = sites
        ingest(county, 0, 2)
        now = datetime.now(UTC)
        directory = DirectoryFiles(county.settings).current(now)
        assert directory is not None
        with open_session(county.settings) as db:
            for row in deliveries(db):
                row.status = DELIVERED
            db.flush()
            data = write_file(RECEIPTS_KIND, sender=CITY, receiver=COUNTY, key=keys[CITY], now=now,
                              parts=[Part("records", 1, [], error={"code": "exchange.gap",
                                                                   "expected_seq": 0})])
            answer = read_file(data, kind=RECEIPTS_KIND, directory=directory, self_id=COUNTY, now=now)
            import_receipts(db, receipts=answer, directory=directory, node_id=COUNTY, now=now)
            # Seq 1 was delivered and is not PENDING, so nothing answers it; nothing changes.
            assert [r.status for r in deliveries(db)] == [DELIVERED, DELIVERED]
            deliveries(db)[1].status = PENDING
            db.flush()
            import_receipts(db, receipts=answer, directory=directory, node_id=COUNTY, now=now)
            assert [r.status for r in deliveries(db)] == [PENDING, PENDING]

    def test_a_receipts_file_naming_other_work_is_refused(self, sites: tuple[Site, Site],
                                                          keys: dict[str, SigningKey]) -> None:
        county, _ = sites
        now = datetime.now(UTC)
        directory = DirectoryFiles(county.settings).current(now)
        assert directory is not None
        data = write_file(BATCH_KIND, sender=CITY, receiver=COUNTY, key=keys[CITY], now=now,
                          parts=[Part("records", 0, [b"{}"])])
        with pytest.raises(ExchangeFileError, match="not a version-1"):
            read_file(data, kind=RECEIPTS_KIND, directory=directory, self_id=COUNTY, now=now)
        forged = write_file(RECEIPTS_KIND, sender=CITY, receiver=COUNTY, key=keys[COUNTY], now=now, parts=[])
        with pytest.raises(ExchangeFileError, match="signature") as caught:
            read_file(forged, kind=RECEIPTS_KIND, directory=directory, self_id=COUNTY, now=now)
        assert caught.value.code == "exchange.bad_file"


def read_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


class TestOperatorCommands:
    def test_retry_makes_failed_deliveries_due_again(self, sites: tuple[Site, Site]) -> None:
        county, _ = sites
        ingest(county, 0, 3)
        with open_session(county.settings) as db:
            for row in deliveries(db)[:2]:
                row.status, row.last_error = FAILED, "peer.unknown_key: refused"
        status = orjson.loads(county.ggzy("exchange", "status"))
        assert [(s["status"], s["count"], s["last_error"]) for s in status] == [
            (FAILED, 2, "peer.unknown_key: refused"), (PENDING, 1, None)]
        assert "0 deliveries due again" in county.ggzy("exchange", "retry", "--to", PROVINCE)
        assert "2 deliveries due again" in county.ggzy("exchange", "retry", "--to", CITY)
        with open_session(county.settings) as db:
            assert [r.status for r in deliveries(db)] == [PENDING] * 3
