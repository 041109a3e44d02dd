"""The periodic upkeep of a node: refresh the federation directory from its parent, forget spent token ids.

It runs every `federation.refresh_interval`: from the in-process relay in the embedded default, as
the beat task `sync.maintain` where a broker is configured. The refresh keeps a fetched directory
only when `signing.directory.take_up` says it may replace the held one (the rule `ggzy federation
fetch` follows too), and writes it where `sync.context.DirectoryFiles` and the serving process read
it. A refused candidate leaves the last valid directory in place and is logged, never raised.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import httpx
import orjson
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.store.repositories.federation import SeenTokenRepository
from schemas.errors import GatewayError
from signing.directory import take_up
from signing.keys import PublicKey
from sync.context import DirectoryFiles

log = logging.getLogger("sync.maintain")

Fetch = Callable[[str], bytes]


class DirectoryUnavailableError(GatewayError):
    code = "sync.directory_unavailable"
    status = 502


@dataclass(frozen=True)
class MaintenanceReport:
    """`directory`: "skipped" when no `federation.directory_url` is set; `error` says why one was refused."""

    directory: Literal["accepted", "unchanged", "refused", "skipped"]
    purged: int
    serial: int | None = None
    error: str | None = None


def maintain(settings: Settings, session_factory: Callable[[], Session], now: datetime, *,
             fetch: Fetch | None = None) -> MaintenanceReport:
    """Refresh the held directory (when a URL is set), then purge the expired seen token ids."""
    url = settings.federation.directory_url
    if url:
        directory, serial, error = refresh_held_directory(settings, url, now, fetch=fetch or fetch_url)
    else:
        directory, serial, error = "skipped", None, None
    with session_factory() as db, db.begin():
        purged = SeenTokenRepository(db).purge_expired(now)
    return MaintenanceReport(directory, purged, serial, error)


def refresh_held_directory(settings: Settings, url: str, now: datetime, *, fetch: Fetch
                           ) -> tuple[Literal["accepted", "unchanged", "refused"], int | None, str | None]:
    """Fetch `url` and hold the result if it may replace the held directory: (status, serial, error)."""
    files = DirectoryFiles(settings)
    try:
        root = PublicKey.from_jwk(orjson.loads(files.root_path.read_bytes()))
        data = fetch(url)
        held = files.directory_path.read_bytes() if files.directory_path.exists() else None
        candidate, status = take_up(data, held, root, now=now)
    except (GatewayError, OSError, orjson.JSONDecodeError) as exc:
        reason = (f"{exc.code}: {exc.message}" if isinstance(exc, GatewayError)
                  else f"{type(exc).__name__}: {exc}")
        log.warning("directory from %s refused, keeping the held one: %s", url, reason)
        return "refused", None, reason
    if status == "accepted":
        _write_atomically(files, data)
        log.info("directory serial %s of %s taken up from %s", candidate.serial, candidate.federation, url)
    return status, candidate.serial, None


def fetch_url(url: str, *, timeout: float = 30.0) -> bytes:
    """GET an http(s) URL (no redirects), or read a local file, as `ggzy federation fetch` does."""
    if not url.startswith(("http://", "https://")):
        with open(url, "rb") as source:
            return source.read()
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise DirectoryUnavailableError(f"cannot fetch {url}: {exc}") from exc
    return response.content


def _write_atomically(files: DirectoryFiles, data: bytes) -> None:
    path = files.directory_path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)

