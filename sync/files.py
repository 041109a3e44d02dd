"""Store-and-forward over files, for sites behind one-way gateways (网闸), where no HTTP call gets through.

A batch file carries what push would send to one destination: a signed header line, then the
envelopes one per line, each exactly the stored leaf (canonical JSON never holds a raw newline).
The header names sender, receiver, creation time and, per stream, the first sequence number, the
count and the SHA-256 of that stream's lines; it is signed by the sender's node key (a detached
JWS over its canonical bytes, like an envelope). The receiver checks the header against its
directory, feeds each stream to its inbox, and answers with a receipts file of the same shape:
the receipts one per line, or for a stream it could not take, the error (a gap names the sequence
number expected). The sender imports the receipts through the same judging as an HTTP answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from sqlalchemy.orm import Session

from gateway.store.models.exchange import PENDING
from gateway.store.repositories.exchange import ExchangeRepository, OutgoingDelivery
from schemas.errors import GatewayError
from signing.canonical import canonicalize
from signing.directory import Directory, UnknownNodeError
from signing.errors import SignatureError
from signing.jws import sign_detached, verify_detached
from signing.keys import SigningKey
from sync.answer import GAP_CODE
from sync.delivery import AlertSink, DeliveryReport, RetryPolicy, record_answer
from sync.transport import MAX_BATCH, Answer

FILE_TYP = "ggzy-exchange-file+jcs"
BATCH_KIND = "ggzy-exchange-batch"
RECEIPTS_KIND = "ggzy-exchange-receipts"
CHINA_TZ = timezone(timedelta(hours=8))


class ExchangeFileError(GatewayError):
    code = "exchange.bad_file"
    status = 422


@dataclass(frozen=True)
class Part:
    """One stream's run in a file: envelopes (batch file) or receipts (receipts file), or an error."""

    stream: str
    first_seq: int
    lines: list[bytes]
    next_seq: int | None = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class ExchangeFile:
    kind: str
    sender: str  # who wrote the file
    receiver: str
    created_at: str
    parts: list[Part]


def export_pending(db: Session, *, node_id: str, key: SigningKey, target: str, now: datetime,
                   limit: int = 10 * MAX_BATCH) -> tuple[bytes, int]:
    """A batch file of the deliveries PENDING for `target`, each stream from its head; (file, count)."""
    repo = ExchangeRepository(db)
    runs: dict[int, list[OutgoingDelivery]] = {}
    for row in repo.list_pending_for_target(target, limit=limit):
        run = runs.setdefault(row.outbox_id, [])
        if row.leaf is not None and (not run or row.seq == run[-1].seq + 1) and len(run) < MAX_BATCH:
            run.append(row)
    chosen = [run for run in runs.values() if run]
    exported = [row for run in chosen for row in run]
    repo.add_attempts([{"delivery_id": row.id, "number": row.attempts + 1, "started_at": now,
                        "finished_at": now, "outcome": "exported", "http_status": None, "error": None}
                       for row in exported])
    repo.apply([{"id": row.id, "attempts": row.attempts + 1} for row in exported])
    parts = [Part(run[0].stream, run[0].seq, [row.leaf or b"" for row in run]) for run in chosen]
    data = write_file(BATCH_KIND, sender=node_id, receiver=target, key=key, now=now, parts=parts)
    return data, sum(len(part.lines) for part in parts)


def write_file(kind: str, *, sender: str, receiver: str, key: SigningKey, now: datetime,
               parts: Sequence[Part]) -> bytes:
    described = []
    for part in parts:
        entry: dict[str, Any] = {"stream": part.stream, "first_seq": part.first_seq, "count": len(part.lines),
                                 "digest": _digest(part.lines)}
        if part.next_seq is not None:
            entry["next_seq"] = part.next_seq
        if part.error is not None:
            entry["error"] = part.error
        described.append(entry)
    header = {"v": 1, "kind": kind, "from": sender, "to": receiver,
              "created_at": now.astimezone(CHINA_TZ).isoformat(timespec="seconds"), "parts": described}
    signed = canonicalize(header)
    sig = {"alg": key.alg, "kid": key.kid, "jws": sign_detached(signed, key, typ=FILE_TYP)}
    body = b"".join(line + b"\n" for part in parts for line in part.lines)
    return canonicalize({**header, "sig": sig}) + b"\n" + body


def read_file(data: bytes, *, kind: str, directory: Directory, self_id: str, now: datetime) -> ExchangeFile:
    """The file's parts, once its header verifies with its writer's keys and it is addressed to us."""
    head, _, rest = data.partition(b"\n")
    try:
        header = orjson.loads(head)
    except orjson.JSONDecodeError as exc:
        raise ExchangeFileError("the first line is not a JSON header") from exc
    if not isinstance(header, dict) or header.get("v") != 1 or header.get("kind") != kind:
        raise ExchangeFileError(f"not a version-1 {kind} file")
    sender, receiver, sig = header.get("from"), header.get("to"), header.get("sig")
    if receiver != self_id:
        raise ExchangeFileError(f"the file is for node {receiver!r}, not for {self_id}")
    try:
        keyring = directory.node_keyring(str(sender), now)
        signed = canonicalize({name: value for name, value in header.items() if name != "sig"})
        verify_detached(sig["jws"] if isinstance(sig, dict) else "", signed, keyring, typ=FILE_TYP)
    except (SignatureError, UnknownNodeError, KeyError) as exc:
        raise ExchangeFileError(f"the file's signature does not verify for node {sender!r}: {exc}") from exc
    lines = rest.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    parts, start = [], 0
    for entry in header.get("parts", []):
        count = entry.get("count")
        if type(count) is not int or not 0 <= count <= len(lines) - start:
            raise ExchangeFileError("a part counts more lines than the file holds")
        chunk = lines[start:start + count]
        start += count
        if _digest(chunk) != entry.get("digest"):
            raise ExchangeFileError(f"the lines of stream {entry.get('stream')!r} do not match their digest")
        parts.append(Part(str(entry.get("stream")), int(entry.get("first_seq", 0)), chunk,
                          entry.get("next_seq"), entry.get("error")))
    if start != len(lines):
        raise ExchangeFileError("the file holds lines no part describes")
    return ExchangeFile(kind, str(sender), str(receiver), str(header.get("created_at")), parts)


def import_receipts(db: Session, *, receipts: ExchangeFile, directory: Directory, node_id: str, now: datetime,
                    policy: RetryPolicy | None = None, alerts: AlertSink | None = None
                    ) -> list[DeliveryReport]:
    """Judge each part of a receipts file like the HTTP answer to the batch it answers."""
    repo = ExchangeRepository(db)
    reports = []
    for part in receipts.parts:
        count = len(part.lines) if part.error is None else 1
        held = repo.lock_by_seqs(receipts.sender, part.stream, range(part.first_seq, part.first_seq + count))
        rows = [held[seq] for seq in range(part.first_seq, part.first_seq + count) if seq in held]
        if part.error is not None:
            if part.error.get("code") != GAP_CODE:
                raise ExchangeFileError(f"the receiver could not take stream {part.stream!r}: {part.error}")
            answer = Answer(409, orjson.dumps(part.error))
            rows = [row for row in rows if row.status == PENDING]
        else:
            pending = [i for i, row in enumerate(rows) if row.status == PENDING]
            if len(rows) != len(part.lines):
                raise ExchangeFileError(f"receipts for seqs this node never sent to {receipts.sender}")
            rows = [rows[i] for i in pending]
            answer = Answer(200, b'{"receipts":[' + b",".join(part.lines[i] for i in pending) + b"]}")
        if rows:
            reports.append(record_answer(db, rows=rows, answer=answer, directory=directory, node_id=node_id,
                                         now=now, policy=policy, alerts=alerts))
    return reports


def _digest(lines: Sequence[bytes]) -> str:
    return "sha256:" + hashlib.sha256(b"".join(line + b"\n" for line in lines)).hexdigest()
