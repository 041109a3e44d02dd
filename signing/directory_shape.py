"""The shape of a version-1 federation directory, checked member by member with JSON pointers.

Every member is required and nothing else may appear, so a directory has one reading. Node ids,
parents and jurisdictions are GB/T 2260 codes; times are RFC 3339 with an offset; a key id is listed
once in the whole directory (it belongs to one node); parents form a tree whose only root is `root`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from schemas.regions import is_region_code
from signing.errors import SignatureError
from signing.keys import PublicKey, TrustedKey

DIRECTORY_TYP = "ggzy-directory+jcs"
DIRECTORY_VERSION = 1

_TOP = ("v", "federation", "root", "serial", "issued_at", "expires_at", "nodes", "revoked_keys",
        "departments")
_NODE = ("id", "parent", "name", "endpoint", "keys")
_KEY = ("jwk", "not_before", "not_after")
_REVOKED = ("kid", "revoked_at", "reason")
_DEPARTMENT = ("id", "name", "jurisdiction", "industry", "node")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_MAX_SERIAL = 2**53 - 1
# Stands for a time that failed to parse, so the checks after it can go on and report more at once.
_INVALID_TIME = datetime.min.replace(tzinfo=UTC)


_Item = TypeVar("_Item")


class DirectoryError(SignatureError):
    """A federation directory that is malformed, or cannot be trusted."""

    code = "directory.invalid"


@dataclass(frozen=True)
class NodeEntry:
    id: str
    parent: str | None
    name: str
    endpoint: str
    keys: tuple[TrustedKey, ...]


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    jurisdiction: str
    industry: str
    node: str


@dataclass(frozen=True)
class RevokedKey:
    kid: str
    revoked_at: datetime
    reason: str


@dataclass(frozen=True)
class ParsedDocument:
    federation: str
    root: str
    serial: int
    issued_at: datetime
    expires_at: datetime
    nodes: Mapping[str, NodeEntry]
    revoked: Mapping[str, RevokedKey]
    departments: tuple[Department, ...]


def rfc3339(instant: datetime) -> str:
    if instant.utcoffset() is None:
        raise SignatureError("directory times are timezone-aware")
    return instant.isoformat(timespec="seconds")


def parse_document(body: Mapping[str, Any]) -> ParsedDocument:
    """The typed content of a directory without `sig`; DirectoryError naming every problem found."""
    reader = _Reader()
    if not reader.members(body, _TOP, ""):
        reader.finish()
    if type(body["v"]) is not int or body["v"] != DIRECTORY_VERSION:
        reader.problem("/v", f"unsupported directory version {body['v']!r}")
    federation = reader.text(body["federation"], "/federation")
    root = reader.region(body["root"], "/root")
    serial = body["serial"]
    if type(serial) is not int or not 0 <= serial <= _MAX_SERIAL:
        reader.problem("/serial", "serial is a non-negative integer")
    issued_at = reader.time(body["issued_at"], "/issued_at")
    expires_at = reader.time(body["expires_at"], "/expires_at")
    if _INVALID_TIME not in (issued_at, expires_at) and expires_at <= issued_at:
        reader.problem("/expires_at", "expires_at is after issued_at")
    nodes = {entry.id: entry for entry in reader.each(body["nodes"], "/nodes", reader.node)}
    revoked = {item.kid: item for item in reader.each(body["revoked_keys"], "/revoked_keys", reader.revoked)}
    departments = tuple(reader.each(body["departments"], "/departments", reader.department))
    reader.finish()
    _check_tree(reader, nodes, root)
    for index, dep in enumerate(departments):
        if dep.node not in nodes:
            reader.problem(f"/departments/{index}/node", f"node {dep.node} is not in the directory")
    reader.finish()
    return ParsedDocument(federation, root, serial, issued_at, expires_at, MappingProxyType(nodes),
                          MappingProxyType(revoked), departments)


def _check_tree(reader: _Reader, nodes: Mapping[str, NodeEntry], root: str) -> None:
    if root not in nodes:
        reader.problem("/root", f"the root {root} is not a node of the directory")
    for index, entry in enumerate(nodes.values()):
        pointer = f"/nodes/{index}/parent"
        if entry.id == root:
            if entry.parent is not None:
                reader.problem(pointer, "the root node has no parent")
        elif entry.parent is None:
            reader.problem(pointer, f"only the root {root} has no parent")
        elif entry.parent not in nodes:
            reader.problem(pointer, f"parent {entry.parent} is not in the directory")
        elif entry.id in _ancestors(nodes, entry.parent):
            reader.problem(pointer, f"node {entry.id} is its own ancestor")


def _ancestors(nodes: Mapping[str, NodeEntry], first: str) -> set[str]:
    seen: set[str] = set()
    current: str | None = first
    while current is not None and current in nodes and current not in seen:
        seen.add(current)
        current = nodes[current].parent
    return seen


class _Reader:
    """Collects (pointer, message) problems so one error names all of them."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []
        self.node_ids: set[str] = set()
        self.kids: set[str] = set()
        self.revoked_kids: set[str] = set()
        self.department_ids: set[str] = set()

    def problem(self, pointer: str, message: str) -> None:
        self.problems.append((pointer, message))

    def finish(self) -> None:
        if self.problems:
            shown = "; ".join(f"{pointer or '/'}: {message}" for pointer, message in self.problems[:5])
            more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
            details = [{"pointer": pointer, "code": DirectoryError.code, "message": message}
                       for pointer, message in self.problems]
            raise DirectoryError(f"not a valid version-1 federation directory: {shown}{more}",
                                 details=details)

    def members(self, value: Any, names: tuple[str, ...], pointer: str) -> bool:
        if not isinstance(value, Mapping):
            self.problem(pointer, "expected a JSON object")
            return False
        for name in value:
            if name not in names:
                self.problem(f"{pointer}/{name}", f"unexpected member {name!r}")
        missing = [name for name in names if name not in value]
        for name in missing:
            self.problem(f"{pointer}/{name}", f"missing member {name!r}")
        return not missing

    def text(self, value: Any, pointer: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.problem(pointer, "expected a non-empty string")
            return ""
        return value

    def region(self, value: Any, pointer: str) -> str:
        if not is_region_code(value):
            self.problem(pointer, f"{value!r} is not a GB/T 2260 code")
            return ""
        return str(value)

    def time(self, value: Any, pointer: str) -> datetime:
        if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
            self.problem(pointer, "expected an RFC 3339 date-time with offset")
            return _INVALID_TIME
        try:
            return datetime.fromisoformat(value.upper())
        except ValueError:
            self.problem(pointer, f"{value!r} is not a real date-time")
            return _INVALID_TIME

    def unique(self, seen: set[str], value: str, pointer: str, what: str) -> None:
        if value and value in seen:
            self.problem(pointer, f"{what} {value} is listed more than once")
        seen.add(value)

    def each(self, value: Any, pointer: str, parse: Callable[[Any, str], _Item | None]) -> list[_Item]:
        if not isinstance(value, list):
            self.problem(pointer, "expected a JSON array")
            return []
        parsed = (parse(item, f"{pointer}/{index}") for index, item in enumerate(value))
        return [item for item in parsed if item is not None]

    def node(self, value: Any, pointer: str) -> NodeEntry | None:
        if not self.members(value, _NODE, pointer):
            return None
        parent = value["parent"]
        node = NodeEntry(
            id=self.region(value["id"], f"{pointer}/id"),
            parent=None if parent is None else self.region(parent, f"{pointer}/parent"),
            name=self.text(value["name"], f"{pointer}/name"),
            endpoint=self.endpoint(value["endpoint"], f"{pointer}/endpoint"),
            keys=tuple(self.each(value["keys"], f"{pointer}/keys", self.key)),
        )
        self.unique(self.node_ids, node.id, f"{pointer}/id", "node")
        return node

    def key(self, value: Any, pointer: str) -> TrustedKey | None:
        if not self.members(value, _KEY, pointer):
            return None
        not_before = self.time(value["not_before"], f"{pointer}/not_before")
        not_after = self.time(value["not_after"], f"{pointer}/not_after")
        try:
            public = PublicKey.from_jwk(value["jwk"])
        except SignatureError as exc:
            self.problem(f"{pointer}/jwk", exc.message)
            return None
        self.unique(self.kids, public.kid, f"{pointer}/jwk", "key")
        if _INVALID_TIME in (not_before, not_after):
            return None
        if not_after <= not_before:
            self.problem(f"{pointer}/not_after", "not_after is after not_before")
            return None
        return TrustedKey(public, not_before, not_after)

    def revoked(self, value: Any, pointer: str) -> RevokedKey | None:
        if not self.members(value, _REVOKED, pointer):
            return None
        kid = self.text(value["kid"], f"{pointer}/kid")
        self.unique(self.revoked_kids, kid, f"{pointer}/kid", "revoked key")
        return RevokedKey(kid, self.time(value["revoked_at"], f"{pointer}/revoked_at"),
                          self.text(value["reason"], f"{pointer}/reason"))

    def department(self, value: Any, pointer: str) -> Department | None:
        if not self.members(value, _DEPARTMENT, pointer):
            return None
        department = Department(
            id=self.text(value["id"], f"{pointer}/id"),
            name=self.text(value["name"], f"{pointer}/name"),
            jurisdiction=self.region(value["jurisdiction"], f"{pointer}/jurisdiction"),
            industry=self.text(value["industry"], f"{pointer}/industry"),
            node=self.region(value["node"], f"{pointer}/node"),
        )
        self.unique(self.department_ids, department.id, f"{pointer}/id", "department")
        return department

    def endpoint(self, value: Any, pointer: str) -> str:
        text = self.text(value, pointer)
        if not text:
            return text
        try:
            parts = urlsplit(text)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not (
                parts.query or parts.fragment or parts.username or parts.password)
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError:
            valid = False
        if not valid:
            self.problem(pointer, f"{text!r} is not an http(s) base URL")
        return text
