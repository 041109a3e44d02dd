"""The inbox: envelopes delivered by peers are checked, deduplicated, logged as they are, and receipted.

One batch is one transaction. Its envelopes are checked first (inbox_check: bytes, origin, key,
signature, payload), which is pure work done before the transaction writes anything, so verifying
a batch never holds the database's writer lock. Then the log writer lock is taken: batches (from
one sender or several) and local ingests are serialized, the stream position and the dedup rows are
read under it, and what a batch appends is one contiguous run of leaves with one checkpoint.

Per envelope, in order:
- a resend (its sequence number is below the one expected) of an envelope refused before gets the
  stored refusal again, byte for byte;
- an envelope the check refused gets a signed receipt with its code and is recorded in
  `inbox_refusals`;
- it is sorted against what the node holds (inbox_sort): an envelope already taken from its origin
  with the same digest gets the receipt given then, byte for byte, when the same peer asks again,
  or a `duplicate` receipt built from the same stored facts when another peer delivers it too
  (Ed25519 signatures are deterministic, so that receipt is stable as well); with another digest it
  is refused as a conflicting duplicate and an alert is raised;
- the rest is appended to the log as received (the leaf is the origin's signed canonical bytes, the
  log row keeps the origin), record heads move on for newer versions, and the receipt names the log
  index and the checkpoint after the batch.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from sqlalchemy.orm import Session

from gateway.services import exchange_alert as alerts
from gateway.services.credit_index import INDEXED_TYPES, index_credit_records
from gateway.services.identity import NodeIdentity
from gateway.services.inbox_check import (
    CONFLICTING_DUPLICATE,
    TRUST_REFUSALS,
    EnvelopeRefused,
    check_envelope,
    peek_names,
)
from gateway.services.inbox_sort import Slot, held_digest, sha256, sort_checked
from gateway.services.log_writer import append_leaves
from gateway.services.workflow_arrivals import take_arrivals
from gateway.store.repositories.inbox import GivenReceipt, HeldLeaf, InboxRepository, Refusal
from gateway.store.repositories.log import LogRepository, NewLeaf
from gateway.store.repositories.record import Head, RecordHeadRepository
from schemas.errors import GatewayError
from signing.directory import Directory
from signing.merkle import Frontier
from signing.receipt import sign_receipt
from sync.publish import enqueue_deliveries

MAX_BATCH = 1000
DEFAULT_STREAM = "records"
RESERVED_STREAM_PREFIX = "~"  # positions the node keeps for itself, e.g. its pull cursors
CHINA_TZ = timezone(timedelta(hours=8))


class ExchangeGapError(GatewayError):
    """The batch starts after the position expected: the sender resends from `expected_seq`."""

    code = "exchange.gap"
    status = 409

    def __init__(self, expected_seq: int, first_seq: int) -> None:
        super().__init__(f"expected sequence number {expected_seq}, the batch starts at {first_seq}")
        self.expected_seq = expected_seq
        self.extra = {"expected_seq": expected_seq}


class ExchangeRequestError(GatewayError):
    code = "exchange.bad_request"
    status = 422


def receive_envelopes(
    db: Session,
    *,
    node: NodeIdentity,
    directory: Directory,
    sender: str,
    stream: str,
    first_seq: int,
    envelopes: Sequence[bytes],
    now: datetime,
) -> tuple[list[bytes], int]:
    """Receipts (in order, the exact bytes stored) and the next sequence number expected from `sender`.

    ExchangeGapError when `first_seq` lies beyond the position expected for (sender, stream).
    """
    check_request(stream=stream, first_seq=first_seq, count=len(envelopes))
    slots = check_batch(envelopes, first_seq=first_seq, directory=directory, now=now)
    return receive_checked(db, node=node, directory=directory, sender=sender, stream=stream,
                           first_seq=first_seq, slots=slots, now=now)


def check_request(*, stream: str, first_seq: int, count: int) -> None:
    if type(first_seq) is not int or first_seq < 0:
        raise ExchangeRequestError("first_seq is an integer ≥ 0")
    if count > MAX_BATCH:
        raise ExchangeRequestError(f"at most {MAX_BATCH} envelopes per batch")
    if not isinstance(stream, str) or not 0 < len(stream) <= 64:
        raise ExchangeRequestError("stream is a name of 1 to 64 characters")
    if stream.startswith(RESERVED_STREAM_PREFIX):
        raise ExchangeRequestError(f"streams named {RESERVED_STREAM_PREFIX!r}… are this node's own")


def check_batch(envelopes: Sequence[bytes], *, first_seq: int | None, directory: Directory, now: datetime,
                parsed: Sequence[dict[str, Any] | None] | None = None) -> list[Slot]:
    """Every envelope checked (signature, origin, key, payload): pure work, done before any lock is taken,
    so that verifying a batch never holds the database's writer lock. `first_seq` None: no positions.
    `parsed`: per envelope, the object it is the canonical form of, when the caller has it."""
    slots: list[Slot] = []
    for offset, raw in enumerate(envelopes):
        slot = Slot(None if first_seq is None else first_seq + offset, raw, sha256(raw))
        try:
            slot.checked = check_envelope(raw, directory, now=now, parsed=parsed[offset] if parsed else None)
        except EnvelopeRefused as refused:
            slot.fate, slot.code, slot.message = "refused", refused.code, refused.message
        slots.append(slot)
    return slots


def receive_checked(
    db: Session,
    *,
    node: NodeIdentity,
    directory: Directory,
    sender: str,
    stream: str,
    first_seq: int,
    slots: list[Slot],
    now: datetime,
) -> tuple[list[bytes], int]:
    """`receive_envelopes` of a batch `check_batch` made: the writer lock is taken here, first thing."""
    inbox = InboxRepository(db)
    frontier = LogRepository(db).lock_state()
    held_seq = inbox.next_seq(sender, stream)
    expected = held_seq or 0
    if first_seq > expected:
        raise ExchangeGapError(expected, first_seq)
    receipts = take_envelopes(db, node=node, sender=sender, stream=stream, slots=slots, frontier=frontier,
                              replay_below=expected, now=now, directory=directory)
    next_seq = max(expected, first_seq + len(slots))
    if held_seq != next_seq:
        inbox.set_next_seq(sender, stream, next_seq, known=held_seq is not None, now=now)
    return receipts, next_seq


def take_envelopes(
    db: Session,
    *,
    node: NodeIdentity,
    directory: Directory,
    sender: str,
    stream: str,
    slots: list[Slot],
    frontier: Frontier,
    replay_below: int,
    now: datetime,
) -> list[bytes]:
    """The receive path shared by push and pull, for checked slots; the caller took the writer lock."""
    inbox = InboxRepository(db)
    stamp = {"sender": sender, "receiver": node.node_id,
             "received_at": now.astimezone(CHINA_TZ).isoformat(timespec="milliseconds")}
    resent = [s.seq for s in slots if s.seq is not None and s.seq < replay_below]
    replays = inbox.refusals_at(sender, stream, resent)
    for slot in slots:
        replay = replays.get(slot.seq) if slot.seq is not None else None
        if replay is not None and replay[0] == slot.digest:
            slot.fate, slot.receipt = "replayed", replay[1]
    checked = [s for s in slots if s.fate is None and s.checked is not None]
    given = inbox.get_receipts((s.origin, s.envelope_id) for s in checked)
    held = inbox.held_leaves(s.envelope_id for s in checked if (s.origin, s.envelope_id) not in given)
    sort_checked(slots, given, held, now=now)
    taken = [s for s in slots if s.fate == "taken"]
    _append(db, node=node, frontier=frontier, taken=taken, stamp=stamp, now=now)
    refusals, alert_items = _answer(slots, stamp, node=node, sender=sender, stream=stream, now=now)
    inbox.add_refusals(refusals, received_at=now)
    if taken:
        take_arrivals(db, node=node, directory=directory, now=now,
                      arrivals=[(s.envelope_id, s.verified.envelope) for s in taken])
        # Forwarding (sync/publish.py): the next hops of each envelope, never back to its origin or sender.
        routes = [(s.envelope_id, s.verified.envelope["jurisdiction"], s.verified.envelope["type"], s.origin,
                   sender, ()) for s in taken]
        enqueue_deliveries(db, node=node, directory=directory, now=now, envelopes=routes)
    alerts.raise_alerts(db, node=node, alerts=alert_items, now=now)
    db.flush()
    return [slot.receipt or b"" for slot in slots]


def _append(db: Session, *, node: NodeIdentity, frontier: Frontier, taken: list[Slot], stamp: dict[str, str],
            now: datetime) -> None:
    """Append the taken envelopes as received, sign and keep their receipts, move the record heads on."""
    if not taken:
        return
    leaves = [_new_leaf(slot) for slot in taken]
    indexes = append_leaves(db, node=node, frontier=frontier, leaves=leaves, now=now)
    checkpoint = {"size": frontier.size, "root": base64.b64encode(frontier.root()).decode()}
    given: list[GivenReceipt] = []
    for slot, index in zip(taken, indexes, strict=True):
        slot.index = index
        slot.receipt = sign_receipt({**stamp, "envelope_id": slot.envelope_id, "origin": slot.origin,
                                     "digest": _hex(slot.digest), "status": "accepted", "log_index": index,
                                     "checkpoint": checkpoint}, node.key)
        given.append(GivenReceipt(slot.origin, slot.envelope_id, slot.digest, stamp["sender"], index,
                                  slot.receipt, now))
    InboxRepository(db).add_receipts(given)
    _move_heads(db, leaves)
    credit = [slot.verified.envelope for slot in taken if slot.verified.envelope["type"] in INDEXED_TYPES]
    if credit:
        index_credit_records(db, credit)


def _answer(slots: list[Slot], stamp: dict[str, str], *, node: NodeIdentity, sender: str, stream: str,
            now: datetime) -> tuple[list[Refusal], list[dict[str, Any]]]:
    """Receipts for everything not taken; the refusals to record and the alerts to raise."""
    refusals: list[Refusal] = []
    alert_items: list[dict[str, Any]] = []
    for slot in slots:
        if slot.fate == "repeat" and slot.same_as is not None:
            slot.receipt = slots[slot.same_as].receipt
        elif slot.fate == "duplicate":
            slot.receipt = _duplicate_receipt(slot, slots, stamp, node)
        elif slot.fate in ("refused", "conflict"):
            origin, eid = (slot.origin, slot.envelope_id) if slot.checked else peek_names(slot.raw)
            slot.receipt = sign_receipt({**stamp, "envelope_id": eid, "origin": origin,
                                         "digest": _hex(slot.digest), "status": "refused", "code": slot.code},
                                        node.key)
            refusals.append(Refusal(sender, stream, slot.seq, origin, eid, slot.digest, slot.code,
                                    slot.message, slot.receipt))
            if slot.code == CONFLICTING_DUPLICATE:
                held = ("sha256:" + slots[slot.same_as].digest.hex() if slot.same_as is not None
                        else held_digest(slot.prior))
                alert_items.append(alerts.conflicting_duplicate_alert(
                    node=node, sender=sender, origin=origin, envelope_id=eid, held_digest=held,
                    received_digest=_hex(slot.digest), now=now))
    untrusted = [alerts.RefusedItem(r.seq, r.origin, r.envelope_id, r.code, r.message)
                 for r in refusals if r.code in TRUST_REFUSALS]
    if untrusted:
        alert_items.append(alerts.envelope_refused_alert(node=node, sender=sender, stream=stream,
                                                         refused=untrusted, now=now))
    return refusals, alert_items


def _duplicate_receipt(slot: Slot, slots: list[Slot], stamp: dict[str, str], node: NodeIdentity) -> bytes:
    prior = slot.prior
    if isinstance(prior, GivenReceipt):
        if prior.sender == stamp["sender"]:
            return prior.receipt
        fields = orjson.loads(prior.receipt)
        del fields["sig"]
        return sign_receipt({**fields, "sender": stamp["sender"], "status": "duplicate"}, node.key)
    if slot.same_as is not None:  # the same record version taken from another origin in this batch
        earlier = slots[slot.same_as]
        return sign_receipt({**stamp, "envelope_id": slot.envelope_id, "origin": slot.origin,
                             "digest": _hex(slot.digest), "status": "duplicate",
                             "log_index": earlier.log_index}, node.key)
    if not isinstance(prior, HeldLeaf):
        raise TypeError("a duplicate repeats a receipt given or a leaf held")
    received_at = prior.received_at.astimezone(CHINA_TZ).isoformat(timespec="milliseconds")
    return sign_receipt({**stamp, "received_at": received_at, "envelope_id": slot.envelope_id,
                         "origin": slot.origin, "digest": _hex(slot.digest), "status": "duplicate",
                         "log_index": prior.idx}, node.key)


def _new_leaf(slot: Slot) -> NewLeaf:
    checked = slot.verified
    envelope = checked.envelope
    return NewLeaf(envelope["id"], checked.record_key, envelope["type"], envelope["jurisdiction"],
                   envelope["origin"], envelope["payload"]["data_timestamp"], checked.payload_digest,
                   slot.leaf_hash, slot.raw)


def _move_heads(db: Session, leaves: list[NewLeaf]) -> None:
    repo = RecordHeadRepository(db)
    heads = repo.get_many(leaf.record_key for leaf in leaves)
    known = set(heads)
    newer: dict[str, Head] = {}
    for leaf in leaves:
        version = datetime.fromisoformat(leaf.version)
        current = newer.get(leaf.record_key) or heads.get(leaf.record_key)
        # A late older version is logged (the origin did publish it) but does not become the head.
        if current is None or version > current.version_utc:
            newer[leaf.record_key] = Head(leaf.envelope_id, leaf.version, version)
    repo.upsert_many(newer, known)


def _hex(digest: bytes) -> str:
    return "sha256:" + digest.hex()
