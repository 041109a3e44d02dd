"""Checkpoints as C2SP signed notes, with witness cosignatures.

Formats: https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint and
https://c2sp.org/tlog-cosignature. A note is a text ending in a newline, a blank line, then one or
more lines "— <key name> base64(4-byte key ID ‖ signature)". The key ID is
SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4].

Signature types used here:
- 0x01, Ed25519 over the note text (signed-note);
- 0x04, Ed25519 timestamped cosignature (tlog-cosignature), signed message
  "cosignature/v1\\ntime <POSIX seconds, decimal, no leading zeroes>\\n" followed by the whole note
  text, signature bytes = u64 big-endian timestamp ‖ 64-byte Ed25519 signature;
- SM2 with SM3 has no assigned byte. signed-note reserves 0xff for such types and recommends
  following it with a longer identifier, so the type is 0xff ‖ "ggzy-gateway/sm2-note/v1" for note
  signatures and 0xff ‖ "ggzy-gateway/sm2-cosignature/v1" for cosignatures, which use the
  cosignature/v1 message and timestamp layout with the SM2 signature in place of Ed25519's.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from signing.errors import SignatureError
from signing.keys import PublicKey, SigningKey

NoteKind = Literal["signature", "cosignature"]

_SIGNATURE_TYPES: dict[tuple[str, str], bytes] = {
    ("EdDSA", "signature"): b"\x01",
    ("EdDSA", "cosignature"): b"\x04",
    ("SM2", "signature"): b"\xffggzy-gateway/sm2-note/v1",
    ("SM2", "cosignature"): b"\xffggzy-gateway/sm2-cosignature/v1",
}
_DASH = "— "
_MAX_SIGNATURES = 100
_MAX_TIMESTAMP = 2**63 - 1
_MAX_TREE_SIZE = 2**64 - 1
_HASH_SIZE = 32
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        return checkpoint_body(self.origin, self.size, self.root, self.extensions)


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted key: its note name, public key, and whether it signs notes or cosigns checkpoints."""

    name: str
    public_key: PublicKey
    kind: NoteKind = "signature"

    def __post_init__(self) -> None:
        _check_name(self.name)
        _signature_type(self.public_key.alg, self.kind)

    @property
    def key_id(self) -> bytes:
        return note_key_id(self.name, self.public_key, self.kind)

    @property
    def vkey(self) -> str:
        """The verifier key text "<name>+<key ID hex>+base64(type ‖ public key)", as sumdb/note prints it."""
        material = _signature_type(self.public_key.alg, self.kind) + self.public_key.raw
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(material).decode()}"


@dataclass(frozen=True)
class OpenedNote:
    """A note whose trusted signatures verified: names of note signers, cosigner name → timestamp."""

    body: str
    signers: tuple[str, ...]
    cosignatures: dict[str, int]


@dataclass(frozen=True)
class VerifiedNote(OpenedNote):
    checkpoint: Checkpoint


@dataclass(frozen=True)
class _SignatureLine:
    name: str
    key_id: bytes
    signature: bytes
    text: str


def note_key_id(name: str, public_key: PublicKey, kind: NoteKind = "signature") -> bytes:
    material = _signature_type(public_key.alg, kind) + public_key.raw
    return hashlib.sha256(name.encode() + b"\n" + material).digest()[:4]


def checkpoint_body(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    for line in (origin, *extensions):
        if not line or "\n" in line or _CONTROL.search(line):
            raise SignatureError(f"checkpoint lines must be non-empty single lines, got {line!r}")
    if not 0 <= size <= _MAX_TREE_SIZE:
        raise SignatureError(f"tree size out of range: {size}")
    if len(root) != _HASH_SIZE:
        raise SignatureError(f"root hash must be {_HASH_SIZE} bytes, got {len(root)}")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    return "\n".join(lines) + "\n"


def parse_checkpoint(body: str) -> Checkpoint:
    _check_text(body, "checkpoint")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise SignatureError("checkpoint needs an origin, a tree size and a root hash line")
    origin, size_text, root_text, *extensions = lines
    if not origin or any(not line for line in extensions):
        raise SignatureError("checkpoint origin and extension lines must not be empty")
    if not _TREE_SIZE.fullmatch(size_text) or int(size_text) > _MAX_TREE_SIZE:
        raise SignatureError(f"checkpoint tree size is not a canonical decimal: {size_text!r}")
    root = _decode_base64(root_text, "checkpoint root hash")
    if len(root) != _HASH_SIZE:
        raise SignatureError(f"checkpoint root hash must be {_HASH_SIZE} bytes, got {len(root)}")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def sign_note(body: str, name: str, key: SigningKey) -> str:
    """The signed note: `body`, a blank line, and one signature line by `key` under `name`."""
    _check_text(body, "note")
    return body + "\n" + _signature_line(name, key, "signature", key.sign(body.encode()))


def cosign(note_or_body: str, name: str, key: SigningKey, timestamp: int) -> str:
    """A cosignature line for a checkpoint. It checks no signature: verify the note before cosigning."""
    body = _checkpoint_text(note_or_body)
    if isinstance(timestamp, bool) or not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise SignatureError(f"cosignature timestamp out of range: {timestamp}")
    signature = key.sign(_cosigned_message(body, timestamp))
    return _signature_line(name, key, "cosignature", timestamp.to_bytes(8, "big") + signature)


def add_signature(note: str, line: str) -> str:
    """`note` with `line` added, replacing any line by the same key name and ID. Nothing is verified."""
    body, lines = _split_note(note)
    new = _parse_signature_line(line if line.endswith("\n") else line + "\n")
    kept = [old.text for old in lines if (old.name, old.key_id) != (new.name, new.key_id)]
    if len(kept) >= _MAX_SIGNATURES:
        raise SignatureError(f"a note holds at most {_MAX_SIGNATURES} signatures")
    return body + "\n" + "".join([*kept, new.text])


def cosignature_timestamp(line: str) -> int:
    """The timestamp a cosignature line claims, unverified: for a cosigner keeping its clock monotonic."""
    parsed = _parse_signature_line(line if line.endswith("\n") else line + "\n")
    return _timestamp(parsed.name, parsed.signature)


def open_note(note: str, verifiers: Sequence[NoteVerifier]) -> OpenedNote:
    """Verifies a signed note of any text; see `verify_note` for the rules."""
    body, lines = _split_note(note)
    known = _index(verifiers)
    signers: list[str] = []
    cosignatures: dict[str, int] = {}
    verified: dict[tuple[str, bytes], str] = {}
    for line in lines:
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            continue
        earlier = verified.get((line.name, line.key_id))
        if earlier == line.text:
            continue
        if earlier is not None:
            raise SignatureError(f"key {line.name} signed the note twice with different signatures")
        if verifier.kind == "signature":
            _verify(verifier, line.signature, body.encode())
            signers.append(line.name)
        else:
            cosignatures[line.name] = _verify_cosignature(verifier, line.signature, body)
        verified[(line.name, line.key_id)] = line.text
    if not verified:
        raise SignatureError("no signature on the note is from a trusted key")
    return OpenedNote(body, tuple(signers), cosignatures)


def verify_note(note: str, verifiers: Sequence[NoteVerifier]) -> VerifiedNote:
    """Verifies a signed checkpoint and parses it.

    As signed-note requires: lines from unknown keys (name and key ID not both known) are ignored, a
    line from a known key must verify, and at least one must. Which signers a checkpoint needs (the
    node, a quorum of witnesses) is the caller's policy, read from `signers` and `cosignatures`.
    """
    opened = open_note(note, verifiers)
    checkpoint = parse_checkpoint(opened.body)
    return VerifiedNote(opened.body, opened.signers, opened.cosignatures, checkpoint)


def _signature_type(alg: str, kind: str) -> bytes:
    try:
        return _SIGNATURE_TYPES[(alg, kind)]
    except KeyError:
        raise SignatureError(f"no note signature type for algorithm {alg!r} and kind {kind!r}") from None


def _check_name(name: str) -> None:
    if not name or "+" in name or any(char.isspace() for char in name) or _CONTROL.search(name):
        raise SignatureError(f"note key names must be non-empty, without spaces or '+': {name!r}")


def _check_text(text: str, what: str) -> None:
    if not text.endswith("\n"):
        raise SignatureError(f"{what} text must end with a newline")
    if _CONTROL.search(text):
        raise SignatureError(f"{what} text must not contain control characters other than newline")
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise SignatureError(f"{what} text is not valid UTF-8") from exc


def _checkpoint_text(note_or_body: str) -> str:
    """The checkpoint body of a bare body or of a signed note; a body never has a blank line, a note does."""
    body = note_or_body if "\n\n" not in note_or_body else _split_note(note_or_body)[0]
    parse_checkpoint(body)
    return body


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def _signature_line(name: str, key: SigningKey, kind: NoteKind, signature: bytes) -> str:
    _check_name(name)
    blob = note_key_id(name, key.public, kind) + signature
    return f"{_DASH}{name} {base64.b64encode(blob).decode()}\n"


def _split_note(note: str) -> tuple[str, list[_SignatureLine]]:
    _check_text(note, "note")
    # The text ends at the last blank line: signature lines are never empty.
    cut = note.rfind("\n\n")
    if cut < 0:
        raise SignatureError("note has no blank line before its signatures")
    body, signature_text = note[: cut + 1], note[cut + 2 :]
    if not signature_text:
        raise SignatureError("note has no signature lines")
    lines = [line + "\n" for line in signature_text[:-1].split("\n")]
    if len(lines) > _MAX_SIGNATURES:
        raise SignatureError(f"a note holds at most {_MAX_SIGNATURES} signatures")
    return body, [_parse_signature_line(line) for line in lines]


def _parse_signature_line(line: str) -> _SignatureLine:
    if not line.startswith(_DASH) or not line.endswith("\n") or "\n" in line[:-1] or _CONTROL.search(line):
        raise SignatureError(f"malformed note signature line: {line!r}")
    parts = line[len(_DASH) : -1].split(" ")
    if len(parts) != 2:
        raise SignatureError(f"malformed note signature line: {line!r}")
    name, encoded = parts
    _check_name(name)
    blob = _decode_base64(encoded, "note signature")
    if len(blob) < 5:
        raise SignatureError(f"note signature by {name} is too short")
    return _SignatureLine(name, blob[:4], blob[4:], line)


def _decode_base64(text: str, what: str) -> bytes:
    try:
        value = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise SignatureError(f"{what} is not valid base64") from exc
    # Only the canonical encoding is accepted, so a signature has exactly one spelling.
    if base64.b64encode(value).decode() != text:
        raise SignatureError(f"{what} is not canonical base64")
    return value


def _index(verifiers: Sequence[NoteVerifier]) -> dict[tuple[str, bytes], NoteVerifier]:
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for verifier in verifiers:
        slot = (verifier.name, verifier.key_id)
        if slot in known and _identity(known[slot]) != _identity(verifier):
            raise SignatureError(f"two different trusted keys share the name {verifier.name} and key ID")
        known[slot] = verifier
    return known


def _identity(verifier: NoteVerifier) -> tuple[str, str, bytes]:
    return verifier.kind, verifier.public_key.alg, verifier.public_key.raw


def _verify(verifier: NoteVerifier, signature: bytes, message: bytes) -> None:
    try:
        verifier.public_key.verify(signature, message)
    except SignatureError as exc:
        raise SignatureError(f"signature by trusted key {verifier.name} does not verify") from exc


def _timestamp(name: str, signature: bytes) -> int:
    if len(signature) <= 8:
        raise SignatureError(f"cosignature by {name} is too short")
    timestamp = int.from_bytes(signature[:8], "big")
    if timestamp > _MAX_TIMESTAMP:
        raise SignatureError(f"cosignature by {name} has an out-of-range timestamp")
    return timestamp


def _verify_cosignature(verifier: NoteVerifier, signature: bytes, body: str) -> int:
    timestamp = _timestamp(verifier.name, signature)
    _verify(verifier, signature[8:], _cosigned_message(body, timestamp))
    return timestamp
