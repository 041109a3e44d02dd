"""The bundled sample data (config/samples/<source>/) and how the demo's counties take it in.

Each source family is posted file by file to POST /api/v1/ingest/{source} of a county node, as the
source system would (SOAP calls of the tender platform included, answered in SOAP). The files of a
family's bad/ folder go in too: each is refused on purpose and must land in quarantine with reasons.
Records of regions other than the receiving county go in all the same; the exchange routes them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

import config

SAMPLES = Path(config.__file__).resolve().parent / "samples"
FAMILIES = ("tender-platform", "county-center", "credit-china", "construction-market")
_SOAP_SUCCESS = re.compile(rb"<success>\s*(true|false)\s*</success>", re.IGNORECASE)


@dataclass(frozen=True)
class Upload:
    family: str
    path: Path
    bad: bool

    @property
    def label(self) -> str:
        return f"{self.family}/{'bad/' if self.bad else ''}{self.path.name}"


def uploads(family: str) -> list[Upload]:
    """The family's sample files in name order, then its bad/ files (README files left out)."""
    folder = SAMPLES / family
    if not folder.is_dir():
        raise FileNotFoundError(f"no sample folder {folder}")
    good = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".md")
    bad = sorted(p for p in (folder / "bad").iterdir() if p.is_file() and p.suffix != ".md") \
        if (folder / "bad").is_dir() else []
    return [Upload(family, p, False) for p in good] + [Upload(family, p, True) for p in bad]


@dataclass
class FamilyTally:
    """What the answers to one family's uploads said."""

    files: int = 0
    bad_files: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0  # records refused inside readable uploads
    refused_uploads: int = 0  # whole uploads refused (unreadable)
    soap_calls: int = 0
    soap_refused: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)  # a good file not taken, or a bad one taken

    def add(self, upload: Upload, resp: httpx.Response) -> None:
        self.files += 1
        self.bad_files += upload.bad
        if "xml" in resp.headers.get("content-type", "") and resp.status_code in (200, 500):
            self._soap(upload, resp)
            return
        try:
            body: dict[str, Any] = orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            self.unexpected.append(f"{upload.label}: HTTP {resp.status_code} {resp.text[:200]}")
            return
        totals = body.get("totals") or {}
        self.accepted += totals.get("accepted", 0)
        self.duplicates += totals.get("duplicates", 0)
        self.quarantined += totals.get("quarantined", 0)
        self.refused_uploads += totals.get("refused_uploads", 0)
        self.reasons.update(totals.get("quarantined_by_reason", {}))
        taken = resp.status_code in (200, 201)
        if resp.status_code >= 500 or not totals:
            self.unexpected.append(f"{upload.label}: HTTP {resp.status_code} {body.get('code', '')}")
        elif taken == upload.bad and not totals.get("quarantined"):
            self.unexpected.append(f"{upload.label}: HTTP {resp.status_code}, expected "
                                   f"{'a refusal' if upload.bad else 'it taken'}")

    def _soap(self, upload: Upload, resp: httpx.Response) -> None:
        self.soap_calls += 1
        match = _SOAP_SUCCESS.search(resp.content)
        success = match is not None and match.group(1).lower() == b"true" and resp.status_code == 200
        if not success:
            self.soap_refused += 1
            if not upload.bad:
                self.unexpected.append(f"{upload.label}: the SOAP call was not taken")
        elif upload.bad:
            self.unexpected.append(f"{upload.label}: a bad SOAP call was taken")
