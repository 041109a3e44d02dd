"""The federation directory a node holds: its pinned root key and the last valid directory it accepted.

Files under `<data_dir>/federation/`: `root.jwk` (the pinned root public key, unless
`federation.root_jwk_path` says otherwise) and `directory.json` (the accepted directory, byte for
byte as it was received, so it can be served on unchanged). A refresh replaces the held directory
only with one signed by the pinned root, unexpired, of the same federation, and with a higher serial
(or the same serial and the same content); otherwise the old one stays and the outcome says why.
The held serial is trusted as local state even once that directory has expired, so an expired
directory never opens the way back to an older one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import orjson

from config.settings import Settings
from schemas.errors import GatewayError
from signing.directory import MAX_DIRECTORY_BYTES as MAX_DIRECTORY_BYTES
from signing.directory import Directory, DirectoryError, parse_directory, take_up
from signing.errors import SignatureError
from signing.keys import PublicKey


class RootNotPinnedError(GatewayError):
    code = "federation.root_not_pinned"
    status = 503


class RootPinConflictError(GatewayError):
    code = "federation.root_already_pinned"
    status = 409


class NoDirectoryError(GatewayError):
    code = "federation.no_directory"
    status = 503


class DirectoryFetchError(GatewayError):
    code = "federation.fetch_failed"
    status = 502


@dataclass(frozen=True)
class RefreshOutcome:
    """`directory`: the one held after the refresh (the new one, or the old one if still valid)."""

    status: Literal["accepted", "unchanged", "refused"]
    directory: Directory | None
    error: GatewayError | None = None

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    def describe(self) -> str:
        held = (f"{self.directory.federation} serial {self.directory.serial}" if self.directory
                else "no valid directory held")
        if self.error is None:
            return f"{self.status}: {held}"
        keeping = "keeping " if self.directory else ""
        return f"refused ({self.error.code}): {self.error.message}; {keeping}{held}"


class HeldDirectory:
    """The held directory of a serving process: verified again only when a file changes or time runs out."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._stamp: tuple[object, ...] | None = None
        self._cached: tuple[Directory, bytes] | None = None

    def snapshot(self, now: datetime) -> tuple[Directory, bytes]:
        """The directory and its bytes as stored; NoDirectoryError unless one is held and valid at `now`."""
        stamp = (_file_stamp(directory_file(self._settings)), _file_stamp(root_file(self._settings)))
        with self._lock:
            cached = self._cached
            if cached is None or stamp != self._stamp or now >= cached[0].expires_at:
                self._cached, self._stamp = None, stamp
                data = held_bytes(self._settings)
                try:
                    cached = (parse_directory(data, pinned_root(self._settings), now=now), data)
                except DirectoryError as exc:
                    raise NoDirectoryError(f"the held directory is not valid now: {exc.message}") from exc
                self._cached = cached
            return cached

    def current(self, now: datetime) -> Directory:
        return self.snapshot(now)[0]


def federation_dir(settings: Settings) -> Path:
    return settings.federation_dir


def directory_file(settings: Settings) -> Path:
    return settings.directory_file


def root_file(settings: Settings) -> Path:
    return settings.root_jwk_file


def pinned_root(settings: Settings) -> PublicKey:
    path = root_file(settings)
    if not path.exists():
        raise RootNotPinnedError(f"no federation root key is pinned at {path} (ggzy federation pin-root)")
    try:
        return PublicKey.from_jwk(orjson.loads(path.read_bytes()))
    except (orjson.JSONDecodeError, SignatureError) as exc:
        raise RootNotPinnedError(f"the pinned root key at {path} is unreadable: {exc}") from exc


def pin_root(settings: Settings, jwk: Mapping[str, Any], *, replace: bool = False) -> PublicKey:
    """Pin the federation root key; replacing a different pinned key takes `replace` (root rotation)."""
    key = PublicKey.from_jwk(jwk)
    path = root_file(settings)
    if path.exists() and not replace:
        current = pinned_root(settings)
        if current.kid != key.kid:
            raise RootPinConflictError(f"root key {current.kid} is already pinned; replace it with --replace")
    write_atomically(path, orjson.dumps(key.to_jwk(), option=orjson.OPT_INDENT_2))
    return key


def held_bytes(settings: Settings) -> bytes:
    path = directory_file(settings)
    if not path.exists():
        raise NoDirectoryError("this node holds no federation directory yet (ggzy federation fetch)")
    return path.read_bytes()


def load_directory(settings: Settings, now: datetime) -> Directory:
    """The held directory, verified again against the pinned root at `now`."""
    return parse_directory(held_bytes(settings), pinned_root(settings), now=now)


def refresh_directory(settings: Settings, fetch: Callable[[], bytes], now: datetime) -> RefreshOutcome:
    """Fetch a directory and hold it if it may replace the held one; never raises for a bad candidate."""
    current = _current_or_none(settings, now)
    try:
        root = pinned_root(settings)
        data = fetch()
        path = directory_file(settings)
        candidate, status = take_up(data, path.read_bytes() if path.exists() else None, root, now=now)
    except (GatewayError, OSError) as exc:
        error = exc if isinstance(exc, GatewayError) else DirectoryFetchError(f"cannot fetch: {exc}")
        return RefreshOutcome("refused", current, error)
    if status == "accepted":
        write_atomically(directory_file(settings), data)
        return RefreshOutcome("accepted", candidate)
    return RefreshOutcome("unchanged", current or candidate)


def fetcher(origin: str, *, timeout: float = 30.0) -> Callable[[], bytes]:
    """A `fetch` for `refresh_directory`: GET an http(s) URL (no redirects), or read a local file."""

    def fetch() -> bytes:
        if not origin.startswith(("http://", "https://")):
            try:
                return Path(origin).read_bytes()
            except OSError as exc:
                raise DirectoryFetchError(f"cannot read {origin}: {exc.strerror}") from exc
        try:
            response = httpx.get(origin, timeout=timeout, follow_redirects=False)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise DirectoryFetchError(f"cannot fetch {origin}: {exc}") from exc
        return response.content

    return fetch


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def _current_or_none(settings: Settings, now: datetime) -> Directory | None:
    try:
        return load_directory(settings, now)
    except GatewayError:
        return None

