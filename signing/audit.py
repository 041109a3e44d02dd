"""Offline audit of a node log: every signature, the order, the root, and earlier checkpoints.

Streams: one pass over the leaves with O(log n) memory (a Merkle frontier), so a full provincial
log can be checked on a laptop. The checkpoint is given up front, so the root at its size and at
every earlier checkpoint the auditor kept is taken on the way.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from signing.envelope import open_leaf
from signing.errors import SignatureError
from signing.keys import Keyring
from signing.merkle import Frontier, leaf_hash
from signing.note import NoteVerifier, verify_note

_LINE_HEAD = b'{"index":'
_ENVELOPE_KEY = b',"envelope":'
_MASKED_KEY = b',"masked":'


@dataclass(frozen=True)
class AuditFinding:
    kind: str  # format | sequence | signature | checkpoint | root | consistency
    message: str
    index: int | None = None
    envelope_id: str | None = None

    def __str__(self) -> str:
        where = f" at index {self.index}" if self.index is not None else ""
        rid = f" (record {self.envelope_id})" if self.envelope_id else ""
        return f"{self.kind}{where}{rid}: {self.message}"


@dataclass
class AuditReport:
    records: int = 0
    masked: int = 0
    checkpoint_size: int | None = None
    root: bytes = b""
    findings: list[AuditFinding] = field(default_factory=list)
    checked_sizes: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def kinds(self) -> list[str]:
        return sorted({f.kind for f in self.findings})


@dataclass(frozen=True)
class FeedLine:
    index: int
    envelope: bytes  # the exact leaf bytes, or the masked envelope when `masked` is set
    masked: dict[str, Any] | None = None  # {"pointers": [...], "leaf_hash": base64 of the original leaf hash}


def split_feed_line(line: bytes) -> FeedLine:
    """Parse `{"index":i,["masked":{…},]"envelope":<leaf>}` keeping the leaf's exact bytes."""
    line = line.rstrip(b"\r\n")
    if not line.startswith(_LINE_HEAD) or not line.endswith(b"}"):
        raise ValueError("not a feed line")
    cut = line.find(_ENVELOPE_KEY)
    if cut < 0:
        raise ValueError("feed line has no envelope")
    head, envelope = line[len(_LINE_HEAD) : cut], line[cut + len(_ENVELOPE_KEY) : -1]
    masked_at = head.find(_MASKED_KEY)
    if masked_at < 0:
        return FeedLine(int(head), envelope)
    masked = orjson.loads(head[masked_at + len(_MASKED_KEY) :])
    if not isinstance(masked, dict) or not isinstance(masked.get("leaf_hash"), str):
        raise ValueError("masked feed line without the original leaf hash")
    return FeedLine(int(head[:masked_at]), envelope, masked)


class LogAuditor:
    def __init__(
        self,
        keyring: Keyring,
        *,
        checkpoint_note: str,
        note_verifiers: Sequence[NoteVerifier],
        known_roots: Mapping[int, bytes] | None = None,
        max_findings: int = 100,
    ) -> None:
        self.keyring = keyring
        self.report = AuditReport()
        self.frontier = Frontier()
        self.max_findings = max_findings
        self.expected: dict[int, tuple[str, bytes]] = {
            size: ("consistency", root) for size, root in (known_roots or {}).items()
        }
        try:
            checkpoint = verify_note(checkpoint_note, note_verifiers).checkpoint
        except SignatureError as exc:
            self._find("checkpoint", f"checkpoint signature refused: {exc.message}")
            return
        self.report.checkpoint_size = checkpoint.size
        seen = self.expected.get(checkpoint.size)
        if seen is not None and seen[1] != checkpoint.root:
            self._find(
                "consistency",
                f"split view: this checkpoint's root for size {checkpoint.size} differs "
                "from the one seen before for the same size",
            )
        self.expected[checkpoint.size] = ("root", checkpoint.root)
        if 0 in self.expected:
            self._check_size()

    def add_lines(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            if not line.strip():
                continue
            try:
                parsed = split_feed_line(line)
            except (ValueError, orjson.JSONDecodeError) as exc:
                self._find("format", f"unreadable feed line: {exc}", self.frontier.size)
                continue
            if parsed.masked is None:
                self.add(parsed.index, parsed.envelope)
            else:
                self.add_masked(parsed.index, parsed.envelope, parsed.masked)

    def add(self, index: int, leaf: bytes) -> None:
        expected = self.frontier.size
        if index != expected:
            self._find(
                "sequence",
                f"expected index {expected}, got {index} (missing, reordered or duplicated)",
                index,
            )
        envelope_id = None
        try:
            envelope = open_leaf(leaf, self.keyring)
            envelope_id = str(envelope.get("id"))
        except SignatureError as exc:
            envelope_id = _peek_id(leaf)
            self._find("signature", exc.message, index, envelope_id)
        self.frontier.append(leaf_hash(leaf))
        self.report.records += 1
        self._check_size(envelope_id)

    def add_masked(self, index: int, envelope: bytes, masked: dict[str, Any]) -> None:
        """A record served with personal data masked: its original leaf hash keeps the tree whole;
        its signature covers the personal data, so it is checkable only with the unmasking scope."""
        if index != self.frontier.size:
            self._find(
                "sequence",
                f"expected index {self.frontier.size}, got {index} (missing, reordered or duplicated)",
                index,
            )
        try:
            original = base64.b64decode(masked["leaf_hash"], validate=True)
        except (ValueError, TypeError):
            original = b""
        if len(original) != 32:
            self._find("format", "masked line with a malformed leaf hash", index, _peek_id(envelope))
            original = bytes(32)
        self.frontier.append(original)
        self.report.records += 1
        self.report.masked += 1
        self._check_size(_peek_id(envelope))

    def finish(self) -> AuditReport:
        size = self.frontier.size
        for wanted, (kind, _) in sorted(self.expected.items()):
            if wanted > size:
                self._find(
                    kind,
                    f"log holds {size} leaves but a checkpoint of size {wanted} was seen: "
                    "records were deleted or withheld",
                )
        self.report.root = self.frontier.root()
        return self.report

    def _check_size(self, envelope_id: str | None = None) -> None:
        size = self.frontier.size
        if size not in self.expected:
            return
        kind, root = self.expected[size]
        self.report.checked_sizes.append(size)
        if self.frontier.root() != root:
            what = "signed checkpoint" if kind == "root" else "earlier checkpoint"
            self._find(
                kind,
                f"root of the first {size} leaves differs from the {what}: history was rewritten",
                size - 1 if size else None,
                envelope_id,
            )

    def _find(
        self, kind: str, message: str, index: int | None = None, envelope_id: str | None = None
    ) -> None:
        if len(self.report.findings) < self.max_findings:
            self.report.findings.append(AuditFinding(kind, message, index, envelope_id))


def _peek_id(leaf: bytes) -> str | None:
    try:
        value = orjson.loads(leaf)
    except orjson.JSONDecodeError:
        return None
    return str(value.get("id")) if isinstance(value, dict) and "id" in value else None
