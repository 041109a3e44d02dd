"""A deliberately naive RFC 6962 §2.1 Merkle tree, written straight from the recursive definitions.

It recomputes every subtree from the raw entries and shares no code with signing.merkle, so the
tests can hold the real implementation against it. Slow on purpose: use it on small trees only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of §2.1."""
    n = len(entries)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + entries[0])
    k = _k(n)
    return _sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:]))


def path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of §2.1.1: the audit path of entry m, leaf to root."""
    n = len(entries)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, entries[:k]), mth(entries[k:])]
    return [*path(m - k, entries[k:]), mth(entries[:k])]


def proof(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of §2.1.2: the consistency proof from the first m entries to all n."""
    return _subproof(m, entries, True)


def _subproof(m: int, entries: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if whole else [mth(entries)]
    k = _k(n)
    if m <= k:
        return [*_subproof(m, entries[:k], whole), mth(entries[k:])]
    return [*_subproof(m - k, entries[k:], False), mth(entries[:k])]
