"""Witnessing: cosignatures accepted only from trusted witnesses, served with the checkpoint, required by
`ggzy verify --witness`; the witness tool refuses rollbacks, split views and rewritten history."""

from __future__ import annotations

import base64
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import orjson
from fastapi.testclient import TestClient

from config.settings import Settings
from gateway.services.identity import NodeIdentity
from gateway.services.witness import trust_witness
from signing.keys import SigningKey
from signing.note import NoteVerifier, cosign, open_note
from tests.gateway.conftest import award
from tests.gateway.live import LiveNode, live_node


def post_records(client: TestClient, token, n: int) -> None:
    assert (
        client.post(
            "/api/v1/ingest/standard", json=[award(i) for i in range(n)], headers=token("source")
        ).status_code
        == 201
    )


class TestCosignatureRoute:
    def test_trusted_witness_cosignature_is_served_with_the_checkpoint(
        self, client: TestClient, token, settings: Settings
    ) -> None:
        witness = SigningKey.generate()
        trust_witness(settings, name="yn-audit", jwk=witness.public.to_jwk())
        post_records(client, token, 3)
        note = client.get("/api/v1/feed/checkpoint", headers=token("admin")).text
        line = cosign(note, "yn-audit", witness, int(time.time()))
        resp = client.post(
            "/api/v1/feed/checkpoint/cosignatures", json={"size": 3, "line": line}, headers=token("witness")
        )
        assert resp.status_code == 201, resp.text
        served = client.get("/api/v1/feed/checkpoint", headers=token("admin")).text
        opened = open_note(served, [NoteVerifier("yn-audit", witness.public, "cosignature")])
        assert "yn-audit" in opened.cosignatures

    def test_untrusted_or_forged_cosignature_is_refused(
        self, client: TestClient, token, settings: Settings
    ) -> None:
        trusted = SigningKey.generate()
        trust_witness(settings, name="yn-audit", jwk=trusted.public.to_jwk())
        post_records(client, token, 2)
        note = client.get("/api/v1/feed/checkpoint", headers=token("admin")).text
        for line in (
            cosign(note, "yn-audit", SigningKey.generate(), 1),
            cosign(note, "other", trusted, 1),
            "junk",
        ):
            resp = client.post(
                "/api/v1/feed/checkpoint/cosignatures",
                json={"size": 2, "line": line},
                headers=token("witness"),
            )
            assert resp.status_code == 422, line
            assert resp.json()["code"] == "witness.cosignature_refused"

    def test_auditor_cannot_cosign(self, client: TestClient, token) -> None:
        resp = client.post(
            "/api/v1/feed/checkpoint/cosignatures", json={"size": 1, "line": "x"}, headers=token("auditor")
        )
        assert resp.status_code == 403


class WitnessSetup:
    """A witness key trusted by a live node, its memory file, and the tokens the tests use."""

    def __init__(self, node: LiveNode, tmp_path: Path) -> None:
        self.node = node
        self.key_file, self.jwk_file = tmp_path / "w.pem", tmp_path / "w.jwk"
        self.state = tmp_path / "w-state.json"
        self.jwk_file.write_text(node.ggzy("witness", "keygen", "--out", str(self.key_file)).stdout)
        node.ggzy("witness", "trust", "--name", "yn-audit", "--jwk", str(self.jwk_file))
        self.admin = node.token("admin")
        self.cosign_args = (
            "witness",
            "cosign",
            "--node",
            node.base,
            "--key",
            str(self.key_file),
            "--name",
            "yn-audit",
            "--state",
            str(self.state),
            "--token",
            node.token("witness"),
        )

    def ingest(self, items: list[dict]) -> None:  # type: ignore[type-arg]
        httpx.post(
            f"{self.node.base}/api/v1/ingest/standard",
            json=items,
            headers={"Authorization": f"Bearer {self.admin}"},
        ).raise_for_status()

    def cosign(self, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.node.ggzy(*self.cosign_args, check=check)


class TestWitnessTool:
    def test_cosign_then_verify_requires_it_and_split_view_is_refused(self, tmp_path: Path) -> None:
        with live_node(tmp_path) as node:
            w = WitnessSetup(node, tmp_path)
            admin, jwk_file, state = w.admin, w.jwk_file, w.state
            w.ingest([award(i) for i in range(12)])
            assert "cosigned" in w.cosign().stdout
            verified = node.ggzy("verify", node.base, "--token", admin, "--witness", f"yn-audit={jwk_file}")
            assert "cosigned by  yn-audit" in verified.stdout
            other_jwk = tmp_path / "other.jwk"
            other_jwk.write_text(orjson.dumps(SigningKey.generate().public.to_jwk()).decode())
            missing = node.ggzy(
                "verify", node.base, "--token", admin, "--witness", f"other={other_jwk}", check=False
            )
            assert missing.returncode == 1
            assert "witness" in missing.stderr
            # More records: the witness checks a consistency proof before cosigning again.
            w.ingest([award(i) for i in range(12, 20)])
            assert w.cosign().returncode == 0
            # The witness remembers another root for the size it last cosigned: a split view.
            memory = orjson.loads(state.read_bytes())
            (origin,) = memory
            memory[origin]["root"] = base64.b64encode(bytes(32)).decode()
            state.write_bytes(orjson.dumps(memory))
            refused = w.cosign(check=False)
            assert refused.returncode == 1
            assert "split view" in refused.stderr or "history rewritten" in refused.stderr

    def test_rewritten_history_is_refused(self, tmp_path: Path) -> None:
        with live_node(tmp_path) as node:
            w = WitnessSetup(node, tmp_path)
            w.ingest([award(i) for i in range(6)])
            w.cosign()
            # The operator wipes the log and writes another history, validly signed, one record longer.
            with sqlite3.connect(node.cwd / "var" / "node.db") as conn:
                for table in ("log_leaves", "log_nodes", "checkpoints", "record_heads"):
                    conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                conn.execute("UPDATE log_state SET size = 0, frontier = '[]'")
            later = "2024-11-22T11:00:00+08:00"
            w.ingest([award(i, version=later) for i in range(9)])
            refused = w.cosign(check=False)
            assert refused.returncode == 1
            assert "history rewritten" in refused.stderr


class TestEvidenceBundle:
    def test_bundle_verifies_offline_and_tampering_is_named(
        self, client: TestClient, token, node: NodeIdentity, settings: Settings, tmp_path: Path
    ) -> None:
        from gateway.cli.export import export_evidence
        from gateway.cli.verify import run_verify

        results = client.post(
            "/api/v1/ingest/standard", json=[award(i) for i in range(9)], headers=token("source")
        ).json()["results"]
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "keys").mkdir(exist_ok=True)
        (settings.data_dir / "keys" / "node.key").write_bytes(node.key.to_pem(None))
        bundle = tmp_path / "evidence.json"
        assert export_evidence(settings, [results[2]["id"], results[7]["id"]], bundle) == 2
        assert run_verify(str(bundle), token=None, keys_file=None, state_file=None) == 0
        data = orjson.loads(bundle.read_bytes())
        leaf = base64.b64decode(data["records"][1]["leaf"]).replace("龙头山镇".encode(), "龙头小镇".encode())
        data["records"][1]["leaf"] = base64.b64encode(leaf).decode()
        bundle.write_bytes(orjson.dumps(data))
        assert run_verify(str(bundle), token=None, keys_file=None, state_file=None) == 1
        data["records"][1]["leaf"] = orjson.loads(bundle.read_bytes())["records"][0]["leaf"]
        bundle.write_bytes(orjson.dumps(data))
        assert run_verify(str(bundle), token=None, keys_file=None, state_file=None) == 1


class TestEvidenceUnderTheFederationRoot:
    def test_node_keys_come_from_the_signed_directory(
        self, client: TestClient, token, node: NodeIdentity, settings: Settings, tmp_path: Path
    ) -> None:
        from datetime import UTC, datetime, timedelta

        from gateway.cli.export import export_evidence
        from gateway.cli.verify import run_verify
        from signing.directory import rfc3339, sign_directory

        root = SigningKey.generate()
        now = datetime.now(UTC)
        document = {
            "v": 1,
            "federation": "yunnan",
            "root": "530000",
            "serial": 1,
            "issued_at": rfc3339(now),
            "expires_at": rfc3339(now + timedelta(days=30)),
            "nodes": [
                {
                    "id": "530000",
                    "parent": None,
                    "name": "云南省",
                    "endpoint": "http://127.0.0.1:1",
                    "keys": [
                        {
                            "jwk": root.public.to_jwk(),
                            "not_before": rfc3339(now - timedelta(days=1)),
                            "not_after": rfc3339(now + timedelta(days=365)),
                        }
                    ],
                },
                {
                    "id": "530600",
                    "parent": "530000",
                    "name": "昭通市",
                    "endpoint": "http://127.0.0.1:2",
                    "keys": [
                        {
                            "jwk": node.key.public.to_jwk(),
                            "not_before": rfc3339(now - timedelta(days=1)),
                            "not_after": rfc3339(now + timedelta(days=365)),
                        }
                    ],
                },
            ],
            "revoked_keys": [],
            "departments": [],
        }
        (settings.data_dir / "federation").mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "federation" / "directory.json").write_bytes(
            orjson.dumps(sign_directory(document, root))
        )
        (settings.data_dir / "keys").mkdir(exist_ok=True)
        (settings.data_dir / "keys" / "node.key").write_bytes(node.key.to_pem(None))
        results = client.post(
            "/api/v1/ingest/standard", json=[award(i) for i in range(3)], headers=token("source")
        ).json()["results"]
        bundle = tmp_path / "evidence.json"
        export_evidence(settings, [results[1]["id"]], bundle)
        root_jwk, other_jwk = tmp_path / "root.jwk", tmp_path / "other.jwk"
        root_jwk.write_bytes(orjson.dumps(root.public.to_jwk()))
        other_jwk.write_bytes(orjson.dumps(SigningKey.generate().public.to_jwk()))
        assert run_verify(str(bundle), token=None, keys_file=None, state_file=None, root_file=root_jwk) == 0
        assert run_verify(str(bundle), token=None, keys_file=None, state_file=None, root_file=other_jwk) != 0
