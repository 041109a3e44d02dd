"""Sorting the checked envelopes of a batch against what the node already holds.

Each checked envelope ends up in one of: taken (new: to append), repeat (an earlier envelope of the
same batch, same bytes: same receipt), duplicate (already held: a receipt from the stored facts),
or conflict (already held under the same id with other content). "Held" means an inbox receipt for
the same (origin, id), else a leaf of the log with the same id (this node's own record coming
back, or the same record version from another origin), else an envelope taken earlier in the batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from gateway.services.inbox_check import CONFLICTING_DUPLICATE, CONFLICTING_RECORD, CheckedEnvelope
from gateway.store.repositories.inbox import GivenReceipt, HeldLeaf
from signing.merkle import leaf_hash

Fate = Literal["refused", "replayed", "taken", "repeat", "duplicate", "conflict"]


@dataclass(slots=True)
class Slot:
    """One envelope of a batch on its way to a receipt."""

    seq: int | None
    raw: bytes
    digest: bytes  # SHA-256 of the envelope's canonical bytes as received
    fate: Fate | None = None
    checked: CheckedEnvelope | None = None
    receipt: bytes | None = None
    code: str = ""  # why it was refused (refused or conflict)
    message: str = ""
    prior: GivenReceipt | HeldLeaf | None = None  # what a duplicate or a conflict repeats
    same_as: int | None = None  # position of the earlier envelope of the batch a repeat repeats
    index: int | None = None  # log index, once taken
    leaf_hash: bytes = b""

    @property
    def verified(self) -> CheckedEnvelope:
        if self.checked is None:
            raise RuntimeError("the envelope was not checked")
        return self.checked

    @property
    def log_index(self) -> int:
        if self.index is None:
            raise RuntimeError("the envelope was not appended")
        return self.index

    @property
    def origin(self) -> str:
        return self.checked.envelope["origin"] if self.checked else ""

    @property
    def envelope_id(self) -> str:
        return self.checked.envelope["id"] if self.checked else ""


def sort_checked(slots: list[Slot], given: Mapping[tuple[str, str], GivenReceipt],
                 held: Mapping[str, HeldLeaf], *, now: datetime) -> None:
    """Set the fate of every checked slot (those with `checked` and no fate yet)."""
    in_batch: dict[str, int] = {}
    for position, slot in enumerate(slots):
        if slot.checked is None or slot.fate is not None:
            continue
        slot.leaf_hash = leaf_hash(slot.raw)
        origin, eid = slot.origin, slot.envelope_id
        receipt = given.get((origin, eid))
        if receipt is not None:
            _against(slot, receipt, same_origin=True, same=receipt.digest == slot.digest)
            continue
        earlier_at = in_batch.get(eid)
        if earlier_at is not None:
            earlier = slots[earlier_at]
            if earlier.origin == origin and earlier.digest == slot.digest:
                slot.fate, slot.same_as = "repeat", earlier_at
            else:
                _against(slot, _as_held(earlier, now), same_origin=earlier.origin == origin,
                         same=_same_payload(earlier, slot))
                slot.same_as = earlier_at
            continue
        leaf = held.get(eid)
        if leaf is not None:
            same_origin = leaf.origin == origin
            same = leaf.leaf_hash == slot.leaf_hash if same_origin else (
                leaf.payload_digest == slot.verified.payload_digest)
            _against(slot, leaf, same_origin=same_origin, same=same)
            continue
        slot.fate = "taken"
        in_batch[eid] = position


def held_digest(prior: GivenReceipt | HeldLeaf | None) -> str:
    """How an alert names what the node held: the digest received then, or the log index."""
    if isinstance(prior, GivenReceipt):
        return "sha256:" + prior.digest.hex()
    if isinstance(prior, HeldLeaf):
        return f"log_index:{prior.idx}"
    return ""


def _against(slot: Slot, prior: GivenReceipt | HeldLeaf, *, same_origin: bool, same: bool) -> None:
    slot.prior = prior
    if same:
        slot.fate = "duplicate"
        return
    slot.fate = "conflict"
    slot.code = CONFLICTING_DUPLICATE if same_origin else CONFLICTING_RECORD
    slot.message = (f"envelope {slot.envelope_id} of {slot.origin} is already held with other content"
                    if same_origin else f"record version {slot.envelope_id} is already held from "
                    f"{prior.origin} with another payload")


def _same_payload(earlier: Slot, slot: Slot) -> bool:
    return earlier.verified.payload_digest == slot.verified.payload_digest


def _as_held(earlier: Slot, now: datetime) -> HeldLeaf:
    # Its index is known only after the append: a duplicate of it takes the index from `same_as`.
    return HeldLeaf(-1, earlier.origin, earlier.verified.payload_digest, earlier.leaf_hash, now)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
