"""`ggzy ingest <source> <path>…` and `ggzy quarantine list|show|reprocess` on a node's data directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from config.settings import Settings, get_settings
from gateway.cli import ingest as ingest_cli
from gateway.cli.main import app
from gateway.cli.setup import open_session
from gateway.services.source_ingest import StandardRecordsAdapter
from gateway.store.repositories.log import LogRepository
from tests.gateway.conftest import award
from tests.gateway.test_source_ingest import SAMPLES, V2, FakeAdapter, lines, sample_files

runner = CliRunner()


@pytest.fixture
def node_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[Path]:
    """Environment of a node whose data lives under tmp_path/var, on the database of the tier."""
    for name, value in {"GATEWAY_DATA_DIR": str(tmp_path / "var"), "GATEWAY_DB__URL": db_url,
                        "GATEWAY_NODE__ID": "530600", "GATEWAY_ENV": "test", "COLUMNS": "160"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    registry: dict[str, Any] = {"fake-source": FakeAdapter("1"), "standard": StandardRecordsAdapter()}
    monkeypatch.setattr(ingest_cli, "load_registry", lambda _settings: registry)
    return registry


def ggzy(*args: str) -> Result:
    return runner.invoke(app, list(args))


def ingest_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = ggzy("ingest", *args, "--json")
    start = result.stdout.index("{")
    return result.exit_code, orjson.loads(result.stdout[start:])


def log_size() -> int:
    with open_session(Settings()) as db:
        return LogRepository(db).size()


def copy_samples(source: str, into: Path) -> Path:
    into.mkdir(parents=True)
    for path in sample_files(source):
        shutil.copyfile(path, into / path.name)
    return into


class TestIngestCommand:
    def test_a_folder_of_samples_is_ingested_and_summed_up(self, node_dir: Path) -> None:
        folder = copy_samples("credit-china", node_dir / "in" / "credit")
        code, body = ingest_json("credit-china", str(node_dir / "in"))
        assert code == 0
        assert [Path(f["path"]).name for f in body["files"]] == [p.name for p in sample_files("credit-china")]
        totals = body["totals"]
        assert totals["accepted"] == log_size() > 0
        assert (totals["new_versions"], totals["quarantined"], totals["refused_uploads"]) == (2, 0, 0)
        assert totals["quarantined_by_reason"] == {}
        again_code, again = ingest_json("credit-china", str(folder))
        assert again_code == 0
        assert (again["totals"]["accepted"], again["totals"]["duplicates"]) == (0, totals["accepted"])

    def test_a_file_refused_whole_exits_1_and_is_named(self, node_dir: Path) -> None:
        folder = copy_samples("construction-market", node_dir / "in")
        bad = SAMPLES / "construction-market" / "bad"
        shutil.copyfile(bad / "truncated.xml", folder / "zz-truncated.xml")
        shutil.copyfile(bad / "company_bad_uscc.json", folder / "bad.json")
        result = ggzy("ingest", "construction-market", str(folder))
        assert result.exit_code == 1
        assert "zz-truncated.xml: xml.truncated" in result.stderr
        assert "quarantined by reason" in result.stdout
        assert "identifier.uscc.check_digit" in result.stdout
        assert "files refused" in result.stdout

    def test_the_table_counts_a_bad_row_among_good_ones(self, node_dir: Path) -> None:
        path = SAMPLES / "county-center" / "bad" / "530621_投标人名单_ragged.csv"
        code, body = ingest_json("county-center", str(path))
        assert code == 0
        assert (body["totals"]["accepted"], body["totals"]["quarantined"]) == (4, 2)
        assert body["totals"]["quarantined_by_reason"] == {"csv.ragged_row": 2}

    def test_an_older_file_after_a_newer_one_counts_stale(self, node_dir: Path) -> None:
        newer = SAMPLES / "credit-china" / "black_list_revocations.json"
        assert ingest_json("credit-china", str(newer))[1]["totals"]["accepted"] == 2
        code, body = ingest_json("credit-china", str(SAMPLES / "credit-china" / "black_list.json"))
        assert code == 0
        assert (body["totals"]["accepted"], body["totals"]["stale"]) == (8, 2)
        assert body["totals"]["quarantined_by_reason"] == {"record.stale": 2}

    def test_standard_records_from_a_json_file(self, node_dir: Path) -> None:
        bad = award(2)
        del bad["payload"]["tender_project_code"]
        path = node_dir / "records.json"
        path.write_bytes(orjson.dumps([award(0), award(1), bad]))
        code, body = ingest_json("standard", str(path))
        assert code == 0
        assert (body["totals"]["accepted"], body["totals"]["quarantined"]) == (2, 1)
        assert list(body["totals"]["quarantined_by_reason"]) == ["schema.required"]

    def test_folders_are_read_recursively_in_name_order(self, node_dir: Path, fake_registry: Any) -> None:
        for name, n in (("b/2.csv", 2), ("a/z/1.csv", 1), ("c.csv", 3), ("a/.hidden.csv", 4)):
            (node_dir / "in" / name).parent.mkdir(parents=True, exist_ok=True)
            (node_dir / "in" / name).write_bytes(lines(f"{n},{V2}"))
        code, body = ingest_json("fake-source", str(node_dir / "in"))
        assert code == 0
        assert [Path(f["path"]).relative_to(node_dir / "in").as_posix() for f in body["files"]] == [
            "a/z/1.csv", "b/2.csv", "c.csv"]

    def test_usage_errors_exit_2(self, node_dir: Path) -> None:
        unknown = ggzy("ingest", "nowhere", str(node_dir))
        assert unknown.exit_code == 2
        assert "unknown source 'nowhere'" in unknown.stderr
        missing = ggzy("ingest", "credit-china", str(node_dir / "absent.json"))
        assert missing.exit_code == 2
        assert "no such file or folder" in missing.stderr


class TestQuarantineCommands:
    def refuse(self, node_dir: Path) -> str:
        path = node_dir / "f.csv"
        path.write_bytes(lines(f"0,{V2}", f"1,{V2},X"))
        code, _ = ingest_json("fake-source", str(path))
        assert code == 0
        listing = ggzy("quarantine", "list", "--json")
        assert listing.exit_code == 0
        (item,) = orjson.loads(listing.stdout)
        assert (item["ref"], item["reasons"][0]["code"]) == ("f.csv:line 2", "fake.bad_flag")
        return str(item["id"])

    def test_list_and_show(self, node_dir: Path, fake_registry: Any) -> None:
        qid = self.refuse(node_dir)
        table = ggzy("quarantine", "list")
        assert qid in table.stdout
        assert "fake.bad_flag" in table.stdout
        raw = node_dir / "raw.bin"
        shown = ggzy("quarantine", "show", qid, "--raw", str(raw))
        assert shown.exit_code == 0
        view = orjson.loads(shown.stdout)
        assert (view["id"], view["status"], view["adapter"]) == (qid, "open", "fake-source@1")
        assert "raw_base64" not in view
        assert raw.read_bytes() == f"1,{V2},X".encode()
        missing = ggzy("quarantine", "show", "no-such-id")
        assert missing.exit_code == 1
        assert "quarantine.not_found" in missing.stderr

    def test_reprocess_after_an_adapter_fix(self, node_dir: Path, fake_registry: Any) -> None:
        qid = self.refuse(node_dir)
        still = ggzy("quarantine", "reprocess", qid)
        assert still.exit_code == 1
        assert "still open after attempt 1 with fake-source@1: fake.bad_flag" in still.stdout
        fake_registry["fake-source"] = FakeAdapter("2")
        fixed = ggzy("quarantine", "reprocess", qid)
        assert fixed.exit_code == 0, fixed.output
        assert f"{qid}: resolved by fake-source@2" in fixed.stdout
        assert log_size() == 2
        assert orjson.loads(ggzy("quarantine", "list", "--json").stdout) == []
        resolved = orjson.loads(ggzy("quarantine", "list", "--status", "resolved", "--json").stdout)
        assert [(i["id"], i["attempts"]) for i in resolved] == [(qid, 2)]
        again = ggzy("quarantine", "reprocess", qid)
        assert again.exit_code == 1
        assert "quarantine.not_open" in again.stderr
