"""A delivery that failed for good becomes an `alert` record (kind `delivery.failed`) in this node's log.

Workers may not reach the gateway's services, so the alert is sealed and appended here with the
same pieces the standard ingest uses (schema check, envelope id, seal, log append, checkpoint,
record head) and then routed like any record. One alert per failed run of one stream, listing the
envelopes. Failed deliveries of alerts raise no further alert: an alert about an alert that cannot
be delivered either would only feed itself; those stay FAILED and visible in `ggzy exchange status`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from gateway.store.repositories.log import LogRepository, NewLeaf
from gateway.store.repositories.record import Head, RecordHeadRepository
from schemas.registry import business_key, schema_name, validate_payload
from signing.canonical import canonicalize
from signing.directory import Directory
from signing.envelope import envelope_id, seal
from signing.envelope import record_key as business_record_key
from signing.keys import SigningKey
from signing.merkle import leaf_hash
from signing.note import checkpoint_body, sign_note
from sync.answer import Failure
from sync.outbox import enqueue_deliveries
from sync.routing import RoutingRules

ALERT_KIND = "delivery.failed"
ALERT_SOURCE = "exchange"
STANDARD_ADAPTER = "standard@1"
CHINA_TZ = timezone(timedelta(hours=8))
MAX_LISTED = 100


def log_origin(node_id: str) -> str:
    """The checkpoint origin line of a node's log (NodeIdentity.origin in gateway/services/identity.py)."""
    return f"ggzy-gateway/{node_id}"


def alert_payload(failure: Failure, *, node_id: str, now: datetime) -> dict[str, Any]:
    stamp = now.astimezone(CHINA_TZ).isoformat(timespec="microseconds")
    material = "\x1f".join((failure.target, failure.stream, str(failure.seqs[0]), failure.code, stamp))
    listed = list(dict.fromkeys(failure.envelope_ids))[:MAX_LISTED]
    seqs = f"{failure.seqs[0]}–{failure.seqs[-1]}" if len(failure.seqs) > 1 else str(failure.seqs[0])
    details: dict[str, Any] = {
        "target": failure.target, "stream": failure.stream, "first_seq": failure.seqs[0],
        "last_seq": failure.seqs[-1], "count": len(failure.seqs), "code": failure.code,
        "message": failure.message[:500], "envelope_ids": listed,
    }
    if failure.http_status is not None:
        details["http_status"] = failure.http_status
    return {
        "data_timestamp": stamp,
        "alert_id": f"{ALERT_KIND}-{hashlib.sha256(material.encode()).hexdigest()[:32]}",
        "kind": ALERT_KIND,
        "severity": "critical",
        "jurisdiction": node_id,
        "subject_ids": listed,
        "summary": f"向节点{failure.target}投递的{len(failure.seqs)}条记录（{failure.stream} 序号{seqs}）"
                   f"被拒收或无法投递，已停止重试：{failure.code}",
        "details": details,
        "raised_at": stamp,
    }


@dataclass(frozen=True)
class DeliveryAlerts:
    """The `alerts` sink of `sync.delivery.deliver`."""

    node_id: str
    key: SigningKey
    directory: Directory | None
    rules: RoutingRules

    def __call__(self, db: Session, *, failures: Sequence[Failure], now: datetime) -> None:
        wanted = [f for f in failures if any(kind != "alert" for kind in f.record_types)]
        if wanted:
            self.append(db, [alert_payload(f, node_id=self.node_id, now=now) for f in wanted], now=now)

    def append(self, db: Session, payloads: Sequence[dict[str, Any]], *, now: datetime) -> list[str]:
        """Seal and append the alerts, in this transaction; returns the ids of those appended."""
        log = LogRepository(db)
        frontier = log.lock_state()
        issued_at = now.astimezone(CHINA_TZ).isoformat(timespec="seconds")
        leaves: list[NewLeaf] = []
        heads: dict[str, Head] = {}
        for payload in payloads:
            validate_payload("alert", payload)
            key = business_key("alert", payload)
            version = payload["data_timestamp"]
            alert_envelope_id = envelope_id("alert", self.node_id, key, version)
            unsigned = {
                "v": 1, "id": alert_envelope_id, "type": "alert",
                "schema": schema_name("alert"), "jurisdiction": self.node_id, "origin": self.node_id,
                "source": {"system": ALERT_SOURCE, "ref": payload["alert_id"], "adapter": STANDARD_ADAPTER},
                "issued_at": issued_at, "payload": payload,
            }
            _, leaf = seal(unsigned, self.key)
            record_key = business_record_key("alert", self.node_id, key)
            leaves.append(NewLeaf(alert_envelope_id, record_key, "alert", self.node_id, self.node_id, version,
                                  hashlib.sha256(canonicalize(payload)).digest(), leaf_hash(leaf), leaf))
            heads[record_key] = Head(alert_envelope_id, version, datetime.fromisoformat(version))
        held = log.existing(leaf.envelope_id for leaf in leaves)
        leaves = [leaf for leaf in leaves if leaf.envelope_id not in held]
        if not leaves:
            return []
        log.append(frontier, leaves, received_at=now)
        origin = log_origin(self.node_id)
        root = frontier.root()
        log.add_checkpoint(size=frontier.size, root=root, created_at=now,
                           note=sign_note(checkpoint_body(origin, frontier.size, root), origin, self.key))
        head_repo = RecordHeadRepository(db)
        head_repo.upsert_many({k: heads[k] for k in {leaf.record_key for leaf in leaves}},
                              head_repo.get_many(leaf.record_key for leaf in leaves))
        enqueue_deliveries(db, node=self, directory=self.directory, now=now, rules=self.rules,
                           envelopes=[(leaf.envelope_id, self.node_id, "alert", self.node_id, None, ())
                                      for leaf in leaves])
        return [leaf.envelope_id for leaf in leaves]
