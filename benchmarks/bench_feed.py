"""Feed throughput for a full pull over HTTP on loopback, beside reading the same bytes from the
database in the same run; and offline verification speed (`ggzy verify`'s audit core).

Run: .venv/bin/python -m benchmarks.bench_feed [--records 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.bench_foundation import records
from benchmarks.harness import Row, pin_to_one_core, print_table
from config.settings import Settings
from gateway.cli.setup import open_session, prepare_node
from gateway.services.ingest import ingest_standard
from gateway.store.repositories.log import LogRepository
from signing.audit import LogAuditor
from signing.keys import Keyring
from signing.note import NoteVerifier
from tests.gateway.live import free_port

PAGE = 50_000


def populate(settings: Settings, n: int) -> None:
    node = prepare_node(settings)
    items = records(n)
    for start in range(0, n, 5000):
        with open_session(settings) as db:
            ingest_standard(
                db, items=items[start : start + 5000], node=node, source_system="bench", now=datetime.now(UTC)
            )


def pull(base: str, token: str, size: int) -> tuple[list[bytes], float]:
    lines: list[bytes] = []
    started = time.perf_counter()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        after = -1
        while after + 1 < size:
            resp = client.get("/api/v1/feed", params={"after": after, "limit": PAGE})
            page = resp.content.splitlines()
            lines += page
            after = int(resp.headers["X-Next-After"])
    return lines[:size], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    n = parser.parse_args().records
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "GATEWAY_DATA_DIR": f"{tmp}/var",
            "GATEWAY_NODE__ID": "530600",
            "GATEWAY_ENV": "test",
        }
        settings = Settings(data_dir=Path(tmp) / "var", node={"id": "530600"}, env="test")
        populate(settings, n)
        port = free_port()
        ggzy = [sys.executable, "-m", "gateway.cli"]
        token = subprocess.run(
            [*ggzy, "token", "issue", "--role", "admin"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        server = subprocess.Popen(
            [*ggzy, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(f"{base}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            lines, http_seconds = pull(base, token, n)
            note = httpx.get(
                f"{base}/api/v1/feed/checkpoint", headers={"Authorization": f"Bearer {token}"}
            ).text
        finally:
            server.terminate()
            server.wait(10)
        started = time.perf_counter()
        with open_session(settings) as db:
            log, start, count = LogRepository(db), 0, 0
            while rows := log.list_leaves(start=start, limit=PAGE):
                count += len(rows)
                start = rows[-1][0] + 1
        db_seconds = time.perf_counter() - started
        assert count == n
        assert len(lines) == n

        pinned = pin_to_one_core()
        node = prepare_node(settings)
        started = time.perf_counter()
        auditor = LogAuditor(
            Keyring([node.key.public]),
            checkpoint_note=note,
            note_verifiers=[NoteVerifier(node.origin, node.key.public)],
        )
        auditor.add_lines(lines)
        report = auditor.finish()
        verify_seconds = time.perf_counter() - started
        assert report.ok, (report.findings[:3], note)

    print_table(
        f"Feed benchmark: {n} records ({sum(map(len, lines)) / n:.0f} bytes each); verify {pinned}",
        [
            Row(
                "feed full pull over HTTP",
                n / http_seconds,
                "same bytes read from the DB",
                n / db_seconds,
                "≥ 100,000/s",
            ),
            Row("ggzy verify (audit core)", n / verify_seconds, "-", None, "≥ 6,000/s"),
        ],
    )


if __name__ == "__main__":
    main()
