"""`ggzy verify` over exports and over HTTP: a clean log passes; every kind of tampering is named."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from config.settings import Settings, get_settings
from gateway.cli.main import app
from gateway.cli.setup import open_session, prepare_node
from gateway.services.ingest import ingest_standard
from tests.gateway.conftest import award

runner = CliRunner()


def node_env(tmp_path: Path) -> dict[str, str]:
    return {"GATEWAY_DATA_DIR": str(tmp_path / "var"), "GATEWAY_NODE__ID": "530621", "GATEWAY_ENV": "test"}


@pytest.fixture
def populated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A node data directory holding 30 records in three batches; returns its export file."""
    for name, value in node_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = Settings()
    node = prepare_node(settings)
    for batch in range(3):
        with open_session(settings) as db:
            items = [award(batch * 10 + n) for n in range(10)]
            ingest_standard(db, items=items, node=node, source_system="test", now=datetime.now(UTC))
    out = tmp_path / "log.ndjson"
    result = runner.invoke(app, ["export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    yield out
    get_settings.cache_clear()


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def verify(path: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["verify", str(path), *extra])
    return result.exit_code, result.output


def tamper(path: Path, line_no: int, old: bytes, new: bytes) -> str:
    lines = lines_of(path)
    assert old in lines[line_no], (old, lines[line_no][:200])
    lines[line_no] = lines[line_no].replace(old, new, 1)
    path.write_bytes(b"".join(lines))
    return str(orjson.loads(lines[line_no])["envelope"]["id"])


class TestVerifyExport:
    def test_clean_export_verifies(self, populated: Path) -> None:
        code, out = verify(populated)
        assert code == 0, out
        assert "30 verified against checkpoint size 30" in out
        assert "OK" in out

    @pytest.mark.parametrize(
        ("old", "new"),
        [
            (b'"type":"tender.award"', b'"type":"tender.awarc"'),
            (b'"jurisdiction":"530621"', b'"jurisdiction":"530622"'),
            (b'"origin":"530621"', b'"origin":"530620"'),
            (b'"schema":"tender.award/1"', b'"schema":"tender.award/2"'),
            (b'"issued_at":"20', b'"issued_at":"21'),
            (b'"yuan":"4012', b'"yuan":"5012'),
            ("龙头山镇".encode(), "龙头小镇".encode()),
            (b'"v":1', b'"v":2'),
            (b'"adapter":"standard@1"', b'"adapter":"standard@2"'),
        ],
    )
    def test_any_changed_field_fails_and_names_the_record(
        self, populated: Path, old: bytes, new: bytes
    ) -> None:
        record_id = tamper(populated, 7, old, new)
        code, out = verify(populated)
        assert code == 1
        assert "signature" in out
        assert record_id in out
        assert "index 6" in out

    def test_changed_id_fails(self, populated: Path) -> None:
        line = lines_of(populated)[4]
        eid = orjson.loads(line)["envelope"]["id"]
        tamper(
            populated,
            4,
            f'"id":"{eid}"'.encode(),
            f'"id":"{eid[:-1]}0"'.encode() if eid[-1] != "0" else f'"id":"{eid[:-1]}1"'.encode(),
        )
        code, out = verify(populated)
        assert code == 1
        assert "index 3" in out

    def test_changed_signature_fails(self, populated: Path) -> None:
        line = lines_of(populated)[2]
        jws = orjson.loads(line)["envelope"]["sig"]["jws"]
        flipped = jws[:-3] + ("A" if jws[-3] != "A" else "B") + jws[-2:]
        tamper(populated, 2, jws.encode(), flipped.encode())
        assert verify(populated)[0] == 1

    def test_deleted_record_is_detected(self, populated: Path) -> None:
        lines = lines_of(populated)
        del lines[10]
        populated.write_bytes(b"".join(lines))
        code, out = verify(populated)
        assert code == 1
        assert "sequence" in out
        assert "expected index 9, got 10" in out

    def test_reordered_pair_is_detected(self, populated: Path) -> None:
        lines = lines_of(populated)
        lines[5], lines[6] = lines[6], lines[5]
        populated.write_bytes(b"".join(lines))
        code, out = verify(populated)
        assert code == 1
        assert "sequence" in out

    def test_rewritten_history_is_detected_against_an_earlier_checkpoint(
        self, populated: Path, tmp_path: Path
    ) -> None:
        state = tmp_path / "seen.json"
        assert verify(populated, "--state", str(state))[0] == 0
        assert state.exists()
        # The operator rewrites record 3 and re-signs everything with the node key: signatures hold,
        # the new checkpoint is validly signed, only the earlier checkpoint can tell.
        get_settings.cache_clear()
        settings = Settings()
        db_path = settings.data_dir / "node.db"
        with sqlite3.connect(db_path) as conn:
            conn.execute("DELETE FROM log_leaves WHERE idx >= 3")
            conn.execute("DELETE FROM log_nodes")
            conn.execute("DELETE FROM checkpoints")
            conn.execute("DELETE FROM record_heads")
            conn.execute("UPDATE log_state SET size = 0, frontier = '[]'")
            conn.execute("DELETE FROM log_leaves")
        node = prepare_node(settings)
        with open_session(settings) as db:
            items = [award(n, version="2024-11-22T11:00:00+08:00") for n in range(35)]
            ingest_standard(db, items=items, node=node, source_system="test", now=datetime.now(UTC))
        rewritten = tmp_path / "rewritten.ndjson"
        assert runner.invoke(app, ["export", "--out", str(rewritten)]).exit_code == 0
        assert verify(rewritten)[0] == 0
        code, out = verify(rewritten, "--state", str(state))
        assert code == 1
        assert "consistency" in out
        assert "history was rewritten" in out

    def test_not_an_export(self, tmp_path: Path) -> None:
        bogus = tmp_path / "x.ndjson"
        bogus.write_bytes(b'{"hello": 1}\n')
        assert verify(bogus)[0] == 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestVerifyOverHttp:
    def test_serve_ingest_verify_then_tamper(self, tmp_path: Path) -> None:
        env = {**os.environ, **node_env(tmp_path)}
        port = free_port()
        ggzy = [sys.executable, "-m", "gateway.cli"]
        log = (tmp_path / "server.log").open("wb")
        server = subprocess.Popen(
            [*ggzy, "serve", "--port", str(port)], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            assert httpx.get(f"{base}/docs").status_code == 200
            admin = subprocess.run(
                [*ggzy, "token", "issue", "--role", "admin"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            auditor = subprocess.run(
                [*ggzy, "token", "issue", "--role", "auditor"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            resp = httpx.post(
                f"{base}/api/v1/ingest/standard",
                json=[award(n) for n in range(40)],
                headers={"Authorization": f"Bearer {admin}"},
            )
            assert resp.status_code == 201
            victim = resp.json()["results"][17]["id"]
            ok = subprocess.run(
                [*ggzy, "verify", base, "--token", auditor],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
            )
            assert ok.returncode == 0, ok.stdout + ok.stderr
            assert "40 verified" in ok.stdout
            with sqlite3.connect(tmp_path / "var" / "node.db") as conn:
                (leaf,) = conn.execute("SELECT leaf FROM log_leaves WHERE idx = 17").fetchone()
                conn.execute(
                    "UPDATE log_leaves SET leaf = ? WHERE idx = 17",
                    (leaf.replace("龙头山镇".encode(), "龙头小镇".encode()),),
                )
            bad = subprocess.run(
                [*ggzy, "verify", base, "--token", auditor],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
            )
            assert bad.returncode == 1
            assert victim in bad.stderr
        finally:
            server.terminate()
            server.wait(10)
            log.close()
