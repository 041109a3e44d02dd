"""What the demo checks the federation against: each node's log as its feed serves it, where every
record should be by the routing rules, and each node's deliveries with the receivers' signed receipts.

- `LogView` reads a node's log through GET /api/v1/feed, page by page from where it stopped, and
  counts every envelope id (an id seen twice in one log is a duplicate delivery).
- `holders` follows the routing rules hop by hop from the node that accepted a record: the nodes
  that must end up holding it (a record of a region no node covers stays where it was accepted).
- `DeliveryBook` reads a node's deliveries from its database (the outbox side, as `ggzy exchange
  status` does) and checks each stored receipt against the receiver's keys in the directory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine, select

from config.settings import SyncSettings
from gateway.demo.node import LocalNode
from gateway.store.engine import make_engine
from gateway.store.models.exchange import DELIVERED, FAILED, PENDING, Delivery
from signing.directory import Directory
from signing.receipt import ReceiptError, verify_receipt
from sync.routing import RoutingRules, load_rules, targets

KEPT = ("id", "type", "jurisdiction", "origin")


@dataclass
class LogView:
    """A node's log as read so far through its feed: envelope summaries and how often each id came."""

    node: LocalNode
    after: int = -1
    envelopes: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: Counter[str] = field(default_factory=Counter)
    masked: int = 0

    def refresh(self, headers: dict[str, str] | None = None) -> bool:
        """Read what was appended since the last call; False when the node does not answer."""
        try:
            lines = self.node.feed(after=self.after, headers=headers)
        except httpx.HTTPError:
            return False
        for line in lines:
            envelope = line["envelope"]
            self.seen[envelope["id"]] += 1
            self.envelopes[envelope["id"]] = {name: envelope.get(name) for name in KEPT} | {
                "adapter": (envelope.get("source") or {}).get("adapter", "")}
            self.masked += 1 if "masked" in line else 0
            self.after = line["index"]
        return True

    @property
    def size(self) -> int:
        return self.after + 1

    def duplicates(self) -> list[str]:
        return sorted(envelope_id for envelope_id, count in self.seen.items() if count > 1)

    def holds(self, ids: Iterable[str]) -> bool:
        return all(envelope_id in self.seen for envelope_id in ids)

    def originated(self) -> dict[str, dict[str, Any]]:
        """Envelopes this node signed itself (accepted here, not received)."""
        return {eid: env for eid, env in self.envelopes.items() if env["origin"] == self.node.node_id}


def holders(envelope: Mapping[str, Any], directory: Directory, rules: RoutingRules | None = None) -> set[str]:
    """The nodes that keep `envelope` once the exchange has settled: its origin and every node the
    routing rules send it to, hop after hop (direct sends to the parties of a workflow record
    included)."""
    rules = rules or load_rules(SyncSettings().routing_path)
    origin = envelope["origin"]
    held = {origin}
    frontier: list[tuple[str, str | None, tuple[str, ...]]] = [(origin, None, rules.parties_of(envelope))]
    while frontier:
        here, sender, direct = frontier.pop()
        for hop in targets(envelope, directory, here, rules, sender=sender, direct=direct):
            if hop not in held:
                held.add(hop)
                frontier.append((hop, here, ()))
    return held


@dataclass
class DeliveryCount:
    delivered: int = 0
    pending: int = 0
    failed: int = 0
    receipts_verified: int = 0
    receipt_statuses: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return self.pending == 0


class DeliveryBook:
    """Deliveries of the nodes, read from their databases (one engine per node, closed by `close`)."""

    def __init__(self, nodes: Iterable[LocalNode]) -> None:
        self._engines: dict[str, Engine] = {node.node_id: make_engine(node.db_url) for node in nodes}

    def count(self, node_id: str, directory: Directory | None = None) -> DeliveryCount:
        """Deliveries of one node by status; with a directory, every stored receipt is verified."""
        columns = (Delivery.envelope_id, Delivery.target_node, Delivery.status, Delivery.receipt,
                   Delivery.last_error)
        with self._engines[node_id].connect() as conn:
            rows = conn.execute(select(*columns)).all()
        tally = DeliveryCount()
        now = datetime.now(UTC)
        for envelope_id, target, status, receipt, error in rows:
            tally.delivered += status == DELIVERED
            tally.pending += status == PENDING
            tally.failed += status == FAILED
            if status == FAILED:
                tally.problems.append(f"{envelope_id} → {target}: {error}")
            if status != DELIVERED or directory is None:
                continue
            if receipt is None:
                tally.problems.append(f"{envelope_id} → {target}: delivered without a receipt")
                continue
            try:
                fields = verify_receipt(bytes(receipt), directory.node_keyring(target, now))
            except ReceiptError as exc:
                tally.problems.append(f"{envelope_id} → {target}: {exc.message}")
                continue
            if (fields["envelope_id"], fields["receiver"]) != (envelope_id, target):
                tally.problems.append(f"{envelope_id} → {target}: the receipt is for another delivery")
                continue
            tally.receipts_verified += 1
            tally.receipt_statuses[fields["status"]] += 1
        return tally

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
