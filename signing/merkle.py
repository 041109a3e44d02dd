"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification.

The node store keeps, for every complete aligned subtree, its hash under (level, index): level 0
holds leaf hashes, and (level, index) covers leaves [index·2^level, (index+1)·2^level). Every
subtree hash MTH(D[a:b]) that RFC 6962 §2.1 uses is either such a node or a right-edge range
[a, size) whose hash folds the aligned nodes covering it, so a root or a proof needs only one batch
read of O(log n) nodes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeAlias

from signing.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey: TypeAlias = tuple[int, int]
NodeReader: TypeAlias = Callable[[Sequence[NodeKey]], Mapping[NodeKey, bytes]]
_Range: TypeAlias = tuple[int, int]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split_point(width: int) -> int:
    """The largest power of two strictly below `width` (k in RFC 6962 §2.1), for width > 1."""
    return 1 << ((width - 1).bit_length() - 1)


def _aligned_cover(start: int, end: int) -> list[NodeKey]:
    """The aligned complete subtrees covering [start, end), left to right, largest first."""
    nodes: list[NodeKey] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a tree-node range from its aligned cover: the right spine of RFC 6962 §2.1 is a right fold."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _inclusion_ranges(index: int, size: int) -> list[_Range]:
    """The ranges whose MTH form PATH(index, D[0:size]) (RFC 6962 §2.1.1), leaf to root."""
    ranges: list[_Range] = []
    low, high = 0, size
    while high - low > 1:
        middle = low + _split_point(high - low)
        if index < middle:
            ranges.append((middle, high))
            high = middle
        else:
            ranges.append((low, middle))
            low = middle
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, new_size: int) -> list[_Range]:
    """The ranges whose MTH form PROOF(old_size, D[0:new_size]) (RFC 6962 §2.1.2), in proof order."""
    ranges: list[_Range] = []
    low, high, remaining, whole = 0, new_size, old_size, True
    while remaining != high - low:
        middle = low + _split_point(high - low)
        if remaining <= middle - low:
            ranges.append((middle, high))
            high = middle
        else:
            ranges.append((low, middle))
            remaining -= middle - low
            low, whole = middle, False
    if not whole:
        ranges.append((low, high))
    ranges.reverse()
    return ranges


def _range_hashes(ranges: Sequence[_Range], reader: NodeReader) -> list[bytes]:
    covers = [_aligned_cover(start, end) for start, end in ranges]
    wanted = list(dict.fromkeys(key for cover in covers for key in cover))
    found = reader(wanted) if wanted else {}
    missing = [key for key in wanted if key not in found]
    if missing:
        raise ProofError(f"the node store has no hash for subtree nodes {missing[:4]} (level, index)")
    return [_fold([found[key] for key in cover]) for cover in covers]


def root_at(size: int, reader: NodeReader) -> bytes:
    if size < 0:
        raise ProofError(f"tree size must not be negative, got {size}")
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes([(0, size)], reader)[0]


def inclusion_proof(index: int, size: int, reader: NodeReader) -> list[bytes]:
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    return _range_hashes(_inclusion_ranges(index, size), reader)


def consistency_proof(old_size: int, new_size: int, reader: NodeReader) -> list[bytes]:
    """PROOF(old, D[new]); empty when old is 0 or old equals new, since nothing is left to prove."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    return _range_hashes(_consistency_ranges(old_size, new_size), reader)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def _check_proof(proof: Sequence[bytes], expected_length: int, what: str) -> None:
    if len(proof) != expected_length:
        raise ProofError(f"{what} must hold {expected_length} hashes, got {len(proof)}")
    for position, element in enumerate(proof):
        _check_hash(element, f"{what} element {position}")


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless `proof` puts `leaf_hash` at `index` under `root`."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root hash")
    _check_proof(proof, len(_inclusion_ranges(index, size)), "inclusion proof")
    # The length check fixes the loop's shape: it depends only on index and size, never on hashes.
    fn, sn, result = index, size - 1, leaf_hash
    for element in proof:
        if fn & 1 or fn == sn:
            result = node_hash(element, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, element)
        fn, sn = fn >> 1, sn >> 1
    if not hmac.compare_digest(result, root):
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root of tree size {size}")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless the tree at `new_size` extends the one at `old_size`."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"tree size {old_size} cannot be consistent with the smaller size {new_size}")
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    if old_size in (0, new_size):
        _check_proof(proof, 0, "consistency proof")
        expected = EMPTY_ROOT if old_size == 0 else new_root
        if not hmac.compare_digest(old_root, expected):
            raise ProofError(f"old root does not match the tree of size {old_size}")
        return
    # As for inclusion, the length check fixes the shape of the loop below.
    _check_proof(proof, len(_consistency_ranges(old_size, new_size)), "consistency proof")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_result = new_result = path[0]
    for element in path[1:]:
        if fn & 1 or fn == sn:
            old_result = node_hash(element, old_result)
            new_result = node_hash(element, new_result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_result = node_hash(new_result, element)
        fn, sn = fn >> 1, sn >> 1
    if not hmac.compare_digest(old_result, old_root):
        raise ProofError(f"consistency proof does not lead to the old root at size {old_size}")
    if not hmac.compare_digest(new_result, new_root):
        raise ProofError(f"consistency proof does not lead to the new root at size {new_size}")


class Frontier:
    """The right edge of the tree (its compact range): one hash per set bit of `size`, largest first."""

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        stack = list(hashes)
        if size < 0 or len(stack) != size.bit_count():
            raise ValueError(f"a frontier of size {size} holds {size.bit_count()} hashes, got {len(stack)}")
        if any(len(value) != HASH_SIZE for value in stack):
            raise ValueError(f"frontier hashes must be {HASH_SIZE} bytes")
        self._size = size
        self._stack = stack

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._stack)

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Adds a leaf; returns every (level, index, hash) node it completes, the leaf itself first."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes, got {len(leaf_hash)}")
        completed = [(0, self._size, leaf_hash)]
        current, level, index = leaf_hash, 0, self._size
        while (self._size >> level) & 1:
            current = node_hash(self._stack.pop(), current)
            level, index = level + 1, index >> 1
            completed.append((level, index, current))
        self._stack.append(current)
        self._size += 1
        return completed

    def root(self) -> bytes:
        return _fold(self._stack) if self._stack else EMPTY_ROOT

    def to_json(self) -> list[str]:
        return [value.hex() for value in self._stack]

    @classmethod
    def from_json(cls, size: int, data: Sequence[str]) -> Frontier:
        try:
            hashes = [bytes.fromhex(value) for value in data]
        except (TypeError, ValueError) as exc:
            raise ValueError("frontier hashes must be hex strings") from exc
        return cls(size, hashes)


class MemoryTree:
    """A whole tree in memory: leaf hashes plus the node store, usable as a NodeReader."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._frontier = Frontier()
        self._nodes: dict[NodeKey, bytes] = {}
        for value in leaf_hashes:
            self.append(value)

    @classmethod
    def from_leaves(cls, leaves: Iterable[bytes]) -> MemoryTree:
        return cls(leaf_hash(leaf) for leaf in leaves)

    @property
    def size(self) -> int:
        return self._frontier.size

    def append(self, leaf_hash: bytes) -> int:
        """Adds a leaf hash and returns its index."""
        index = self._frontier.size
        for level, position, value in self._frontier.append(leaf_hash):
            self._nodes[(level, position)] = value
        return index

    def __call__(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        return {key: self._nodes[key] for key in keys if key in self._nodes}

    def leaf_hash(self, index: int) -> bytes:
        return self._nodes[(0, index)]

    def root(self, size: int | None = None) -> bytes:
        return root_at(self.size if size is None else size, self)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return consistency_proof(old_size, self.size if new_size is None else new_size, self)
