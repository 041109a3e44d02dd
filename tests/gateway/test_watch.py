"""`ggzy watch <source> <folder>`: the drop folder, processed with the source's adapter."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import Result

from config.settings import Settings
from gateway.cli.setup import open_session
from gateway.store.repositories.quarantine import QuarantineRepository
from tests.gateway.test_ingest_cli import fake_registry, ggzy, log_size, node_dir
from tests.gateway.test_source_ingest import SAMPLES, V2, lines

__all__ = ["fake_registry", "node_dir"]  # fixtures shared with the ingest CLI tests


def drop(folder: Path, name: str, data: bytes, *, marker: bool = True) -> Path:
    path = folder / "incoming" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if marker:
        (folder / "incoming" / f"{name}.done").touch()
    return path


def watch_once(source: str, folder: Path, *extra: str) -> Result:
    return ggzy("watch", source, str(folder), "--once", *extra)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def open_items() -> list[Any]:
    with open_session(Settings()) as db:
        return QuarantineRepository(db).list_open(limit=100)


class TestWatch:
    def test_read_files_are_archived_and_refused_ones_failed_with_a_reason(self, node_dir: Path) -> None:
        folder = node_dir / "drop"
        good = SAMPLES / "credit-china" / "xk_licenses.json"
        drop(folder, "a-xk.json", good.read_bytes())
        drop(folder, "b-truncated.json", (SAMPLES / "credit-china" / "bad" / "truncated.json").read_bytes())
        result = watch_once("credit-china", folder)
        assert result.exit_code == 1
        assert "archive/a-xk.json: 12 accepted" in result.stdout
        assert "failed/b-truncated.json: refused, json.malformed" in result.stdout
        assert names(folder / "incoming") == []
        assert names(folder / "processing") == []
        assert names(folder / "archive") == ["a-xk.json", "a-xk.json.done"]
        assert names(folder / "failed") == [
            "b-truncated.json", "b-truncated.json.done", "b-truncated.json.reason.json"]
        reason = json.loads((folder / "failed" / "b-truncated.json.reason.json").read_text("utf-8"))
        assert reason["file"] == "b-truncated.json"
        assert reason["reason"]["code"] == "json.malformed"
        (kept,) = open_items()
        assert reason["reason"]["quarantine_id"] == kept.id
        assert log_size() == 12

    def test_a_file_with_bad_rows_is_archived_with_them_in_quarantine(self, node_dir: Path) -> None:
        folder = node_dir / "drop"
        ragged = SAMPLES / "county-center" / "bad" / "530621_投标人名单_ragged.csv"
        drop(folder, ragged.name, ragged.read_bytes())
        result = watch_once("county-center", folder)
        assert result.exit_code == 0
        assert names(folder / "archive") == [ragged.name, f"{ragged.name}.done"]
        assert "4 accepted" in result.stdout
        assert "quarantined: csv.ragged_row 2" in result.stdout
        assert len(open_items()) == 2

    def test_a_file_without_its_marker_waits(self, node_dir: Path) -> None:
        folder = node_dir / "drop"
        drop(folder, "early.json", (SAMPLES / "credit-china" / "xk_licenses.json").read_bytes(), marker=False)
        assert watch_once("credit-china", folder).exit_code == 0
        assert names(folder / "incoming") == ["early.json"]
        assert log_size() == 0

    def test_rename_readiness_takes_files_once_their_part_suffix_is_gone(self, node_dir: Path) -> None:
        folder = node_dir / "drop"
        data = (SAMPLES / "credit-china" / "xk_licenses.json").read_bytes()
        drop(folder, "xk.json.part", data, marker=False)
        assert watch_once("credit-china", folder, "--readiness", "rename").exit_code == 0
        assert names(folder / "incoming") == ["xk.json.part"]
        (folder / "incoming" / "xk.json.part").rename(folder / "incoming" / "xk.json")
        assert watch_once("credit-china", folder, "--readiness", "rename").exit_code == 0
        assert names(folder / "archive") == ["xk.json"]
        assert log_size() == 12

    def test_a_restart_takes_leftovers_again_without_filing_anything_twice(self, node_dir: Path,
                                                                           fake_registry: Any) -> None:
        folder = node_dir / "drop"
        data = lines(f"0,{V2}", f"1,{V2},X")
        drop(folder, "first.csv", data)
        assert watch_once("fake-source", folder).exit_code == 0
        # A crash after the commit but before the move leaves the file in processing/: simulate it.
        (folder / "processing").mkdir(exist_ok=True)
        shutil.copyfile(folder / "archive" / "first.csv", folder / "processing" / "first.csv")
        result = watch_once("fake-source", folder)
        assert result.exit_code == 0
        assert "0 accepted (0 new versions), 1 duplicates" in result.stdout
        assert names(folder / "processing") == []
        assert "first~2.csv" in names(folder / "archive")
        assert log_size() == 1
        (item,) = open_items()
        assert item.reasons[0]["code"] == "fake.bad_flag"

    def test_an_unknown_source_exits_2(self, node_dir: Path) -> None:
        result = watch_once("nowhere", node_dir / "drop")
        assert result.exit_code == 2
        assert "unknown source" in result.stderr

    def test_a_too_short_interval_is_a_usage_error(self, node_dir: Path) -> None:
        result = ggzy("watch", "credit-china", str(node_dir / "drop"), "--interval", "0")
        assert result.exit_code == 2
        assert "interval" in result.output
