"""A watched drop folder, for sites that can only push files through a one-way gateway (网闸).

Layout under the root::

    incoming/    the sender writes here
    processing/  claimed files, being parsed
    archive/     files that were ingested
    failed/      files that were refused, each with `<name>.reason.json` beside it

A file in `incoming/` is complete, and is claimed, when (by `Readiness`):

- MARKER (default): an empty marker `<name>.done` exists beside it. The sender writes the marker
  after the file is closed. Ferry tools that cannot rename atomically can still do this.
- RENAME: its name does not end in `.part`. The sender writes `<name>.part` and renames it when done.

Hidden files (dot-files, which copy tools use for temporary files) and anything that is not a regular
file (symbolic links, directories, pipes) are never claimed. Files are moved, never deleted, and
never overwritten: a name already taken in the target folder gets a `~N` suffix. A claimed file keeps
its marker beside it through every move.

Restart: files found in `processing/` by the first `claim_ready()` of a `DropFolder` were claimed
before a crash and are returned again, ahead of new files. One process drains a drop folder; the
caller polls `claim_ready()` and reports each outcome with `complete()`.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

MARKER_SUFFIX = ".done"
PARTIAL_SUFFIX = ".part"
REASON_SUFFIX = ".reason.json"


class Readiness(StrEnum):
    MARKER = "marker"
    RENAME = "rename"


class DropFolder:
    def __init__(self, root: Path, *, readiness: Readiness = Readiness.MARKER) -> None:
        self.root = root
        self.readiness = readiness
        self.incoming, self.processing = root / "incoming", root / "processing"
        self.archive, self.failed = root / "archive", root / "failed"
        for folder in (self.incoming, self.processing, self.archive, self.failed):
            folder.mkdir(parents=True, exist_ok=True)
        self._recovered = False

    def claim_ready(self) -> list[Path]:
        """Moves every complete file to `processing/` and returns the new paths, in name order.

        The first call also returns the files left in `processing/` by an earlier run.
        """
        claimed: list[Path] = []
        if not self._recovered:
            claimed.extend(self._recover())
            self._recovered = True
        for path in sorted(self.incoming.iterdir()):
            if self._is_ready(path):
                claimed.append(self._move(path, self.processing))
        return claimed

    def complete(
        self, path: Path, ok: bool, reason: Mapping[str, Any] | None = None, *, now: datetime
    ) -> Path:
        """Moves a claimed file to `archive/` (ok) or `failed/` with its reason; returns the new path.

        The reason file is written before the move, so a crash between the two leaves the file in
        `processing/` to be retried, never a failed file without its reason.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if path.parent.resolve() != self.processing.resolve() or not _is_regular(path):
            raise ValueError(f"{path} is not a claimed file of this drop folder")
        if ok:
            return self._move(path, self.archive)
        target = _free_name(self.failed, path.name)
        record = {"file": path.name, "failed_at": now.isoformat(), "reason": dict(reason or {})}
        reason_path = self.failed / (target.name + REASON_SUFFIX)
        partial = self.failed / f".{reason_path.name}{PARTIAL_SUFFIX}"
        partial.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        partial.replace(reason_path)
        return self._move(path, self.failed, target)

    def _recover(self) -> list[Path]:
        leftovers = [
            path
            for path in sorted(self.processing.iterdir())
            if _is_regular(path) and not path.name.endswith(MARKER_SUFFIX)
        ]
        for path in leftovers:
            # A crash between moving a file and its marker leaves the marker behind in incoming/,
            # where it would mark the next file of that name as complete too early.
            stray = self.incoming / (path.name + MARKER_SUFFIX)
            if not (self.incoming / path.name).exists() and stray.exists():
                stray.rename(_free_name(self.processing, stray.name))
        return leftovers

    def _is_ready(self, path: Path) -> bool:
        name = path.name
        if name.startswith(".") or name.endswith((MARKER_SUFFIX, PARTIAL_SUFFIX)) or not _is_regular(path):
            return False
        if self.readiness is Readiness.MARKER:
            return (path.parent / (name + MARKER_SUFFIX)).exists()
        return True

    def _move(self, path: Path, folder: Path, target: Path | None = None) -> Path:
        target = target or _free_name(folder, path.name)
        marker = path.parent / (path.name + MARKER_SUFFIX)
        path.rename(target)
        if marker.exists():
            marker.rename(folder / (target.name + MARKER_SUFFIX))
        return target


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _free_name(folder: Path, name: str) -> Path:
    """`name` in `folder`, or `stem~N.suffix` when the name or its marker or reason file is taken."""
    stem, dot, suffix = name.partition(".")
    candidate, number = name, 1
    while any((folder / (candidate + extra)).exists() for extra in ("", MARKER_SUFFIX, REASON_SUFFIX)):
        number += 1
        candidate = f"{stem}~{number}{dot}{suffix}"
    return folder / candidate
