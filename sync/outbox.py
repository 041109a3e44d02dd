"""Writing the outbox in the transaction that appends the envelopes: one delivery per destination.

The standard ingest and the inbox both call `enqueue_deliveries` right after their append, so a
record is either in the log with all its deliveries or in neither. Sequence numbers are given here,
per (destination, stream), in the order the envelopes are listed (log order). The outbox ids touched
are kept in `db.info` and published by `sync.publish` once the transaction commits; a rollback drops
them with everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from gateway.store.models.exchange import PENDING
from gateway.store.repositories.exchange import ExchangeRepository
from signing.directory import Directory
from sync.routing import RoutingRules, targets

PENDING_OUTBOX_KEY = "sync.outbox_ids"

# (envelope id, jurisdiction, record type, origin node, sending node or None when accepted here,
#  the regions of the parties it goes straight to: sync.routing.direct_regions)
EnvelopeRoute = tuple[str, str, str, str, "str | None", tuple[str, ...]]


class NodeLike(Protocol):
    @property
    def node_id(self) -> str: ...


def enqueue_deliveries(db: Session, *, node: NodeLike, directory: Directory | None,
                       envelopes: Sequence[EnvelopeRoute], now: datetime, rules: RoutingRules) -> list[int]:
    """Write the deliveries the routing rules ask for; returns the outbox ids that got new rows.

    Without a directory nothing can be routed: the records stay here (a peer's pull still finds them).
    """
    if directory is None or not envelopes:
        return []
    channels: dict[tuple[str, str], list[str]] = {}
    routes: dict[tuple[str, str, str, str | None, tuple[str, ...]], list[str]] = {}
    for envelope_id, jurisdiction, record_type, origin, sender, direct in envelopes:
        route_key = (record_type, jurisdiction, origin, sender, direct)
        hops = routes.get(route_key)
        if hops is None:
            envelope = {"type": record_type, "jurisdiction": jurisdiction, "origin": origin}
            hops = routes[route_key] = targets(envelope, directory, node.node_id, rules, sender=sender,
                                               direct=direct)
        stream = rules.for_type(record_type).stream
        for hop in hops:
            channels.setdefault((hop, stream), []).append(envelope_id)
    if not channels:
        return []
    repo = ExchangeRepository(db)
    held = repo.existing_targets(envelope_id for envelope_id, *_ in envelopes)
    rows: list[dict[str, Any]] = []
    touched: list[int] = []
    for (target, stream), envelope_ids in channels.items():
        fresh = list(dict.fromkeys(e for e in envelope_ids if (e, target) not in held))
        if not fresh:
            continue
        outbox_id, first = repo.reserve_seqs(target_node=target, stream=stream, count=len(fresh), now=now)
        touched.append(outbox_id)
        rows.extend({"outbox_id": outbox_id, "envelope_id": envelope_id, "target_node": target,
                     "stream": stream, "seq": first + offset, "status": PENDING, "attempts": 0,
                     "next_attempt_at": now, "created_at": now}
                    for offset, envelope_id in enumerate(fresh))
    repo.add_deliveries(rows)
    pending: set[int] = db.info.setdefault(PENDING_OUTBOX_KEY, set())
    pending.update(touched)
    return touched
