"""Export file: a header line (node, keys, checkpoint), then the feed lines, for offline verification."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from config.settings import Settings
from gateway.cli.setup import open_session, prepare_node
from gateway.services.log_writer import ensure_checkpoint
from gateway.services.witness import with_cosignatures
from gateway.store.repositories.log import LogRepository
from schemas.errors import NotFoundError
from signing.evidence import build_bundle
from signing.merkle import inclusion_proof

EXPORT_FORMAT = "ggzy-export/1"
PAGE = 10_000


def export_local(settings: Settings, out: Path) -> int:
    node = prepare_node(settings)
    count = 0
    with open_session(settings) as db, out.open("wb") as fh:
        note = ensure_checkpoint(db, node=node, now=datetime.now(UTC))
        header = {
            "format": EXPORT_FORMAT,
            "node": {"id": node.node_id, "origin": node.origin},
            "keys": {"keys": [node.key.public.to_jwk()]},
            "checkpoint": note,
        }
        fh.write(orjson.dumps(header) + b"\n")
        log, start = LogRepository(db), 0
        while rows := log.list_leaves(start=start, limit=PAGE):
            fh.write(b"".join(b'{"index":%d,"envelope":%b}\n' % (i, leaf) for i, leaf in rows))
            count += len(rows)
            start = rows[-1][0] + 1
    return count


def export_evidence(settings: Settings, record_ids: list[str], out: Path) -> int:
    """An evidence bundle of the given records, proven against the latest checkpoint."""
    node = prepare_node(settings)
    with open_session(settings) as db:
        ensure_checkpoint(db, node=node, now=datetime.now(UTC))
        log = LogRepository(db)
        latest = log.latest_checkpoint()
        if latest is None:  # ensure_checkpoint just wrote one
            raise NotFoundError("the log has no checkpoint")
        records = []
        for record_id in record_ids:
            stored = log.get_by_envelope_id(record_id)
            if stored is None or stored.idx >= latest.size:
                raise NotFoundError(f"record {record_id} is not in the log covered by the latest checkpoint")
            records.append(
                (stored.idx, stored.leaf, inclusion_proof(stored.idx, latest.size, log.read_nodes))
            )
        directory_file = settings.data_dir / "federation" / "directory.json"
        bundle = build_bundle(
            node={"id": node.node_id, "origin": node.origin},
            keys={"keys": [node.key.public.to_jwk()]},
            checkpoint=with_cosignatures(db, latest.note, latest.size),
            records=records,
            directory=orjson.loads(directory_file.read_bytes()) if directory_file.exists() else None,
        )
    out.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    return len(records)
