"""A real node process on loopback (`ggzy serve`), for tests that cross process and HTTP boundaries."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

GGZY = [sys.executable, "-m", "gateway.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveNode:
    base: str
    env: dict[str, str]
    cwd: Path

    def ggzy(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*GGZY, *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def token(self, role: str, *extra: str) -> str:
        return self.ggzy("token", "issue", "--role", role, *extra).stdout.strip()


@contextmanager
def live_node(tmp_path: Path, node_id: str = "530621", **env: str) -> Iterator[LiveNode]:
    data = tmp_path / f"node-{node_id}"
    data.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(data / "var"),
        "GATEWAY_NODE__ID": node_id,
        "GATEWAY_ENV": "test",
        **env,
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    full_env["GATEWAY_NODE__ENDPOINT"] = base
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(
        [*GGZY, "serve", "--port", str(port)], env=full_env, cwd=data, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"node did not start: {(data / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield LiveNode(base, full_env, data)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()
