"""Workflow records that arrive from peers: handed to the workflow that indexes them here.

The inbox appends what a peer delivers and, in the same transaction, gives the complaint and remote
evaluation records to their workflows (complaint_exchange.py, remote_exchange.py), so that the node
that must act on a case holds it the moment its receipt is signed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.services import complaint_exchange, remote_exchange
from gateway.services.identity import NodeIdentity
from signing.directory import Directory

Taker = Callable[..., None]
TAKERS: dict[str, Taker] = {
    "complaint": complaint_exchange.take_received,
    "complaint.event": complaint_exchange.take_received,
    "remote_evaluation": remote_exchange.take_received,
    "remote_evaluation.event": remote_exchange.take_received,
}


def take_arrivals(db: Session, *, node: NodeIdentity, directory: Directory,
                  arrivals: Sequence[tuple[str, Mapping[str, Any]]], now: datetime) -> None:
    """`arrivals`: (envelope id, envelope) in log order; each workflow gets its own, in that order."""
    batches: dict[Taker, list[tuple[str, Mapping[str, Any]]]] = {}
    for envelope_id, envelope in arrivals:
        taker = TAKERS.get(envelope["type"])
        if taker is not None:
            batches.setdefault(taker, []).append((envelope_id, envelope))
    for taker, envelopes in batches.items():
        taker(db, node=node, directory=directory, envelopes=envelopes, now=now)
