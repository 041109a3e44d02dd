"""The contract every source adapter keeps: split raw input into items, normalize each into records.

An adapter is pure: bytes in, data out, no I/O and no clock. `split` cuts one upload (an XML file, a
SOAP call, a CSV export, a JSON document) into items, each with the exact source bytes it came from,
so that a refused item is kept in quarantine as it arrived. `normalize` turns one item into standard
records, or raises `AdapterError` whose details say why (it never returns half a record).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from schemas.errors import AdapterError


@dataclass(frozen=True, slots=True)
class RawItem:
    """One business object as the source sent it."""

    ref: str  # where it came from: "file.xml#3", a SOAP SERIALNUMBER, "export.csv:line 17"
    dataset: str  # the source's dataset code, e.g. GCJS_WIN_CANDIDATE, XK, CF, county:award
    row: Mapping[str, Any]  # parsed fields, source names, values as text (or nested rows)
    raw: bytes  # the exact bytes of this item in the upload (or of the whole upload if not separable)


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """A part of an upload that could not even be parsed into a row; kept in quarantine."""

    ref: str
    raw: bytes
    reasons: tuple[Mapping[str, str], ...]  # {pointer, code, message}


@dataclass(frozen=True, slots=True)
class NormalizedRecord:
    """A standard record ready for validation and signing."""

    type: str  # a record type of schemas.registry, e.g. tender.award
    jurisdiction: str  # GB/T 2260 code the record concerns
    payload: Mapping[str, Any]
    ref: str  # the RawItem.ref it came from
    warnings: tuple[Mapping[str, str], ...] = field(default=())  # e.g. identifier.region.unknown


class SourceAdapter(Protocol):
    name: str  # the source name in /api/v1/ingest/{source} and `ggzy ingest <source>`
    version: str  # bumped whenever the output for the same input changes

    def split(
        self, data: bytes, *, filename: str = "", content_type: str = ""
    ) -> Iterator[RawItem | RejectedItem]:
        """Cut an upload into items; raises SourceFormatError if nothing of it is readable."""
        ...

    def normalize(self, item: RawItem) -> list[NormalizedRecord]:
        """Records for one item (usually one), or AdapterError with reasons."""
        ...


def reason(code: str, message: str, pointer: str = "") -> dict[str, str]:
    return {"pointer": pointer, "code": code, "message": message}


def invalid(message: str, *reasons: Mapping[str, str]) -> AdapterError:
    return AdapterError(message, details=list(reasons))
