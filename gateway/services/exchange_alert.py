"""Alerts the exchange raises, as `alert` records appended through the standard ingest.

Three kinds: `exchange.conflicting_duplicate` (an envelope id already taken from its origin arrives
with other bytes: the origin signed two different things under one id, or someone replays an
altered copy), `exchange.envelope_refused` (a peer delivered envelopes whose origin, key or
signature cannot be trusted; one alert per batch) and `exchange.peer_refused` (a call whose peer
token was refused). Token refusals come from callers nobody has authenticated, so their alert is
the same record for one claimed caller, reason and hour: repeated attempts add rows to
`inbox_refusals`, not records to the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.store.repositories.inbox import InboxRepository, Refusal

EXCHANGE_SOURCE = "exchange"
CHINA_TZ = timezone(timedelta(hours=8))
MAX_LISTED = 100


@dataclass(frozen=True, slots=True)
class RefusedItem:
    seq: int | None
    origin: str
    envelope_id: str
    code: str
    message: str


def conflicting_duplicate_alert(*, node: NodeIdentity, sender: str, origin: str, envelope_id: str,
                                held_digest: str, received_digest: str, now: datetime) -> dict[str, Any]:
    stamp = _stamp(now)
    return _alert(node, stamp, {
        "alert_id": _alert_id("exchange.conflicting_duplicate", origin, envelope_id, received_digest),
        "kind": "exchange.conflicting_duplicate",
        "severity": "critical",
        "subject_ids": [envelope_id],
        "summary": f"节点{sender}交付的记录{envelope_id}（来源节点{origin}）"
                   "与已接收的同一记录内容不一致，已拒收",
        "details": {"sender": sender, "origin": origin, "envelope_id": envelope_id,
                    "held_digest": held_digest, "received_digest": received_digest},
    })


def envelope_refused_alert(*, node: NodeIdentity, sender: str, stream: str, refused: Sequence[RefusedItem],
                           now: datetime) -> dict[str, Any]:
    listed = refused[:MAX_LISTED]
    subjects = [item.envelope_id for item in listed if item.envelope_id] or [sender]
    codes = sorted({item.code for item in refused})
    return _alert(node, _stamp(now), {
        "alert_id": _alert_id("exchange.envelope_refused", sender, stream, str(listed[0].seq), _stamp(now)),
        "kind": "exchange.envelope_refused",
        "severity": "critical",
        "subject_ids": list(dict.fromkeys(subjects)),
        "summary": f"节点{sender}交付的{len(refused)}条记录未通过来源、密钥或签名校验，"
                   f"已拒收（{', '.join(codes)}）",
        "details": {"sender": sender, "stream": stream, "count": len(refused), "codes": codes,
                    "refused": [{"seq": item.seq, "origin": item.origin, "envelope_id": item.envelope_id,
                                 "code": item.code, "message": item.message[:500]} for item in listed]},
    })


def peer_refused_alert(*, node: NodeIdentity, claimed: str, code: str, now: datetime) -> dict[str, Any]:
    hour = now.astimezone(CHINA_TZ).replace(minute=0, second=0, microsecond=0)
    stamp = hour.isoformat(timespec="seconds")
    who = claimed or "unknown"
    return _alert(node, stamp, {
        "alert_id": _alert_id("exchange.peer_refused", who, code, stamp),
        "kind": "exchange.peer_refused",
        "severity": "warning",
        "subject_ids": [who],
        "summary": f"自称节点{who}的调用未通过对等认证（{code}），已拒绝",
        "details": {"claimed_node": who, "code": code, "hour": stamp},
    })


def raise_alerts(db: Session, *, node: NodeIdentity, alerts: Sequence[dict[str, Any]], now: datetime) -> None:
    if alerts:
        ingest_standard(db, items=list(alerts), node=node, source_system=EXCHANGE_SOURCE, now=now)


def _alert(node: NodeIdentity, stamp: str, fields: dict[str, Any]) -> dict[str, Any]:
    payload = {"data_timestamp": stamp, "jurisdiction": node.node_id, "raised_at": stamp, **fields}
    return {"type": "alert", "jurisdiction": node.node_id, "payload": payload,
            "source": {"system": EXCHANGE_SOURCE, "ref": fields["alert_id"]}}


def _alert_id(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{parts[0]}-{digest}"


def _stamp(now: datetime) -> str:
    return now.astimezone(CHINA_TZ).isoformat(timespec="microseconds")


def record_refused_call(db: Session, *, node: NodeIdentity, claimed: str, code: str, message: str,
                        now: datetime) -> None:
    """A call refused before any envelope was read (its token): a refusal row, and the hour's alert."""
    InboxRepository(db).add_refusals(
        [Refusal(claimed, "", None, "", "", None, code, message, None)], received_at=now)
    raise_alerts(db, node=node, alerts=[peer_refused_alert(node=node, claimed=claimed, code=code, now=now)],
                 now=now)
