"""One node of a local federation: its data directory, its `ggzy serve` process and, with a broker, its
Celery worker; the calls an operator or a neighbouring system makes to it.

Every process runs in a session of its own, so an interrupt at the terminal reaches only the launcher,
which then stops the nodes in order; `kill` is a SIGKILL of the node's processes (chaos), `start`
after it brings the node back on the same data, port and database.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx
import orjson

from config.settings import Settings
from gateway.services.auth import issue_token
from gateway.services.identity import NodeIdentity, load_identity
from schemas.errors import GatewayError

GGZY = [sys.executable, "-m", "gateway.cli"]
CELERY = [sys.executable, "-m", "celery", "-A", "sync.celery_app", "worker", "-B", "--loglevel=warning",
          "--concurrency=1"]
STOP_GRACE = 15.0


class LaunchError(GatewayError):
    code = "demo.launch_failed"
    status = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2,
             on_fail: Callable[[], str] | None = None) -> None:
    """Poll `condition` until it holds; TimeoutError naming `what` (and `on_fail()`) when it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            detail = f": {on_fail()}" if on_fail else ""
            raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s{detail}")
        time.sleep(interval)


@dataclass(frozen=True)
class NodeSpec:
    """A member of the topology: GB/T 2260 code, display name, parent node (None for the root)."""

    node_id: str
    name: str
    parent: str | None = None


@dataclass
class LocalNode:
    spec: NodeSpec
    data: Path
    port: int
    env: dict[str, str]
    db_url: str
    broker_url: str = ""
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return self.spec.node_id

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Settings:
        return Settings(env=self.env.get("GATEWAY_ENV", "dev"), data_dir=self.data / "var",
                        db={"url": self.db_url}, node={"id": self.node_id, "name": self.spec.name,
                                                       "endpoint": self.base})

    # operator side -----------------------------------------------------------------------------------

    def ggzy(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `ggzy ARGS` where the node's data lives, as its operator would."""
        # The command is this interpreter running the gateway's own CLI: no shell, no outside input.
        done = subprocess.run([*GGZY, *args], env=self.env, cwd=self.data,  # noqa: S603
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise LaunchError(f"ggzy {' '.join(args)} on {self.node_id}: {done.stdout}{done.stderr}")
        return done

    def identity(self) -> NodeIdentity:
        return load_identity(self.settings)

    def token(self, role: str, *scopes: str, subject: str | None = None, jurisdiction: str | None = None,
              ttl: timedelta = timedelta(hours=2)) -> str:
        """A token signed by this node's key, as `ggzy token issue` makes it."""
        return issue_token(self.identity(), role=role, subject=subject or f"{role}-demo",
                           jurisdiction=jurisdiction, scopes=list(scopes) or None, ttl=ttl,
                           now=datetime.now(UTC))

    def headers(self, role: str, *scopes: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, *scopes, **claims)}"}

    def reader_headers(self) -> dict[str, str]:
        """An admin reader that sees personal data unmasked and whose reads are not logged."""
        return self.headers("admin", "records:read", "pii:read")

    # processes ---------------------------------------------------------------------------------------

    def start(self, *, timeout: float = 60) -> None:
        """Start the server (and the worker, with a broker) and wait until it answers /healthz."""
        if self.server is None or self.server.poll() is not None:
            self.server = self._spawn([*GGZY, "serve", "--port", str(self.port)], "server.log")
        if self.broker_url and (self.worker is None or self.worker.poll() is not None):
            self.worker = self._spawn([*CELERY, "-n", f"ggzy-{self.node_id}-{self.port}@%h"], "worker.log")
        wait_for(self._healthy, timeout=timeout, what=f"node {self.node_id} to start",
                 on_fail=self.server_log)

    def stop(self) -> None:
        """Stop the server (a worker keeps running: it belongs to the broker side)."""
        _terminate(self.server)
        self.server = None

    def stop_all(self) -> None:
        self.stop()
        _terminate(self.worker)
        self.worker = None
        for log in self._logs:
            log.close()
        self._logs.clear()

    def kill(self) -> None:
        """SIGKILL the node's processes: no shutdown handler runs, as in a power cut."""
        for process in (self.server, self.worker):
            if process is not None and process.poll() is None:
                _signal_group(process, signal.SIGKILL)
                process.wait(STOP_GRACE)
        self.server = self.worker = None

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.poll() is None

    def server_log(self) -> str:
        path = self.data / "server.log"
        return path.read_text("utf-8", "replace")[-3000:] if path.exists() else ""

    # HTTP --------------------------------------------------------------------------------------------

    def ingest_file(self, source: str, path: Path, *, system: str | None = None) -> httpx.Response:
        """POST one source file to /api/v1/ingest/{source}, as the source system would send it."""
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return httpx.post(f"{self.base}/api/v1/ingest/{source}?filename={quote(path.name)}",
                          content=path.read_bytes(), timeout=120,
                          headers={**self.headers("source", subject=system or source), "Content-Type": media})

    def ingest(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Records already in the standard, to /api/v1/ingest/standard."""
        resp = httpx.post(f"{self.base}/api/v1/ingest/standard", json=items, timeout=120,
                          headers=self.headers("source"))
        if resp.status_code not in (200, 201):
            raise LaunchError(f"ingest at {self.node_id}: {resp.status_code} {resp.text[:500]}")
        result: dict[str, Any] = resp.json()
        return result

    def feed(self, *, after: int = -1, headers: dict[str, str] | None = None, page: int = 20_000
             ) -> list[dict[str, Any]]:
        """The node's log from `after` on, through GET /api/v1/feed: `{index, envelope, masked?}` lines."""
        lines: list[dict[str, Any]] = []
        headers = headers or self.reader_headers()
        with httpx.Client(base_url=self.base, headers=headers, timeout=120) as client:
            while True:
                resp = client.get("/api/v1/feed", params={"after": after, "limit": page})
                resp.raise_for_status()
                batch = [orjson.loads(line) for line in resp.content.splitlines() if line.strip()]
                lines.extend(batch)
                if len(batch) < page:
                    return lines
                after = int(resp.headers["X-Next-After"])

    def get(self, path: str, *, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", params=params, headers=headers or self.reader_headers(),
                         timeout=60)

    def post(self, path: str, body: Any, *, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", json=body, headers=headers, timeout=60)

    # internals ---------------------------------------------------------------------------------------

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (self.data / log_name).open("ab")
        self._logs.append(log)
        return subprocess.Popen(command, env=self.env, cwd=self.data, stdout=log,  # noqa: S603
                                stderr=subprocess.STDOUT, start_new_session=True)

    def _healthy(self) -> bool:
        if self.server is not None and self.server.poll() is not None:
            raise LaunchError(f"node {self.node_id} exited: {self.server_log()}")
        try:
            return httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM to the process group (a Celery worker has children), SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait(STOP_GRACE)
    _signal_group(process, signal.SIGKILL)  # a child the leader left behind still holds the group


def json_of(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {"items": body}
