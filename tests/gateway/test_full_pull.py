"""A discipline or audit body pulls a whole log of 100,000 records through the feed and verifies it;
then the four ways history can be falsified are each detected and named on that same log."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from config.settings import Settings, get_settings
from gateway.cli.main import app
from gateway.cli.setup import open_session, prepare_node
from gateway.services.ingest import ingest_standard
from tests.gateway.conftest import award
from tests.gateway.live import live_node

RECORDS = 100_000
runner = CliRunner()


def populate(settings: Settings, count: int) -> None:
    node = prepare_node(settings)
    base = award(0)
    for start in range(0, count, 5000):
        items = []
        for n in range(start, min(start + 5000, count)):
            item = copy.deepcopy(base)
            item["payload"]["bid_section_code"] = f"{base['payload']['tender_project_code']}{n:06d}"
            items.append(item)
        with open_session(settings) as db:
            outcomes = ingest_standard(
                db, items=items, node=node, source_system="test", now=datetime.now(UTC)
            )
        assert all(o.status == "accepted" for o in outcomes)


@pytest.mark.slow
class TestFullPull:
    def test_full_pull_verifies_and_every_falsification_is_named(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        data_dir = tmp_path / "node-530621" / "var"
        settings = Settings(env="test", data_dir=data_dir, node={"id": "530621"})
        populate(settings, RECORDS)
        with live_node(tmp_path, "530621") as node:
            auditor = node.token("auditor")
            state = tmp_path / "seen.json"
            pulled = node.ggzy("verify", node.base, "--token", auditor, "--state", str(state), check=False)
            assert pulled.returncode == 0, pulled.stderr[-2000:]
            assert f"{RECORDS} verified" in pulled.stdout
        monkeypatch.setenv("GATEWAY_DATA_DIR", str(data_dir))
        monkeypatch.setenv("GATEWAY_NODE__ID", "530621")
        get_settings.cache_clear()
        export = tmp_path / "log.ndjson"
        assert runner.invoke(app, ["export", "--out", str(export)]).exit_code == 0
        lines = export.read_bytes().splitlines(keepends=True)
        # The auditor's pull is in the log too: one access.event per page and per checkpoint read.
        assert len(lines) > RECORDS + 1
        assert b'"type":"access.event"' in lines[-1]

        def verify_with(changed: list[bytes], *extra: str) -> str:
            bad = tmp_path / "bad.ndjson"
            bad.write_bytes(b"".join(changed))
            result = runner.invoke(app, ["verify", str(bad), *extra])
            assert result.exit_code == 1, result.output[-1000:]
            return result.output

        victim = orjson.loads(lines[50_001])["envelope"]["id"]
        tampered = list(lines)
        tampered[50_001] = tampered[50_001].replace("龙头山镇".encode(), "龙头小镇".encode(), 1)
        out = verify_with(tampered)
        assert "signature at index 50000" in out
        assert victim in out

        deleted = lines[:70_001] + lines[70_002:]
        assert "sequence at index 70001" in verify_with(deleted)

        reordered = list(lines)
        reordered[1234], reordered[1235] = reordered[1235], reordered[1234]
        assert "sequence" in verify_with(reordered)

        # A rewritten history: drop the last 10 records and present a validly signed checkpoint of a
        # shorter log: the state kept from the first pull remembers the longer one.
        header = orjson.loads(lines[0])
        truncated = [orjson.dumps(header) + b"\n", *lines[1:-10]]
        out = verify_with(truncated, "--state", str(state))
        assert "records were deleted or withheld" in out or "consistency" in out
        get_settings.cache_clear()
