"""A federation on loopback for end-to-end tests: a province, a city and a county, each its own process.

The nodes are started by the product's launcher (`gateway.demo.launcher`, the one `ggzy demo` uses):
each a real `ggzy serve` with its own data directory and database, a SQLite file, or a PostgreSQL
database of its own when GGZY_TEST_POSTGRES_URL is set; the in-process relay, or, when
GGZY_TEST_REDIS_URL is set, one Celery worker with beat per node on that Redis, each node on its own
Redis database. The directory is made as an operator would (`ggzy federation init / add-node / sign`,
then `pin-root` and `fetch`); here the lowest node also lists a second key that the directory revokes,
for the revoked-key fault tests. This module adds what only tests do: reading a node's database
directly, and posting envelopes as a peer with any key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from gateway.demo.launcher import LaunchOptions, LocalFederation, LocalNode, NodeSpec, launch, wait_for
from gateway.services.identity import NodeIdentity
from gateway.services.peer_auth import issue_peer_token
from gateway.store.engine import make_engine
from gateway.store.models import InboxRefusal, LogLeaf
from signing.keys import Keyring, SigningKey

__all__ = ["CITY", "COUNTY", "NAMES", "POSTGRES_ENV", "PROVINCE", "REDIS_ENV", "Federation", "FederationNode",
           "peer_identity", "running_federation", "wait_for"]

POSTGRES_ENV = "GGZY_TEST_POSTGRES_URL"
REDIS_ENV = "GGZY_TEST_REDIS_URL"
PROVINCE, CITY, COUNTY = "530000", "530600", "530621"
NAMES = {PROVINCE: "云南省节点", CITY: "昭通市节点", COUNTY: "鲁甸县节点"}
REDIS_FIRST_DB = 11  # the province on 11, the city on 12, the county on 13


class FederationNode:
    """A launched node, with the database reads and peer calls of the tests."""

    def __init__(self, node: LocalNode) -> None:
        self.local = node

    def __getattr__(self, name: str) -> Any:
        return getattr(self.local, name)

    def start(self) -> None:
        self.local.start()

    def stop(self) -> None:
        """Stop the node's process (its worker keeps running: it belongs to the broker side)."""
        self.local.stop()

    def post_envelopes(self, caller: NodeIdentity, body: bytes, *, token: str | None = None
                       ) -> httpx.Response:
        token = token or issue_peer_token(caller, audience=self.local.node_id, now=datetime.now(UTC))
        return httpx.post(f"{self.local.base}/api/v1/exchange/envelopes", content=body, timeout=60,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})

    def leaves(self, *where: Any) -> list[tuple[int, str, str, str, bytes]]:
        """(index, envelope id, type, origin, leaf) of this node's log, read from its database."""
        engine = make_engine(self.local.db_url)
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
        engine = make_engine(self.local.db_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(select(InboxRefusal.sender, InboxRefusal.code, InboxRefusal.envelope_id)
                                    .order_by(InboxRefusal.id))
                return [tuple(row) for row in rows]  # type: ignore[misc]
        finally:
            engine.dispose()


class Federation:
    def __init__(self, launched: LocalFederation, revoked_key: SigningKey) -> None:
        self.launched = launched
        self.revoked_key = revoked_key
        self.nodes = {node_id: FederationNode(node) for node_id, node in launched.nodes.items()}

    def __getitem__(self, node_id: str) -> FederationNode:
        return self.nodes[node_id]

    @property
    def directory_file(self) -> Path | None:
        return self.launched.directory_file

    def keys_file(self) -> Path:
        """The JWK Set of every node key of the directory: what `ggzy verify` checks a federated log with."""
        return self.launched.keys_file()

    def verify(self, node_id: str) -> Any:
        return self.launched.verify(node_id)

    def stop(self) -> None:
        self.launched.stop()


@contextmanager
def running_federation(tmp_path: Path, members: tuple[str, ...] = (PROVINCE, CITY, COUNTY), **extra_env: str
                       ) -> Iterator[Federation]:
    """Make, configure and start the nodes (the province and any of the city and the county, each under
    its nearest ancestor among them); stop every process and drop every database on the way out."""
    parents = {PROVINCE: None, CITY: PROVINCE, COUNTY: CITY if CITY in members else PROVINCE}
    topology = [NodeSpec(node_id, NAMES[node_id], parents[node_id])
                for node_id in (PROVINCE, CITY, COUNTY) if node_id in members]
    revoked = SigningKey.generate()
    options = LaunchOptions(tmp_path, postgres_url=os.environ.get(POSTGRES_ENV, ""),
                            broker_url=os.environ.get(REDIS_ENV, ""), environment="test",
                            extra_env=extra_env, tag=f"e2e_{os.getpid()}", redis_base=REDIS_FIRST_DB,
                            before_sign=lambda launched: _list_and_revoke(launched, revoked))
    with launch(topology, options) as launched:
        yield Federation(launched, revoked)


def _list_and_revoke(launched: LocalFederation, revoked: SigningKey) -> None:
    """The lowest node also lists `revoked`, which the directory then revokes."""
    lowest = launched.topology[-1]
    if lowest.parent is None:
        return
    revoked_file = launched.workdir / "revoked.jwk"
    revoked_file.write_bytes(orjson.dumps(revoked.public.to_jwk()))
    root = launched.root
    root.ggzy("federation", "add-node", "--id", lowest.node_id, "--parent", lowest.parent, "--name",
              lowest.name, "--endpoint", launched[lowest.node_id].base, "--jwk", str(revoked_file))
    root.ggzy("federation", "revoke-key", "--kid", revoked.kid, "--reason", "泄露（测试）")


def peer_identity(node: FederationNode | LocalNode, key: SigningKey | None = None) -> NodeIdentity:
    """`node` as a caller, optionally speaking with another key (a revoked one, say)."""
    if key is None:
        return node.identity()
    return NodeIdentity(node.node_id, node.node_id, node.base, key, Keyring([key.public]))
