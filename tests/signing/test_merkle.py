from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signing.errors import ProofError
from signing.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    NodeKey,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
    verify_consistency,
    verify_inclusion,
)
from tests.signing import rfc6962_reference as reference

PROOF_INVALID = "log.proof_invalid"

# Every size from 1 to EXHAUSTIVE_SIZE is checked against the reference at every index, and every
# consistency pair up to EXHAUSTIVE_PAIRS; the hypothesis tests sample the bigger tree.
EXHAUSTIVE_SIZE = 130
EXHAUSTIVE_PAIRS = 130
BIG_SIZE = 2500

ENTRIES = [f"entry {i}".encode() for i in range(BIG_SIZE)]
BIG_TREE = MemoryTree.from_leaves(ENTRIES)


def h(value: str) -> bytes:
    return bytes.fromhex(value)


def flipped(value: bytes, position: int = 0) -> bytes:
    return value[:position] + bytes([value[position] ^ 0x10]) + value[position + 1 :]


class CountingReader:
    """Wraps a reader and records every batch it is asked for."""

    def __init__(self, inner: Callable[[Sequence[NodeKey]], Mapping[NodeKey, bytes]]) -> None:
        self.inner = inner
        self.calls: list[list[NodeKey]] = []

    def __call__(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
        self.calls.append(list(keys))
        return self.inner(keys)


# Published RFC 6962 test data: github.com/transparency-dev/merkle, file proof/verify_test.go
# (the same values as cpp/merkletree/merkle_tree_test.cc in google/certificate-transparency).
# The Go file numbers inclusion leaves from 1; they are given here 0-based.
VECTOR_LEAVES = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
VECTOR_ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
VECTOR_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
VECTOR_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]


def inclusion_tampering(index: int, size: int, proof: list[bytes], root: bytes) -> Iterator[tuple]:
    """(description, leaf hash, index, size, proof, root) variants that must all be rejected."""
    leaf = BIG_TREE.leaf_hash(index)
    for position in range(len(proof)):
        changed = list(proof)
        changed[position] = flipped(changed[position], position % 32)
        yield f"flipped proof[{position}]", leaf, index, size, changed, root
    if proof:
        yield "missing last element", leaf, index, size, proof[:-1], root
        yield "missing first element", leaf, index, size, proof[1:], root
        yield "short element", leaf, index, size, [proof[0][:31], *proof[1:]], root
    yield "extra trailing element", leaf, index, size, [*proof, root], root
    yield "extra leading element", leaf, index, size, [leaf, *proof], root
    for wrong_index in {index - 1, index + 1, index ^ 2, size} - {index}:
        yield f"index {wrong_index}", leaf, wrong_index, size, proof, root
    yield "doubled size", leaf, index, size * 2, proof, root
    yield "halved size", leaf, index, size // 2, proof, root
    yield "other leaf", leaf_hash(b"not in the tree"), index, size, proof, root
    yield "flipped root", leaf, index, size, proof, flipped(root, 31)
    yield "empty root", leaf, index, size, proof, EMPTY_ROOT


def consistency_tampering(old: int, new: int, proof: list[bytes]) -> Iterator[tuple]:
    """(description, old size, new size, old root, new root, proof) variants that must be rejected."""
    old_root, new_root = BIG_TREE.root(old), BIG_TREE.root(new)
    for position in range(len(proof)):
        changed = list(proof)
        changed[position] = flipped(changed[position], position % 32)
        yield f"flipped proof[{position}]", old, new, old_root, new_root, changed
    yield "empty proof", old, new, old_root, new_root, []
    yield "missing last element", old, new, old_root, new_root, proof[:-1]
    yield "missing first element", old, new, old_root, new_root, proof[1:]
    yield "extra trailing element", old, new, old_root, new_root, [*proof, new_root]
    yield "extra leading element", old, new, old_root, new_root, [proof[0], *proof]
    yield "old root as leading element", old, new, old_root, new_root, [old_root, *proof]
    yield "short element", old, new, old_root, new_root, [proof[0][:31], *proof[1:]]
    for wrong_old in {old - 1, old + 1, old ^ 2} - {old}:
        yield f"old size {wrong_old}", wrong_old, new, old_root, new_root, proof
    yield "doubled new size", old, new * 2, old_root, new_root, proof
    yield "halved new size", old, new // 2, old_root, new_root, proof
    yield "swapped roots", old, new, new_root, old_root, proof
    yield "flipped old root", old, new, flipped(old_root, 5), new_root, proof
    yield "flipped new root", old, new, old_root, flipped(new_root, 5), proof


class TestHashing:
    def test_empty_root_is_the_hash_of_nothing(self) -> None:
        assert EMPTY_ROOT == hashlib.sha256(b"").digest() == VECTOR_ROOTS[0]

    def test_leaf_hash_prefixes_zero_byte(self) -> None:
        assert leaf_hash(b"") == VECTOR_ROOTS[1]
        assert leaf_hash(b"\x00") == h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")

    def test_node_hash_prefixes_one_byte(self) -> None:
        assert node_hash(leaf_hash(b""), leaf_hash(b"\x00")) == VECTOR_ROOTS[2]
        assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


class TestPublishedVectors:
    tree = MemoryTree.from_leaves(VECTOR_LEAVES)

    @pytest.mark.parametrize("size", range(9))
    def test_roots(self, size: int) -> None:
        assert root_at(size, self.tree) == VECTOR_ROOTS[size]

    @pytest.mark.parametrize(("index", "size", "expected"), VECTOR_INCLUSION)
    def test_inclusion_proofs(self, index: int, size: int, expected: list[bytes]) -> None:
        assert inclusion_proof(index, size, self.tree) == expected
        verify_inclusion(leaf_hash(VECTOR_LEAVES[index]), index, size, expected, VECTOR_ROOTS[size])

    @pytest.mark.parametrize(("old", "new", "expected"), VECTOR_CONSISTENCY)
    def test_consistency_proofs(self, old: int, new: int, expected: list[bytes]) -> None:
        assert consistency_proof(old, new, self.tree) == expected
        verify_consistency(old, new, VECTOR_ROOTS[old], VECTOR_ROOTS[new], expected)

    def test_reference_agrees_with_the_published_roots(self) -> None:
        assert [reference.mth(VECTOR_LEAVES[:size]) for size in range(9)] == VECTOR_ROOTS


class TestFrontier:
    def test_every_completed_subtree_matches_the_reference(self) -> None:
        frontier = Frontier()
        for size in range(1, EXHAUSTIVE_SIZE + 1):
            completed = frontier.append(leaf_hash(ENTRIES[size - 1]))
            # Exactly the aligned subtrees whose last leaf is the one just added, smallest first.
            expected_keys = [
                (level, (size - 1) >> level) for level in range(size.bit_length()) if size % (1 << level) == 0
            ]
            assert [(level, index) for level, index, _ in completed] == expected_keys
            for level, index, value in completed:
                start = index << level
                assert value == reference.mth(ENTRIES[start : start + (1 << level)])
            assert frontier.size == size
            assert frontier.root() == reference.mth(ENTRIES[:size])

    def test_empty_frontier_has_the_empty_root(self) -> None:
        assert Frontier().root() == EMPTY_ROOT
        assert Frontier().to_json() == []

    def test_json_round_trip_continues_the_same_tree(self) -> None:
        frontier = Frontier()
        for entry in ENTRIES[:37]:
            frontier.append(leaf_hash(entry))
        restored = Frontier.from_json(frontier.size, frontier.to_json())
        assert restored.size == 37
        assert restored.hashes == frontier.hashes
        assert len(restored.to_json()) == bin(37).count("1")
        for entry in ENTRIES[37:45]:
            assert restored.append(leaf_hash(entry)) == frontier.append(leaf_hash(entry))
        assert restored.root() == reference.mth(ENTRIES[:45])

    def test_append_hashes_amortized_constant(self) -> None:
        frontier = Frontier()
        completions = sum(len(frontier.append(leaf_hash(entry))) for entry in ENTRIES[:1024])
        # Each leaf plus each interior node of the perfect 1024-leaf tree, each computed once.
        assert completions == 2 * 1024 - 1

    @pytest.mark.parametrize(
        ("size", "hashes"),
        [(3, [b"\x00" * 32]), (1, []), (-1, []), (2, [b"\x00" * 31])],
    )
    def test_rejects_inconsistent_state(self, size: int, hashes: list[bytes]) -> None:
        with pytest.raises(ValueError, match="frontier"):
            Frontier(size, hashes)

    def test_from_json_rejects_non_hex(self) -> None:
        with pytest.raises(ValueError, match="hex"):
            Frontier.from_json(1, ["zz" * 32])

    def test_append_rejects_a_short_hash(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            Frontier().append(b"\x00" * 31)


class TestRootAt:
    def test_every_size_matches_the_reference(self) -> None:
        for size in range(EXHAUSTIVE_SIZE + 1):
            assert root_at(size, BIG_TREE) == reference.mth(ENTRIES[:size]), size

    def test_uses_one_reader_call(self) -> None:
        reader = CountingReader(BIG_TREE)
        root_at(1000, reader)
        assert len(reader.calls) == 1
        assert reader.calls[0] == [(9, 0), (8, 2), (7, 6), (6, 14), (5, 30), (3, 124)]

    def test_empty_tree_needs_no_read(self) -> None:
        reader = CountingReader(BIG_TREE)
        assert root_at(0, reader) == EMPTY_ROOT
        assert reader.calls == []

    def test_negative_size_is_rejected(self) -> None:
        with pytest.raises(ProofError) as caught:
            root_at(-1, BIG_TREE)
        assert caught.value.code == PROOF_INVALID

    def test_missing_nodes_are_reported(self) -> None:
        with pytest.raises(ProofError, match="no hash") as caught:
            root_at(BIG_SIZE + 1, BIG_TREE)
        assert caught.value.code == PROOF_INVALID

    @settings(max_examples=150, deadline=None)
    @given(size=st.integers(min_value=0, max_value=BIG_SIZE))
    def test_random_sizes_match_the_reference(self, size: int) -> None:
        assert BIG_TREE.root(size) == reference.mth(ENTRIES[:size])


class TestInclusionProof:
    def test_every_index_of_every_small_size_matches_the_reference(self) -> None:
        for size in range(1, EXHAUSTIVE_SIZE + 1):
            root = reference.mth(ENTRIES[:size])
            for index in range(size):
                proof = inclusion_proof(index, size, BIG_TREE)
                assert proof == reference.path(index, ENTRIES[:size]), (index, size)
                verify_inclusion(BIG_TREE.leaf_hash(index), index, size, proof, root)

    def test_uses_one_reader_call(self) -> None:
        reader = CountingReader(BIG_TREE)
        inclusion_proof(700, 1999, reader)
        assert len(reader.calls) == 1

    @pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (5, 5), (-1, 3)])
    def test_index_outside_the_tree_is_rejected(self, index: int, size: int) -> None:
        with pytest.raises(ProofError, match="not in a tree") as caught:
            inclusion_proof(index, size, BIG_TREE)
        assert caught.value.code == PROOF_INVALID

    @settings(max_examples=150, deadline=None)
    @given(data=st.data(), size=st.integers(min_value=1, max_value=BIG_SIZE))
    def test_random_sizes_match_the_reference(self, data: st.DataObject, size: int) -> None:
        index = data.draw(st.integers(min_value=0, max_value=size - 1))
        proof = BIG_TREE.inclusion_proof(index, size)
        assert proof == reference.path(index, ENTRIES[:size])
        verify_inclusion(leaf_hash(ENTRIES[index]), index, size, proof, BIG_TREE.root(size))


class TestConsistencyProof:
    def test_every_small_pair_matches_the_reference(self) -> None:
        for new in range(1, EXHAUSTIVE_PAIRS + 1):
            new_root = reference.mth(ENTRIES[:new])
            for old in range(new + 1):
                proof = consistency_proof(old, new, BIG_TREE)
                expected = reference.proof(old, ENTRIES[:new]) if old > 0 else []
                assert proof == expected, (old, new)
                verify_consistency(old, new, reference.mth(ENTRIES[:old]), new_root, proof)

    def test_uses_one_reader_call(self) -> None:
        reader = CountingReader(BIG_TREE)
        consistency_proof(999, 2047, reader)
        assert len(reader.calls) == 1

    @pytest.mark.parametrize(("old", "new"), [(5, 4), (1, 0), (-1, 3)])
    def test_shrinking_is_rejected(self, old: int, new: int) -> None:
        with pytest.raises(ProofError, match="consistency") as caught:
            consistency_proof(old, new, BIG_TREE)
        assert caught.value.code == PROOF_INVALID

    @settings(max_examples=150, deadline=None)
    @given(data=st.data(), new=st.integers(min_value=1, max_value=BIG_SIZE))
    def test_random_sizes_match_the_reference(self, data: st.DataObject, new: int) -> None:
        old = data.draw(st.integers(min_value=1, max_value=new))
        proof = BIG_TREE.consistency_proof(old, new)
        assert proof == reference.proof(old, ENTRIES[:new])
        verify_consistency(old, new, BIG_TREE.root(old), BIG_TREE.root(new), proof)


class TestVerifyInclusion:
    def test_every_tampering_of_small_trees_is_rejected(self) -> None:
        checked = 0
        for size in range(1, 65):
            root = BIG_TREE.root(size)
            for index in range(size):
                proof = BIG_TREE.inclusion_proof(index, size)
                for description, *arguments in inclusion_tampering(index, size, proof, root):
                    with pytest.raises(ProofError) as caught:
                        verify_inclusion(*arguments)
                    assert caught.value.code == PROOF_INVALID, description
                    checked += 1
        assert checked > 10_000

    @settings(max_examples=100, deadline=None)
    @given(data=st.data(), size=st.integers(min_value=1, max_value=BIG_SIZE))
    def test_tampering_of_random_trees_is_rejected(self, data: st.DataObject, size: int) -> None:
        index = data.draw(st.integers(min_value=0, max_value=size - 1))
        proof = BIG_TREE.inclusion_proof(index, size)
        for description, *arguments in inclusion_tampering(index, size, proof, BIG_TREE.root(size)):
            with pytest.raises(ProofError) as caught:
                verify_inclusion(*arguments)
            assert caught.value.code == PROOF_INVALID, description

    def test_single_leaf_tree_needs_an_empty_proof(self) -> None:
        leaf = leaf_hash(b"only")
        verify_inclusion(leaf, 0, 1, [], leaf)
        with pytest.raises(ProofError, match="must hold 0 hashes"):
            verify_inclusion(leaf, 0, 1, [leaf], leaf)

    def test_short_leaf_or_root_is_rejected(self) -> None:
        with pytest.raises(ProofError, match="leaf hash must be 32 bytes"):
            verify_inclusion(b"\x00" * 31, 0, 1, [], EMPTY_ROOT)
        with pytest.raises(ProofError, match="root hash must be 32 bytes"):
            verify_inclusion(EMPTY_ROOT, 0, 1, [], b"")

    def test_empty_tree_contains_nothing(self) -> None:
        with pytest.raises(ProofError, match="not in a tree of size 0") as caught:
            verify_inclusion(EMPTY_ROOT, 0, 0, [], EMPTY_ROOT)
        assert caught.value.code == PROOF_INVALID


class TestVerifyConsistency:
    def test_every_tampering_of_small_trees_is_rejected(self) -> None:
        checked = 0
        for new in range(2, 65):
            for old in range(1, new):
                proof = BIG_TREE.consistency_proof(old, new)
                for description, *arguments in consistency_tampering(old, new, proof):
                    with pytest.raises(ProofError) as caught:
                        verify_consistency(*arguments)
                    assert caught.value.code == PROOF_INVALID, description
                    checked += 1
        assert checked > 10_000

    @settings(max_examples=100, deadline=None)
    @given(data=st.data(), new=st.integers(min_value=2, max_value=BIG_SIZE))
    def test_tampering_of_random_trees_is_rejected(self, data: st.DataObject, new: int) -> None:
        old = data.draw(st.integers(min_value=1, max_value=new - 1))
        proof = BIG_TREE.consistency_proof(old, new)
        for description, *arguments in consistency_tampering(old, new, proof):
            with pytest.raises(ProofError) as caught:
                verify_consistency(*arguments)
            assert caught.value.code == PROOF_INVALID, description

    def test_equal_sizes_need_equal_roots_and_no_proof(self) -> None:
        root = BIG_TREE.root(5)
        verify_consistency(5, 5, root, root, [])
        with pytest.raises(ProofError, match="old root"):
            verify_consistency(5, 5, root, BIG_TREE.root(6), [])
        with pytest.raises(ProofError, match="must hold 0 hashes"):
            verify_consistency(5, 5, root, root, [root])

    def test_empty_old_tree_is_consistent_with_anything(self) -> None:
        verify_consistency(0, 9, EMPTY_ROOT, BIG_TREE.root(9), [])
        with pytest.raises(ProofError, match="old root"):
            verify_consistency(0, 9, BIG_TREE.root(1), BIG_TREE.root(9), [])
        with pytest.raises(ProofError, match="must hold 0 hashes"):
            verify_consistency(0, 9, EMPTY_ROOT, BIG_TREE.root(9), [EMPTY_ROOT])

    def test_shrinking_is_rejected(self) -> None:
        with pytest.raises(ProofError, match="smaller size") as caught:
            verify_consistency(9, 8, BIG_TREE.root(9), BIG_TREE.root(8), [])
        assert caught.value.code == PROOF_INVALID

    def test_short_roots_are_rejected(self) -> None:
        with pytest.raises(ProofError, match="old root hash must be 32 bytes"):
            verify_consistency(1, 2, b"x", BIG_TREE.root(2), [])
        with pytest.raises(ProofError, match="new root hash must be 32 bytes"):
            verify_consistency(1, 2, BIG_TREE.root(1), b"x", [])


class TestMemoryTree:
    def test_reader_returns_only_stored_nodes(self) -> None:
        tree = MemoryTree.from_leaves([b"a", b"b", b"c"])
        assert tree([(0, 0), (1, 0), (1, 1), (0, 2)]) == {
            (0, 0): leaf_hash(b"a"),
            (1, 0): node_hash(leaf_hash(b"a"), leaf_hash(b"b")),
            (0, 2): leaf_hash(b"c"),
        }

    def test_append_returns_the_index(self) -> None:
        tree = MemoryTree()
        assert [tree.append(leaf_hash(entry)) for entry in ENTRIES[:3]] == [0, 1, 2]
        assert tree.size == 3
        assert tree.root() == reference.mth(ENTRIES[:3])
