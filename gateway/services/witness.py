"""Witnessing: trusted witnesses cosign this node's checkpoints; the node serves their cosignatures.

A witness keeps the last checkpoint it cosigned and cosigns a newer one only after a consistency
proof, so a node that shows different histories to different readers (a split view) is caught by
whichever witness saw the other one. The trusted witnesses are a file in the data directory.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.witness import CosignatureRepository
from schemas.errors import GatewayError, NotFoundError
from signing.errors import SignatureError
from signing.keys import PublicKey
from signing.note import NoteVerifier, add_signature, cosignature_timestamp, open_note


class CosignatureRefusedError(GatewayError):
    code = "witness.cosignature_refused"
    status = 422


def witnesses_file(settings: Settings) -> Path:
    return settings.data_dir / "witnesses.json"


def load_witnesses(settings: Settings) -> list[NoteVerifier]:
    path = witnesses_file(settings)
    if not path.exists():
        return []
    entries = orjson.loads(path.read_bytes()).get("witnesses", [])
    return [NoteVerifier(e["name"], PublicKey.from_jwk(e["jwk"]), "cosignature") for e in entries]


def trust_witness(settings: Settings, *, name: str, jwk: dict[str, str]) -> None:
    NoteVerifier(name, PublicKey.from_jwk(jwk), "cosignature")  # refuses a bad name or key now
    path = witnesses_file(settings)
    current = orjson.loads(path.read_bytes()).get("witnesses", []) if path.exists() else []
    current = [e for e in current if e["name"] != name] + [{"name": name, "jwk": jwk}]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({"witnesses": current}, option=orjson.OPT_INDENT_2))


def accept_cosignature(
    db: Session, *, witnesses: list[NoteVerifier], size: int, line: str, now: datetime
) -> str:
    """Verify a witness's cosignature line over the checkpoint of `size` and keep it; returns the witness."""
    checkpoint = LogRepository(db).checkpoint_at(size)
    if checkpoint is None:
        raise NotFoundError(f"no checkpoint of size {size}")
    body = checkpoint.note.split("\n\n", 1)[0] + "\n"
    line = line.strip("\n")
    try:
        opened = open_note(f"{body}\n{line}\n", witnesses)
    except SignatureError as exc:
        raise CosignatureRefusedError(f"cosignature refused: {exc.message}") from exc
    if not opened.cosignatures:
        raise CosignatureRefusedError("the line is not a cosignature of a trusted witness")
    (name,) = opened.cosignatures
    CosignatureRepository(db).put(
        size=size, witness=name, line=line, timestamp=cosignature_timestamp(line), received_at=now
    )
    return name


def with_cosignatures(db: Session, note: str, size: int) -> str:
    for line in CosignatureRepository(db).lines_for(size):
        note = add_signature(note, line)
    return note
