"""Watching the watchers: each read by a discipline or audit body becomes an access.event record,
signed and appended to the node's own log like any other record."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.services.auth import Principal
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import CHINA_TZ, ingest_standard

LOGGED_ROLES = frozenset({"auditor", "discipline"})


def log_access(
    db: Session,
    *,
    node: NodeIdentity,
    principal: Principal,
    resource: str,
    now: datetime,
    result_count: int,
    feed_range: Mapping[str, int] | None = None,
    record_ids: Sequence[str] = (),
    query: Mapping[str, str] | None = None,
) -> None:
    if principal.role not in LOGGED_ROLES:
        return
    at = now.astimezone(CHINA_TZ).isoformat(timespec="microseconds")
    payload: dict[str, Any] = {
        "data_timestamp": at,
        "access_id": uuid.uuid4().hex,
        "node_id": node.node_id,
        "subject": principal.subject or principal.role,
        "role": principal.role,
        "reader_jurisdiction": principal.jurisdiction,
        "token_id": principal.token_id or "none",
        "resource": resource,
        "result_count": result_count,
        "accessed_at": at,
    }
    if feed_range:
        payload["feed_range"] = dict(feed_range)
    if record_ids:
        payload["record_ids"] = list(record_ids)[:1000]
    if query:
        payload["query"] = {k: v for k, v in query.items() if v}
    (outcome,) = ingest_standard(
        db,
        items=[{"type": "access.event", "jurisdiction": node.node_id, "payload": payload}],
        node=node,
        source_system="access-log",
        now=now,
    )
    if outcome.status != "accepted":  # a read must never go unlogged
        raise RuntimeError(f"access event refused: {outcome.reasons}")
