"""The signed federation directory (DESIGN.md §2): who belongs to a federation and which keys they use.

The province node, trust root of its federation, signs the directory in the spirit of X-Road's global
configuration. `sig` is a detached JWS over the RFC 8785 bytes of the document without `sig`, with
typ DIRECTORY_TYP, shaped like an envelope's `sig` ({"alg", "kid", "jws"}). A directory is trusted
only through the root key pinned on the verifying node: a key listed inside the document never
vouches for the document itself. The shape is checked by `signing.directory_shape`.

Revocation is absolute: a revoked key verifies nothing, whatever instant is asked about, because
once a key may be in other hands the times it signs are as forgeable as the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson

from schemas.regions import is_region_code, region_parents
from signing.canonical import canonicalize
from signing.directory_shape import (
    DIRECTORY_TYP,
    DIRECTORY_VERSION,
    Department,
    DirectoryError,
    NodeEntry,
    RevokedKey,
    parse_document,
    rfc3339,
)
from signing.errors import SignatureError, UnknownKeyError
from signing.jws import sign_detached, verify_detached
from signing.keys import Keyring, PublicKey, SigningKey, TrustedKey

__all__ = [
    "DIRECTORY_TYP", "DIRECTORY_VERSION", "ISSUED_AT_LEEWAY", "MAX_DIRECTORY_BYTES",
    "ConflictingDirectoryError", "Department", "Directory", "DirectoryError", "DirectoryExpiredError",
    "DirectoryNotYetValidError", "DirectorySignatureError", "ForeignDirectoryError", "NodeEntry",
    "RevokedKey", "StaleDirectoryError", "UnknownNodeError", "UntrustedDirectoryError", "check_document",
    "parse_directory", "rfc3339", "sign_directory", "take_up", "verify_directory",
]

# Clocks of government hosts drift; a directory a few minutes "from the future" is still the root's.
ISSUED_AT_LEEWAY = timedelta(minutes=5)
MAX_DIRECTORY_BYTES = 16 * 1024 * 1024
_SIG_MEMBERS = frozenset({"alg", "kid", "jws"})
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


class DirectoryExpiredError(DirectoryError):
    code = "directory.expired"


class DirectoryNotYetValidError(DirectoryError):
    code = "directory.not_yet_valid"


class UntrustedDirectoryError(DirectoryError):
    """Signed by some key, but not by the root key this node pinned."""

    code = "directory.untrusted_signer"


class DirectorySignatureError(DirectoryError):
    code = "directory.bad_signature"


class UnknownNodeError(DirectoryError):
    code = "directory.unknown_node"
    status = 404


class StaleDirectoryError(DirectoryError):
    code = "directory.stale"
    status = 409


class ConflictingDirectoryError(DirectoryError):
    """Two different documents carry the same serial: the root signed both, which it must never do."""

    code = "directory.conflicting_serial"
    status = 409


class ForeignDirectoryError(DirectoryError):
    code = "directory.other_federation"
    status = 409


@dataclass(frozen=True, eq=False)
class Directory:
    """A verified directory. Made only by `verify_directory`; `document` is what was verified."""

    document: dict[str, Any]
    federation: str
    root: str
    serial: int
    issued_at: datetime
    expires_at: datetime
    nodes: Mapping[str, NodeEntry]
    revoked: Mapping[str, RevokedKey]
    departments: tuple[Department, ...]

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def node(self, node_id: str) -> NodeEntry:
        entry = self.nodes.get(node_id)
        if entry is None:
            raise UnknownNodeError(f"node {node_id!r} is not in the {self.federation} directory")
        return entry

    def keyring(self, at: datetime) -> Keyring:
        """Every node's keys valid at `at`, revoked ones excluded (and named as revoked on lookup)."""
        return self._keyring(self.nodes.values(), at)

    def node_keyring(self, node_id: str, at: datetime) -> Keyring:
        """The keys of one node valid at `at`: what an envelope or token from that node must verify with."""
        return self._keyring([self.node(node_id)], at)

    def key_owner(self, kid: str) -> str:
        """The node that lists `kid`, revoked or not; UnknownKeyError if no node does."""
        return self._find(kid)[0]

    def key_entry(self, kid: str) -> TrustedKey:
        """The listed key `kid` with its validity window, revoked or not; UnknownKeyError if unlisted."""
        return self._find(kid)[1]

    def is_revoked(self, kid: str) -> bool:
        return kid in self.revoked

    def departments_for(self, jurisdiction: str, industry: str | None = None) -> list[Department]:
        """Departments of exactly `jurisdiction` (and `industry`, when given), in directory order."""
        return [dep for dep in self.departments
                if dep.jurisdiction == jurisdiction and (industry is None or dep.industry == industry)]

    def parent_chain(self, node_id: str) -> list[str]:
        """Ancestors of `node_id`, nearest first, ending at the root; [] for the root itself."""
        chain: list[str] = []
        parent = self.node(node_id).parent
        while parent is not None:
            chain.append(parent)
            parent = self.nodes[parent].parent
        return chain

    def children(self, node_id: str) -> list[str]:
        self.node(node_id)
        return [entry.id for entry in self.nodes.values() if entry.parent == node_id]

    def node_for_jurisdiction(self, jurisdiction: str) -> str:
        """The node of `jurisdiction`, else of its nearest ancestor region that has one."""
        if not is_region_code(jurisdiction):
            raise UnknownNodeError(f"{jurisdiction!r} is not a GB/T 2260 code")
        for code in (jurisdiction, *region_parents(jurisdiction)):
            if code in self.nodes:
                return code
        raise UnknownNodeError(f"no node of the {self.federation} directory covers {jurisdiction}")

    def is_newer_than(self, other: Directory) -> bool:
        if other.federation != self.federation:
            raise DirectoryError(f"directories of different federations ({self.federation!r}, "
                                 f"{other.federation!r}) have no order")
        return self.serial > other.serial

    def _find(self, kid: str) -> tuple[str, TrustedKey]:
        for entry in self.nodes.values():
            for trusted in entry.keys:
                if trusted.key.kid == kid:
                    return entry.id, trusted
        raise UnknownKeyError(f"key {kid} is not in the {self.federation} directory")

    def _keyring(self, entries: Iterable[NodeEntry], at: datetime) -> Keyring:
        if not isinstance(at, datetime) or at.utcoffset() is None:
            raise SignatureError("the instant is a timezone-aware datetime")
        valid = [trusted for entry in entries for trusted in entry.keys
                 if trusted.key.kid not in self.revoked and _in_window(trusted, at)]
        return Keyring(valid, revoked=self.revoked.keys())


def check_document(document: Mapping[str, Any]) -> None:
    """Raise DirectoryError unless `document` (without `sig`) is a well-formed version-1 directory."""
    if not isinstance(document, Mapping):
        raise DirectoryError("a directory is a JSON object")
    parse_document(document)


def sign_directory(document: Mapping[str, Any], root_key: SigningKey) -> dict[str, Any]:
    """The document with its `sig`, after checking its shape; the input is left untouched."""
    if not isinstance(document, Mapping):
        raise DirectoryError("a directory is a JSON object")
    if "sig" in document:
        raise DirectoryError("the directory is already signed; remove sig to sign it again")
    body = dict(document)
    parse_document(body)
    signed = canonicalize(body)
    jws = sign_detached(signed, root_key, typ=DIRECTORY_TYP)
    result: dict[str, Any] = orjson.loads(signed)
    result["sig"] = {"alg": root_key.alg, "kid": root_key.kid, "jws": jws}
    return result


def verify_directory(document: Mapping[str, Any], root_public: PublicKey, *, now: datetime) -> Directory:
    """The directory, once signed by the pinned root key, well formed, issued and not expired at `now`."""
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise SignatureError("now is a timezone-aware datetime")
    if not isinstance(document, Mapping):
        raise DirectoryError("a directory is a JSON object")
    sig = document.get("sig")
    if not (isinstance(sig, dict) and sig.keys() == _SIG_MEMBERS
            and all(isinstance(value, str) for value in sig.values())):
        raise DirectorySignatureError("sig must be an object of exactly the strings alg, kid, jws")
    try:
        signed = canonicalize({name: value for name, value in document.items() if name != "sig"})
    except SignatureError as exc:
        raise DirectoryError(f"the directory has no canonical form: {exc.message}") from exc
    if sig["kid"] != root_public.kid:
        raise UntrustedDirectoryError(f"the directory is signed by key {sig['kid']}, "
                                      f"not by the pinned root key {root_public.kid}")
    try:
        header = verify_detached(sig["jws"], signed, Keyring([root_public]), typ=DIRECTORY_TYP)
    except UnknownKeyError as exc:
        raise UntrustedDirectoryError(f"the directory signature names another key: {exc.message}") from exc
    except SignatureError as exc:
        raise DirectorySignatureError(f"the directory signature does not verify: {exc.message}") from exc
    if header["alg"] != sig["alg"] or header["kid"] != sig["kid"]:
        raise DirectorySignatureError("sig.alg and sig.kid disagree with the signed header")
    verified: dict[str, Any] = orjson.loads(signed)
    parsed = parse_document(verified)
    if parsed.issued_at > now + ISSUED_AT_LEEWAY:
        raise DirectoryNotYetValidError(f"the directory is issued at {rfc3339(parsed.issued_at)}, "
                                        f"after now ({rfc3339(now)})")
    if now >= parsed.expires_at:
        raise DirectoryExpiredError(f"directory serial {parsed.serial} expired at "
                                    f"{rfc3339(parsed.expires_at)}")
    verified["sig"] = dict(sig)
    return Directory(document=verified, federation=parsed.federation, root=parsed.root, serial=parsed.serial,
                     issued_at=parsed.issued_at, expires_at=parsed.expires_at, nodes=parsed.nodes,
                     revoked=parsed.revoked, departments=parsed.departments)


def parse_directory(data: bytes, root: PublicKey, *, now: datetime) -> Directory:
    """`verify_directory` of a directory as received (JSON bytes, bounded in size)."""
    if len(data) > MAX_DIRECTORY_BYTES:
        raise DirectoryError(f"a directory of {len(data)} bytes exceeds {MAX_DIRECTORY_BYTES}")
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DirectoryError(f"the directory is not JSON: {exc}") from exc
    return verify_directory(document, root, now=now)


def take_up(data: bytes, held: bytes | None, root: PublicKey, *, now: datetime
            ) -> tuple[Directory, Literal["accepted", "unchanged"]]:
    """Whether received `data` may replace the `held` bytes: "accepted" (store it) or "unchanged".

    Raises DirectoryError for a candidate that is not valid at `now` or that would step back: another
    federation, an older serial, or the held serial with other content. The held serial counts even
    once that directory has expired, so expiry never opens the way back to an older one.
    """
    candidate = parse_directory(data, root, now=now)
    try:
        previous = orjson.loads(held) if held is not None else None
    except orjson.JSONDecodeError:
        previous = None  # a damaged local file protects nothing; the verified candidate replaces it
    if not isinstance(previous, dict) or type(previous.get("serial")) is not int:
        return candidate, "accepted"
    if previous.get("federation") != candidate.federation:
        raise ForeignDirectoryError(f"the directory is for federation {candidate.federation!r}; "
                                    f"this node belongs to {previous.get('federation')!r}")
    if candidate.serial < previous["serial"]:
        raise StaleDirectoryError(f"serial {candidate.serial} is older than the held serial "
                                  f"{previous['serial']}")
    if candidate.serial > previous["serial"]:
        return candidate, "accepted"
    if canonicalize(candidate.document) != canonicalize(previous):
        raise ConflictingDirectoryError(f"serial {candidate.serial} is already held with different content")
    return candidate, "unchanged"


def _in_window(trusted: TrustedKey, at: datetime) -> bool:
    # directory_shape gives every listed key both bounds.
    return (trusted.not_before or at) <= at < (trusted.not_after or _END_OF_TIME)
