"""Evidence bundles: chosen records with inclusion proofs and the checkpoint they are proven against.

A bundle is checked with no network and no node: each record's signature, its inclusion in the tree
of the signed checkpoint, and the checkpoint's own signature (cosignatures are checked by the caller
against the witnesses it trusts).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from signing.audit import AuditFinding, AuditReport
from signing.envelope import open_leaf
from signing.errors import SignatureError
from signing.keys import Keyring
from signing.merkle import leaf_hash, verify_inclusion
from signing.note import NoteVerifier, verify_note

EVIDENCE_FORMAT = "ggzy-evidence/1"


def build_bundle(
    *,
    node: Mapping[str, str],
    keys: Mapping[str, Any],
    checkpoint: str,
    records: Sequence[tuple[int, bytes, Sequence[bytes]]],
    directory: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """records: (log index, exact leaf bytes, inclusion proof at the checkpoint's size)."""
    bundle: dict[str, Any] = {
        "format": EVIDENCE_FORMAT,
        "node": dict(node),
        "keys": dict(keys),
        "checkpoint": checkpoint,
        "records": [
            {"index": index, "leaf": _b64(leaf), "inclusion": [_b64(h) for h in proof]}
            for index, leaf, proof in records
        ],
    }
    if directory is not None:
        bundle["directory"] = dict(directory)
    return bundle


def verify_bundle(
    bundle: Mapping[str, Any], keyring: Keyring, note_verifiers: Sequence[NoteVerifier]
) -> AuditReport:
    report = AuditReport()
    if bundle.get("format") != EVIDENCE_FORMAT:
        report.findings.append(AuditFinding("format", "not a ggzy evidence bundle"))
        return report
    try:
        checkpoint = verify_note(str(bundle.get("checkpoint", "")), note_verifiers).checkpoint
    except SignatureError as exc:
        report.findings.append(AuditFinding("checkpoint", f"checkpoint signature refused: {exc.message}"))
        return report
    report.checkpoint_size, report.root = checkpoint.size, checkpoint.root
    for entry in bundle.get("records", []):
        index = entry.get("index") if isinstance(entry, Mapping) else None
        try:
            leaf = base64.b64decode(entry["leaf"], validate=True)
            proof = [base64.b64decode(h, validate=True) for h in entry["inclusion"]]
        except (KeyError, TypeError, ValueError):
            report.findings.append(AuditFinding("format", "unreadable record entry", index))
            continue
        record_id = None
        try:
            record_id = str(open_leaf(leaf, keyring).get("id"))
        except SignatureError as exc:
            report.findings.append(AuditFinding("signature", exc.message, index))
        try:
            if not isinstance(index, int):
                raise SignatureError("record entry without an integer index")
            verify_inclusion(leaf_hash(leaf), index, checkpoint.size, proof, checkpoint.root)
        except SignatureError as exc:
            report.findings.append(AuditFinding("inclusion", exc.message, index, record_id))
        report.records += 1
    return report


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
