"""Two real nodes (`ggzy serve` processes, SQLite each): the county's relay pushes to the city's inbox.

The sending side of this package against the receiving side as it really runs: peer tokens checked
against the city's directory, receipts signed by the city's key and kept at the county, the
envelopes in the city's log byte for byte, and `ggzy verify` content with both logs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from signing.keys import SigningKey
from tests.gateway.conftest import award
from tests.gateway.live import LiveNode, live_node
from tests.sync.conftest import CITY, COUNTY, PROVINCE, MakeDirectory
from tests.sync.servers import hold_directory

pytestmark = pytest.mark.slow


def with_key(tmp_path: Path, node_id: str, key: SigningKey) -> None:
    """Place the node key where `live_node` will start the node, so the directory can list it."""
    keys = tmp_path / f"node-{node_id}" / "var" / "keys"
    keys.mkdir(parents=True)
    (keys / "node.key").write_bytes(key.to_pem())


def log_of(node: LiveNode) -> list[bytes]:
    answer = httpx.get(f"{node.base}/api/v1/feed", headers={"Authorization": f"Bearer {node.token('admin')}"},
                       timeout=30)
    assert answer.status_code == 200, answer.text
    return [orjson.dumps(orjson.loads(line)["envelope"]) for line in answer.content.splitlines()]


class TestTwoNodes:
    def test_records_ingested_at_the_county_reach_the_city(self, tmp_path: Path, keys: dict[str, SigningKey],
                                                           make_directory: MakeDirectory) -> None:
        for node_id in (COUNTY, CITY):
            with_key(tmp_path, node_id, keys[node_id])
        with live_node(tmp_path, COUNTY, GATEWAY_SYNC__SWEEP_INTERVAL="PT1S") as county, \
                live_node(tmp_path, CITY) as city:
            directory = make_directory({COUNTY: county.base, CITY: city.base}, now=datetime.now(UTC))
            for node in (county, city):
                hold_directory(Path(node.env["GATEWAY_DATA_DIR"]), directory, keys[PROVINCE].public)
            items = [award(i, jurisdiction=COUNTY) for i in range(40)]
            answer = httpx.post(f"{county.base}/api/v1/ingest/standard", json=items, timeout=60,
                                headers={"Authorization": f"Bearer {county.token('source')}"})
            assert answer.status_code == 201, answer.text
            deadline = time.monotonic() + 60
            while len(log_of(city)) < 40:
                assert time.monotonic() < deadline, county.ggzy("exchange", "status").stdout
                time.sleep(0.3)
            assert log_of(city) == log_of(county)  # the same envelopes, in the same order, byte for byte
            status = orjson.loads(county.ggzy("exchange", "status").stdout)
            assert [(s["target"], s["status"], s["count"]) for s in status] == [(CITY, "DELIVERED", 40)]
            # The city forwards them up the tree; the province is not running, so they wait there.
            forwarded = orjson.loads(city.ggzy("exchange", "status").stdout)
            assert [(s["target"], s["status"], s["count"]) for s in forwarded] == [(PROVINCE, "PENDING", 40)]
            # The city's log holds envelopes signed by the county: its verifier needs both keys.
            jwks = tmp_path / "keys.jwks"
            jwks.write_bytes(orjson.dumps({"keys": [keys[n].public.to_jwk() for n in (COUNTY, CITY)]}))
            for node in (county, city):
                token = node.token("auditor")
                verified = node.ggzy("verify", node.base, "--token", token, "--keys", str(jwks), check=False)
                assert verified.returncode == 0, verified.stdout + verified.stderr
