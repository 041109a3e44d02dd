"""A federation on loopback: any topology of nodes, each a real `ggzy serve` process with its own data
directory, port and database, and, with a broker, its own Celery worker with beat.

The directory is made as operators make it: the root runs `ggzy federation init`, `add-node` for every
other node (with the JWK Set its operator sent, `ggzy keys show`), `add-department`, `sign`; every other
node runs `ggzy federation pin-root` and `fetch` of the signed file. Retries are kept short (FAST_SYNC),
so a node that comes back after a crash is reached within seconds.

    with launch(topology, LaunchOptions(workdir)) as federation:
        federation["530621"].ingest_file("credit-china", path)
        federation.kill("530621"); federation.restart("530621")
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import orjson

from gateway.demo import stores
from gateway.demo.node import LaunchError, LocalNode, NodeSpec, free_port, wait_for
from signing.directory import Directory, parse_directory
from signing.keys import PublicKey

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAST_SYNC = {"GATEWAY_SYNC__BACKOFF_BASE": "PT0.5S", "GATEWAY_SYNC__BACKOFF_MAX": "PT3S",
             "GATEWAY_SYNC__SWEEP_INTERVAL": "PT2S"}
# Duties met by receipts and the deadline sweeps run every few seconds, not every minute.
FAST_WORKFLOW = {"GATEWAY_WORKFLOW__TICK_INTERVAL": "PT2S"}
T = TypeVar("T")

__all__ = ["FAST_SYNC", "DepartmentSpec", "LaunchOptions", "LocalFederation", "LocalNode", "NodeSpec",
           "launch", "wait_for"]


@dataclass(frozen=True)
class DepartmentSpec:
    """A supervisory department listed in the directory (`ggzy federation add-department`)."""

    department_id: str
    name: str
    jurisdiction: str
    industry: str
    node: str


@dataclass
class LaunchOptions:
    workdir: Path
    postgres_url: str = ""  # empty: a SQLite file per node
    broker_url: str = ""  # empty: the in-process relay
    environment: str = "dev"
    federation_name: str = "云南省公共资源交易"
    departments: Sequence[DepartmentSpec] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)
    tag: str = field(default_factory=lambda: f"demo{os.getpid()}{secrets.token_hex(2)}")
    redis_base: int = 1  # Redis database of the first node; the next nodes take the next numbers
    # Directory steps of the root's operator run just before `sign` (e.g. a key to revoke).
    before_sign: Callable[[LocalFederation], None] | None = None


@dataclass
class LocalFederation:
    topology: list[NodeSpec]
    nodes: dict[str, LocalNode]
    options: LaunchOptions
    directory_file: Path | None = None

    def __getitem__(self, node_id: str) -> LocalNode:
        return self.nodes[node_id]

    @property
    def root(self) -> LocalNode:
        return self.nodes[next(spec.node_id for spec in self.topology if spec.parent is None)]

    @property
    def workdir(self) -> Path:
        return self.options.workdir

    def jwks_file(self, node_id: str) -> Path:
        return self.workdir / f"{node_id}.jwks"

    def keys_file(self) -> Path:
        """The JWK Set of every unrevoked node key of the directory: what `ggzy verify` checks a
        federated log with (records signed by other nodes included)."""
        document = orjson.loads(self._directory_bytes())
        revoked = {entry["kid"] for entry in document["revoked_keys"]}
        keys = [item["jwk"] for node in document["nodes"] for item in node["keys"]
                if item["jwk"]["kid"] not in revoked]
        path = self.workdir / "federation-keys.jwks"
        draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        draft.write_bytes(orjson.dumps({"keys": keys}))
        draft.replace(path)  # whole or not at all, for a verify reading it meanwhile
        return path

    def directory(self) -> Directory:
        root_jwk = orjson.loads(self.jwks_file(self.root.node_id).read_bytes())["keys"][0]
        return parse_directory(self._directory_bytes(), PublicKey.from_jwk(root_jwk), now=datetime.now(UTC))

    def verify(self, node_id: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        """`ggzy verify` of a node's feed against the federation's keys (run where the node's data is)."""
        node = self.nodes[node_id]
        token = token or node.token("admin", "records:read", "pii:read")
        return node.ggzy("verify", node.base, "--token", token, "--keys", str(self.keys_file()), check=False)

    def start(self) -> None:
        """Start every node that is not running; all start together, then each is awaited."""
        _parallel([node.start for node in self.nodes.values() if not node.running])

    def stop(self) -> None:
        """Stop every node's processes, all at once; each is stopped even when another fails to."""
        _parallel([node.stop_all for node in self.nodes.values()])

    def kill(self, node_id: str) -> None:
        self.nodes[node_id].kill()

    def restart(self, node_id: str) -> None:
        self.nodes[node_id].start()

    def _directory_bytes(self) -> bytes:
        if self.directory_file is None:
            raise LaunchError("the federation directory is not signed yet")
        return self.directory_file.read_bytes()


@contextmanager
def launch(topology: Sequence[NodeSpec], options: LaunchOptions) -> Iterator[LocalFederation]:
    """Make, configure and start the nodes; stop every process and drop every database on the way out
    (also on an error or an interrupt)."""
    _check_topology(topology)
    options.workdir.mkdir(parents=True, exist_ok=True)
    federation = LocalFederation(list(topology), {}, options)
    try:
        for position, spec in enumerate(topology):
            federation.nodes[spec.node_id] = _make_node(spec, position, options)
        configure(federation)
        federation.start()
        yield federation
    finally:
        try:
            federation.stop()
        finally:
            _clean_stores(federation)


def _clean_stores(federation: LocalFederation) -> None:
    options, nodes = federation.options, federation.nodes.values()
    if options.postgres_url:
        stores.drop_databases(options.postgres_url, [node.db_url for node in nodes])
    if options.broker_url:
        stores.drop_queues([(node.broker_url, stores.queue_for(options.tag, node.node_id)) for node in nodes])


def configure(federation: LocalFederation) -> None:
    """The federation directory, made by the operators with `ggzy federation …`."""
    nodes = federation.nodes
    shown = _parallel([partial(node.ggzy, "keys", "show") for node in nodes.values()])
    for node_id, done in zip(nodes, shown, strict=True):
        federation.jwks_file(node_id).write_text(done.stdout)
    root = federation.root
    root.ggzy("federation", "init", "--name", federation.options.federation_name)
    for spec in federation.topology:
        if spec.parent is not None:
            root.ggzy("federation", "add-node", "--id", spec.node_id, "--parent", spec.parent, "--name",
                      spec.name, "--endpoint", nodes[spec.node_id].base,
                      "--jwk", str(federation.jwks_file(spec.node_id)))
    for dep in federation.options.departments:
        root.ggzy("federation", "add-department", "--id", dep.department_id, "--name", dep.name,
                  "--jurisdiction", dep.jurisdiction, "--industry", dep.industry, "--node", dep.node)
    if federation.options.before_sign is not None:
        federation.options.before_sign(federation)
    federation.directory_file = federation.workdir / "directory.json"
    root.ggzy("federation", "sign", "--out", str(federation.directory_file))
    root_jwks = str(federation.jwks_file(root.node_id))
    directory = str(federation.directory_file)

    def pin_and_fetch(node: LocalNode) -> None:
        node.ggzy("federation", "pin-root", "--jwk", root_jwks)
        node.ggzy("federation", "fetch", "--source", directory)

    _parallel([partial(pin_and_fetch, node) for node in nodes.values() if node is not root])


def _make_node(spec: NodeSpec, position: int, options: LaunchOptions) -> LocalNode:
    data = options.workdir / f"node-{spec.node_id}"
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    db_url = (stores.create_database(options.postgres_url, stores.database_name(options.tag, spec.node_id))
              if options.postgres_url else stores.sqlite_url(data))
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("GATEWAY_")}
    python_path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), inherited.get("PYTHONPATH", "")]))
    env = {**inherited, "PYTHONPATH": python_path, "GATEWAY_ENV": options.environment,
           "GATEWAY_DATA_DIR": str(data / "var"), "GATEWAY_NODE__ID": spec.node_id,
           "GATEWAY_NODE__NAME": spec.name, "GATEWAY_NODE__ENDPOINT": f"http://127.0.0.1:{port}",
           "GATEWAY_DB__URL": db_url, **FAST_SYNC, **FAST_WORKFLOW}
    broker = ""
    if options.broker_url:
        broker = stores.broker_for(options.broker_url, position, redis_base=options.redis_base)
        env |= {"GATEWAY_BROKER__URL": broker,
                "GATEWAY_BROKER__QUEUE": stores.queue_for(options.tag, spec.node_id)}
    env |= options.extra_env
    return LocalNode(spec, data, port, env, db_url, broker)


def _check_topology(topology: Sequence[NodeSpec]) -> None:
    ids = [spec.node_id for spec in topology]
    roots = [spec for spec in topology if spec.parent is None]
    if len(roots) != 1 or len(set(ids)) != len(ids):
        raise LaunchError("a topology has one root (parent None) and distinct node ids")
    seen: set[str] = set()
    for spec in topology:
        if spec.parent is not None and spec.parent not in seen:
            raise LaunchError(f"node {spec.node_id}: its parent {spec.parent} must come before it")
        seen.add(spec.node_id)


def _parallel(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run independent operator steps side by side (each is its own process); first failure raises."""
    if not calls:
        return []
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]
