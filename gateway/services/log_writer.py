"""Append signed envelopes to the node log and sign the checkpoint of the new tree, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.store.repositories.log import LogRepository, NewLeaf
from signing.merkle import Frontier
from signing.note import checkpoint_body, sign_note


def append_leaves(
    db: Session, *, node: NodeIdentity, frontier: Frontier, leaves: Sequence[NewLeaf], now: datetime
) -> list[int]:
    """Append after `LogRepository.lock_state()` gave `frontier` in this same transaction."""
    if not leaves:
        return []
    log = LogRepository(db)
    indexes = log.append(frontier, leaves, received_at=now)
    root = frontier.root()
    note = sign_note(checkpoint_body(node.origin, frontier.size, root), node.origin, node.key)
    log.add_checkpoint(size=frontier.size, root=root, note=note, created_at=now)
    return indexes


def ensure_checkpoint(db: Session, *, node: NodeIdentity, now: datetime) -> str:
    """The latest signed checkpoint; an empty log gets a signed checkpoint of size 0."""
    log = LogRepository(db)
    latest = log.latest_checkpoint()
    if latest is not None:
        return latest.note
    frontier = log.lock_state()
    root = frontier.root()
    note = sign_note(checkpoint_body(node.origin, frontier.size, root), node.origin, node.key)
    log.add_checkpoint(size=frontier.size, root=root, note=note, created_at=now)
    return note
