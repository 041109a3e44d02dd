"""The node log in the database: dense indexes, proofs equal to an in-memory tree, crash safety."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.store.engine import make_engine, make_session_factory
from gateway.store.repositories.log import LogRepository, NewLeaf
from signing.merkle import MemoryTree, leaf_hash, root_at, verify_consistency, verify_inclusion

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def make_leaf(n: int) -> NewLeaf:
    body = f'{{"id":"e{n}","n":{n}}}'.encode()
    return NewLeaf(
        f"e{n:06d}",
        f"k{n}",
        "tender.award",
        "530621",
        "530600",
        "2026-11-22T10:00:00+08:00",
        hashlib.sha256(body).digest(),
        leaf_hash(body),
        body,
    )


def append(db: Session, start: int, count: int) -> list[int]:
    log = LogRepository(db)
    frontier = log.lock_state()
    return log.append(frontier, [make_leaf(n) for n in range(start, start + count)], received_at=NOW)


class TestLogRepository:
    def test_indexes_are_dense_across_batches(self, db: Session) -> None:
        assert append(db, 0, 5) == [0, 1, 2, 3, 4]
        db.commit()
        assert append(db, 5, 3) == [5, 6, 7]
        db.commit()
        assert LogRepository(db).size() == 8

    def test_roots_and_proofs_equal_an_in_memory_tree(self, db: Session) -> None:
        sizes = [1, 2, 3, 5, 8, 13]
        tree = MemoryTree()
        written = 0
        for size in sizes:
            append(db, written, size - written)
            for n in range(written, size):
                tree.append(make_leaf(n).leaf_hash)
            written = size
        db.commit()
        log = LogRepository(db)
        for size in sizes:
            root = root_at(size, log.read_nodes)
            assert root == tree.root(size)
            for index in range(size):
                proof = tree.inclusion_proof(index, size)
                verify_inclusion(make_leaf(index).leaf_hash, index, size, proof, root)
            for old in range(1, size + 1):
                verify_consistency(old, size, tree.root(old), root, tree.consistency_proof(old, size))

    def test_rollback_leaves_no_gap(self, db: Session) -> None:
        append(db, 0, 3)
        db.commit()
        append(db, 3, 4)
        db.rollback()
        assert append(db, 3, 2) == [3, 4]
        db.commit()
        assert LogRepository(db).size() == 5

    def test_duplicate_envelope_id_is_refused_by_the_database(self, db: Session) -> None:
        append(db, 0, 2)
        db.commit()
        log = LogRepository(db)
        frontier = log.lock_state()
        with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
            log.append(frontier, [make_leaf(1)], received_at=NOW)
        db.rollback()
        assert log.size() == 2


def _append_then_die(url: str) -> None:
    engine = make_engine(url)
    db = make_session_factory(engine)()
    append(db, 3, 10)
    db.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class TestCrashBetweenAppendAndCommit:
    def test_killed_writer_leaves_no_gap_and_no_duplicate(self, db_url: str) -> None:
        engine = make_engine(db_url)
        with make_session_factory(engine)() as db:
            append(db, 0, 3)
            db.commit()
        proc = multiprocessing.get_context("spawn").Process(target=_append_then_die, args=(db_url,))
        proc.start()
        proc.join(60)
        assert proc.exitcode == -signal.SIGKILL
        with make_session_factory(engine)() as db:
            assert LogRepository(db).size() == 3
            assert append(db, 3, 2) == [3, 4]
            db.commit()
            log = LogRepository(db)
            assert [i for i, _ in log.list_leaves(start=0, limit=100)] == [0, 1, 2, 3, 4]
            tree = MemoryTree(make_leaf(n).leaf_hash for n in range(5))
            assert root_at(5, log.read_nodes) == tree.root()
        engine.dispose()
