from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.dropfolder import DropFolder, Readiness

NOW = datetime(2026, 5, 20, 2, 15, tzinfo=UTC)


def drop(folder: DropFolder, name: str, content: bytes = b"data", *, marker: bool = True) -> Path:
    path = folder.incoming / name
    path.write_bytes(content)
    if marker:
        (folder.incoming / f"{name}.done").write_bytes(b"")
    return path


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


class TestDropFolder:
    def test_layout_is_created(self, tmp_path: Path) -> None:
        DropFolder(tmp_path / "drop")
        assert names(tmp_path / "drop") == ["archive", "failed", "incoming", "processing"]

    def test_marker_makes_a_file_ready(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        drop(folder, "b.xml")
        drop(folder, "a.csv")
        drop(folder, "c.xml", marker=False)
        claimed = folder.claim_ready()
        assert claimed == [folder.processing / "a.csv", folder.processing / "b.xml"]
        assert names(folder.incoming) == ["c.xml"]
        assert names(folder.processing) == ["a.csv", "a.csv.done", "b.xml", "b.xml.done"]
        assert claimed[0].read_bytes() == b"data"

    def test_nothing_is_claimed_twice(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        drop(folder, "a.xml")
        assert len(folder.claim_ready()) == 1
        assert folder.claim_ready() == []

    def test_rename_readiness(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path, readiness=Readiness.RENAME)
        drop(folder, "a.xml", marker=False)
        drop(folder, "b.xml.part", marker=False)
        assert folder.claim_ready() == [folder.processing / "a.xml"]
        (folder.incoming / "b.xml.part").rename(folder.incoming / "b.xml")
        assert folder.claim_ready() == [folder.processing / "b.xml"]

    def test_hidden_files_and_orphan_markers_are_left_alone(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path, readiness=Readiness.RENAME)
        drop(folder, ".a.xml.tmp", marker=False)
        (folder.incoming / "gone.xml.done").write_bytes(b"")
        assert folder.claim_ready() == []
        assert names(folder.incoming) == [".a.xml.tmp", "gone.xml.done"]

    def test_only_regular_files_are_claimed(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        secret = tmp_path / "secret.txt"
        secret.write_text("secret")
        (folder.incoming / "link.xml").symlink_to(secret)
        (folder.incoming / "link.xml.done").write_bytes(b"")
        (folder.incoming / "dir.xml").mkdir()
        (folder.incoming / "dir.xml.done").write_bytes(b"")
        os.mkfifo(folder.incoming / "pipe.xml")
        (folder.incoming / "pipe.xml.done").write_bytes(b"")
        assert folder.claim_ready() == []
        assert secret.read_text() == "secret"

    def test_archive_on_success(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        drop(folder, "a.xml")
        [claimed] = folder.claim_ready()
        archived = folder.complete(claimed, True, now=NOW)
        assert archived == folder.archive / "a.xml"
        assert names(folder.archive) == ["a.xml", "a.xml.done"]
        assert names(folder.processing) == []

    def test_failure_keeps_the_file_and_its_reason(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        drop(folder, "a.xml", b"<broken")
        [claimed] = folder.claim_ready()
        reason = {
            "code": "xml.truncated",
            "details": [{"pointer": "", "code": "xml.truncated", "message": "截断"}],
        }
        failed = folder.complete(claimed, False, reason, now=NOW)
        assert failed.read_bytes() == b"<broken"
        assert names(folder.failed) == ["a.xml", "a.xml.done", "a.xml.reason.json"]
        record = json.loads((folder.failed / "a.xml.reason.json").read_text(encoding="utf-8"))
        assert record == {"file": "a.xml", "failed_at": "2026-05-20T02:15:00+00:00", "reason": reason}

    def test_failure_without_a_reason(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        drop(folder, "a.xml")
        [claimed] = folder.claim_ready()
        folder.complete(claimed, False, now=NOW)
        assert json.loads((folder.failed / "a.xml.reason.json").read_text())["reason"] == {}

    def test_names_are_never_overwritten(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        results = []
        for content in (b"one", b"two", b"three"):
            drop(folder, "win_result.tar.gz", content)
            [claimed] = folder.claim_ready()
            results.append(folder.complete(claimed, False, {"n": content.decode()}, now=NOW))
        assert [path.name for path in results] == [
            "win_result.tar.gz",
            "win_result~2.tar.gz",
            "win_result~3.tar.gz",
        ]
        assert [path.read_bytes() for path in results] == [b"one", b"two", b"three"]
        assert json.loads((folder.failed / "win_result~3.tar.gz.reason.json").read_text())["reason"] == {
            "n": "three"
        }

    def test_claim_beside_a_leftover_of_the_same_name(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        (folder.processing / "a.xml").write_bytes(b"old")
        drop(folder, "a.xml", b"new")
        claimed = folder.claim_ready()
        assert claimed == [folder.processing / "a.xml", folder.processing / "a~2.xml"]
        assert [path.read_bytes() for path in claimed] == [b"old", b"new"]

    def test_restart_retries_files_left_in_processing(self, tmp_path: Path) -> None:
        first = DropFolder(tmp_path)
        drop(first, "a.xml")
        drop(first, "b.xml")
        assert len(first.claim_ready()) == 2
        # the process dies here; a new one starts on the same folder
        second = DropFolder(tmp_path)
        drop(second, "c.xml")
        assert second.claim_ready() == [second.processing / name for name in ("a.xml", "b.xml", "c.xml")]
        assert second.claim_ready() == []

    def test_restart_after_a_crash_between_file_and_marker(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        drop(folder, "a.xml")
        (folder.incoming / "a.xml").rename(folder.processing / "a.xml")  # the marker stayed behind
        restarted = DropFolder(tmp_path)
        assert restarted.claim_ready() == [restarted.processing / "a.xml"]
        assert names(restarted.incoming) == []
        drop(restarted, "a.xml", marker=False)
        assert restarted.claim_ready() == []

    def test_restart_keeps_markers_in_processing_out_of_the_claims(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        (folder.processing / "a.xml.done").write_bytes(b"")
        assert folder.claim_ready() == []

    def test_complete_refuses_paths_it_did_not_claim(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        stray = drop(folder, "a.xml")
        with pytest.raises(ValueError, match="not a claimed file"):
            folder.complete(stray, True, now=NOW)
        with pytest.raises(ValueError, match="not a claimed file"):
            folder.complete(folder.processing / "missing.xml", True, now=NOW)

    def test_complete_needs_an_aware_time(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        drop(folder, "a.xml")
        [claimed] = folder.claim_ready()
        with pytest.raises(ValueError, match="timezone-aware"):
            folder.complete(claimed, True, now=NOW.replace(tzinfo=None))
        assert claimed.exists()
