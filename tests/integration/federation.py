"""A federation on loopback for end-to-end tests: a province, a city and a county, each its own process.

Each node is a real `ggzy serve` with its own data directory and database: a SQLite file, or a
PostgreSQL database of its own when GGZY_TEST_POSTGRES_URL is set. The relay is the in-process one
of the embedded default, or, when GGZY_TEST_REDIS_URL is set, real Celery workers (with beat, for
the sweeper) on that Redis, one worker per node, each node on its own Redis database. The directory
is made as an operator would: `ggzy federation init / add-node / revoke-key / sign` on the province,
then `ggzy federation pin-root` and `fetch` of the signed file on the others. The county also lists
a second key that the directory revokes, for the revoked-key fault tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from config.settings import Settings
from gateway.services.auth import issue_token
from gateway.services.identity import NodeIdentity, load_identity
from gateway.services.peer_auth import issue_peer_token
from gateway.store.engine import make_engine
from gateway.store.models import InboxRefusal, LogLeaf
from signing.keys import Keyring, SigningKey
from tests.gateway.live import GGZY, free_port

POSTGRES_ENV = "GGZY_TEST_POSTGRES_URL"
REDIS_ENV = "GGZY_TEST_REDIS_URL"
PROVINCE, CITY, COUNTY = "530000", "530600", "530621"
NAMES = {PROVINCE: "云南省节点", CITY: "昭通市节点", COUNTY: "鲁甸县节点"}
REDIS_DBS = {PROVINCE: 11, CITY: 12, COUNTY: 13}
# Retries stay short, so a node that comes back is reached within seconds.
FAST_SYNC = {"GATEWAY_SYNC__BACKOFF_BASE": "PT0.5S", "GATEWAY_SYNC__BACKOFF_MAX": "PT3S",
             "GATEWAY_SYNC__SWEEP_INTERVAL": "PT2S"}


@dataclass
class FederationNode:
    node_id: str
    data: Path
    port: int
    env: dict[str, str]
    db_url: str
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    _logs: list[Any] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Settings:
        return Settings(env="test", data_dir=self.data / "var", db={"url": self.db_url},
                        node={"id": self.node_id, "endpoint": self.base})

    def ggzy(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*GGZY, *args], env=self.env, cwd=self.data, capture_output=True, text=True,
                              timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"ggzy {' '.join(args)} on {self.node_id}: {done.stdout}{done.stderr}")
        return done

    def identity(self) -> NodeIdentity:
        return load_identity(self.settings)

    def token(self, role: str, *scopes: str) -> str:
        return issue_token(self.identity(), role=role, subject=f"{role}-e2e", jurisdiction=None,
                           scopes=list(scopes) or None, ttl=timedelta(hours=2), now=datetime.now(UTC))

    def reader_headers(self) -> dict[str, str]:
        """An admin reader that sees personal data unmasked and whose reads are not logged."""
        return {"Authorization": f"Bearer {self.token('admin', 'records:read', 'pii:read')}"}

    def start(self) -> None:
        log = (self.data / "server.log").open("ab")
        self._logs.append(log)
        self.server = subprocess.Popen([*GGZY, "serve", "--port", str(self.port)], env=self.env,
                                       cwd=self.data, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, timeout=60, what=f"node {self.node_id} to start", on_fail=self._server_log)
        if REDIS_ENV in self.env and self.worker is None:
            self.start_worker()

    def start_worker(self) -> None:
        log = (self.data / "worker.log").open("ab")
        self._logs.append(log)
        celery = [sys.executable, "-m", "celery", "-A", "sync.celery_app", "worker", "-B",
                  "--loglevel=warning", "--concurrency=1", "-n", f"ggzy-{self.node_id}@%h"]
        self.worker = subprocess.Popen(celery, env=self.env, cwd=self.data, stdout=log,
                                       stderr=subprocess.STDOUT)

    def stop(self) -> None:
        """Stop the node's process (its worker keeps running: it belongs to the broker side)."""
        _terminate(self.server)
        self.server = None

    def stop_all(self) -> None:
        self.stop()
        _terminate(self.worker)
        self.worker = None
        for log in self._logs:
            log.close()
        self._logs.clear()

    def ingest(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        token = self.token("source")
        resp = httpx.post(f"{self.base}/api/v1/ingest/standard", json=items, timeout=120,
                          headers={"Authorization": f"Bearer {token}"})
        if resp.status_code not in (200, 201):
            raise RuntimeError(f"ingest at {self.node_id}: {resp.status_code} {resp.text[:500]}")
        result: dict[str, Any] = resp.json()
        return result

    def post_envelopes(self, caller: NodeIdentity, body: bytes, *, token: str | None = None
                       ) -> httpx.Response:
        token = token or issue_peer_token(caller, audience=self.node_id, now=datetime.now(UTC))
        return httpx.post(f"{self.base}/api/v1/exchange/envelopes", content=body, timeout=60,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})

    def leaves(self, *where: Any) -> list[tuple[int, str, str, str, bytes]]:
        """(index, envelope id, type, origin, leaf) of this node's log, read from its database."""
        engine = make_engine(self.db_url)
        columns = (LogLeaf.idx, LogLeaf.envelope_id, LogLeaf.record_type, LogLeaf.origin, LogLeaf.leaf)
        try:
            with engine.connect() as conn:
                rows = conn.execute(select(*columns).where(*where).order_by(LogLeaf.idx))
                return [tuple(row) for row in rows]  # type: ignore[misc]
        finally:
            engine.dispose()

    def envelope_ids(self, record_type: str = "tender.award") -> list[str]:
        return [row[1] for row in self.leaves(LogLeaf.record_type == record_type)]

    def alerts(self, kind: str) -> list[dict[str, Any]]:
        found = [orjson.loads(row[4]) for row in self.leaves(LogLeaf.record_type == "alert")]
        return [alert for alert in found if alert["payload"]["kind"] == kind]

    def refusals(self) -> list[tuple[str, str, str]]:
        """(sender, code, envelope id) of every refusal this node recorded."""
        engine = make_engine(self.db_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(select(InboxRefusal.sender, InboxRefusal.code, InboxRefusal.envelope_id)
                                    .order_by(InboxRefusal.id))
                return [tuple(row) for row in rows]  # type: ignore[misc]
        finally:
            engine.dispose()

    def _healthy(self) -> bool:
        if self.server is not None and self.server.poll() is not None:
            raise RuntimeError(f"node {self.node_id} exited: {self._server_log()}")
        try:
            return httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def _server_log(self) -> str:
        return (self.data / "server.log").read_text("utf-8", "replace")[-3000:]


@dataclass
class Federation:
    nodes: dict[str, FederationNode]
    directory_file: Path
    revoked_key: SigningKey

    def __getitem__(self, node_id: str) -> FederationNode:
        return self.nodes[node_id]

    def keys_file(self) -> Path:
        """The JWK Set of every node key of the directory: what `ggzy verify` checks a federated log with."""
        document = orjson.loads(self.directory_file.read_bytes())
        keys = [item["jwk"] for node in document["nodes"] for item in node["keys"]
                if item["jwk"]["kid"] not in {r["kid"] for r in document["revoked_keys"]}]
        path = self.directory_file.with_name("federation-keys.jwks")
        path.write_bytes(orjson.dumps({"keys": keys}))
        return path

    def verify(self, node_id: str) -> subprocess.CompletedProcess[str]:
        node = self.nodes[node_id]
        token = node.token("admin", "records:read", "pii:read")
        return node.ggzy("verify", node.base, "--token", token, "--keys", str(self.keys_file()), check=False)

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop_all()


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2,
             on_fail: Callable[[], str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            detail = f": {on_fail()}" if on_fail else ""
            raise TimeoutError(f"gave up waiting for {what} after {timeout} s{detail}")
        time.sleep(interval)


@contextmanager
def running_federation(tmp_path: Path, members: tuple[str, ...] = (PROVINCE, CITY, COUNTY), **extra_env: str
                       ) -> Iterator[Federation]:
    """Make, configure and start the nodes (the province and any of the city and the county, each under
    its nearest ancestor among them); stop every process on the way out."""
    nodes = {node_id: _make_node(tmp_path, node_id, extra_env) for node_id in members}
    federation: Federation | None = None
    try:
        federation = _configure(tmp_path, nodes)
        for node in nodes.values():
            node.start()
        yield federation
    finally:
        for node in nodes.values():
            node.stop_all()
        _drop_databases(nodes)


def _make_node(tmp_path: Path, node_id: str, extra_env: dict[str, str]) -> FederationNode:
    data = tmp_path / f"node-{node_id}"
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    db_url = _database_for(node_id) or f"sqlite:///{(data / 'var' / 'node.db').as_posix()}"
    env = {**os.environ, "GATEWAY_ENV": "test", "GATEWAY_DATA_DIR": str(data / "var"),
           "GATEWAY_NODE__ID": node_id, "GATEWAY_NODE__NAME": NAMES[node_id],
           "GATEWAY_NODE__ENDPOINT": f"http://127.0.0.1:{port}", "GATEWAY_DB__URL": db_url, **FAST_SYNC,
           **extra_env}
    redis = os.environ.get(REDIS_ENV)
    if redis:
        env["GATEWAY_BROKER__URL"] = str(make_url(redis).set(database=str(REDIS_DBS[node_id])))
    return FederationNode(node_id, data, port, env, db_url)


def _configure(tmp_path: Path, nodes: dict[str, FederationNode]) -> Federation:
    jwks: dict[str, Path] = {}
    for node_id, node in nodes.items():
        path = tmp_path / f"{node_id}.jwks"
        path.write_text(node.ggzy("keys", "show").stdout)
        jwks[node_id] = path
    province = nodes[PROVINCE]
    province.ggzy("federation", "init", "--name", "云南省公共资源交易")
    below = [node_id for node_id in (CITY, COUNTY) if node_id in nodes]
    parents = {CITY: PROVINCE, COUNTY: CITY if CITY in nodes else PROVINCE}
    for node_id in below:
        province.ggzy("federation", "add-node", "--id", node_id, "--parent", parents[node_id],
                      "--name", NAMES[node_id], "--endpoint", nodes[node_id].base,
                      "--jwk", str(jwks[node_id]))
    revoked = SigningKey.generate()
    if below:  # the lowest node also lists a key the directory revokes
        revoked_file = tmp_path / "revoked.jwk"
        revoked_file.write_bytes(orjson.dumps(revoked.public.to_jwk()))
        owner = below[-1]
        province.ggzy("federation", "add-node", "--id", owner, "--parent", parents[owner], "--name",
                      NAMES[owner], "--endpoint", nodes[owner].base, "--jwk", str(revoked_file))
        province.ggzy("federation", "revoke-key", "--kid", revoked.kid, "--reason", "泄露（测试）")
    directory_file = tmp_path / "directory.json"
    province.ggzy("federation", "sign", "--out", str(directory_file))
    for node_id in below:
        nodes[node_id].ggzy("federation", "pin-root", "--jwk", str(jwks[PROVINCE]))
        nodes[node_id].ggzy("federation", "fetch", "--source", str(directory_file))
    return Federation(nodes, directory_file, revoked)


def _database_for(node_id: str) -> str | None:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        return None
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ggzy_e2e_{os.getpid()}_{node_id}"
    admin = make_engine(url.render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_databases(nodes: dict[str, FederationNode]) -> None:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        return
    admin = make_engine(base)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for node in nodes.values():
                name = make_url(node.db_url).database
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(15)


def peer_identity(node: FederationNode, key: SigningKey | None = None) -> NodeIdentity:
    """`node` as a caller, optionally speaking with another key (a revoked one, say)."""
    if key is None:
        return node.identity()
    return NodeIdentity(node.node_id, node.node_id, node.base, key, Keyring([key.public]))
