"""Export file: a header line (node, keys, checkpoint), then the feed lines, for offline verification."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from config.settings import Settings
from gateway.cli.setup import open_session, prepare_node
from gateway.services.log_writer import ensure_checkpoint
from gateway.store.repositories.log import LogRepository

EXPORT_FORMAT = "ggzy-export/1"
PAGE = 10_000


def export_local(settings: Settings, out: Path) -> int:
    node = prepare_node(settings)
    count = 0
    with open_session(settings) as db, out.open("wb") as fh:
        note = ensure_checkpoint(db, node=node, now=datetime.now(UTC))
        header = {"format": EXPORT_FORMAT, "node": {"id": node.node_id, "origin": node.origin},
                  "keys": {"keys": [node.key.public.to_jwk()]}, "checkpoint": note}
        fh.write(orjson.dumps(header) + b"\n")
        log, start = LogRepository(db), 0
        while rows := log.list_leaves(start=start, limit=PAGE):
            fh.write(b"".join(b'{"index":%d,"envelope":%b}\n' % (i, leaf) for i, leaf in rows))
            count += len(rows)
            start = rows[-1][0] + 1
    return count
