"""What a county upload is: its export kind, its county, and what its header says about every row.

Kind: the header set decides (every header known to the kind, every required field given, one of
its version fields present). When several kinds fit, the kinds whose `file_names` match the file
name or a title row narrow them down; if that leaves no single kind the file is refused
(`county.ambiguous_export`). When none fits, a kind named by the file name (else the kind knowing
most of the headers) reports its header problems, after `county.unknown_export` unless named.

County: the counties whose `match` patterns find the file name or a title row. More than one is
refused (`county.region_ambiguous`); none leaves the rows to their own region column.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from adapters.county_center_files import Upload
from adapters.county_center_mapping import County, CountyMapping, ExportKind, fold
from adapters.county_center_records import BUILDERS
from adapters.errors import DetailCode, SourceFormatError, shorten
from adapters.normalize import to_yuan
from adapters.tabular import find_mojibake, map_headers
from schemas.errors import AdapterError

_CLOSING = (")", "]", "】")


def recognize(upload: Upload, mapping: CountyMapping) -> tuple[ExportKind, dict[int, str]]:
    header = upload.table.header
    for index, name in enumerate(header):
        if why := find_mojibake(name):
            raise SourceFormatError.of(
                DetailCode.ENCODING_MOJIBAKE, f"header: {why}", pointer=f"/header/{index}"
            )
    fits: list[tuple[ExportKind, dict[int, str]]] = []
    failures: dict[str, SourceFormatError] = {}
    for kind in mapping.kinds.values():
        try:
            columns = map_headers(header, kind.columns, required=_requirements(kind))
        except SourceFormatError as exc:
            failures[kind.key] = exc
            continue
        if not set(kind.versions) & set(columns.values()):
            message = "no column gives the record version: " + ", ".join(kind.versions)
            failures[kind.key] = SourceFormatError.of(DetailCode.HEADER_MISSING, message, pointer="/header")
            continue
        fits.append((kind, columns))
    named = {kind.key for kind in mapping.kinds.values() if _names(kind, upload)}
    if len(fits) > 1:
        fits = [fit for fit in fits if fit[0].key in named]
        if len(fits) != 1:
            message = "the header fits several export kinds and the file name does not pick one"
            raise _refuse("county.ambiguous_export", message)
    if fits:
        return fits[0]
    if len(named) == 1:
        key = next(iter(named))
        raise SourceFormatError(
            f"not a usable {mapping.kinds[key].title} export", details=failures[key].details
        )
    known = {key: sum(fold(name) in _folded(kind) for name in header) for key, kind in mapping.kinds.items()}
    closest = max(known, key=lambda key: known[key])
    unknown = _detail("county.unknown_export", "the header matches no export kind of the mapping")
    details = [unknown, *failures[closest].details] if known[closest] else [unknown]
    raise SourceFormatError("unknown county export", details=details)


def county_of(upload: Upload, mapping: CountyMapping) -> County | None:
    texts = (upload.name, *upload.titles)
    found = {c.region_code: c for c in mapping.counties if any(p.search(t) for p in c.match for t in texts)}
    if len(found) > 1:
        names = "、".join(county.name for county in found.values())
        raise _refuse(
            "county.region_ambiguous", f"the file name or title names several counties: {shorten(names)}"
        )
    return next(iter(found.values()), None)


def header_context(upload: Upload, kind: ExportKind, columns: dict[int, str]) -> dict[str, Any]:
    """Units written in the header, "中标金额(万元)": money units and text suffixes (工期(日历天))."""
    units: dict[str, str] = {}
    suffixes: dict[str, str] = {}
    problems = []
    for index, field in columns.items():
        bracket = bracketed(upload.table.header[index])
        if field in kind.money:
            rule = kind.money[field]
            if bracket and is_money_unit(bracket):
                units[field] = bracket
            elif not rule.unit and rule.unit_field not in columns.values():
                message = f"no unit for {field}: not in the header, no unit column, no default"
                problems.append(_detail("county.money_unit_unknown", message, f"/header/{index}"))
        elif field in kind.unit_suffixes and bracket:
            suffixes[field] = bracket
    if problems:
        raise SourceFormatError("the header does not give a money unit", details=problems)
    return {"units": units, "suffixes": suffixes}


def bracketed(header: str) -> str | None:
    """The text in the closing brackets of a header: "中标价（万元）" → "万元"."""
    text = unicodedata.normalize("NFKC", header).strip()
    if not text.endswith(_CLOSING):
        return None
    opening = max(text.rfind("("), text.rfind("["), text.rfind("【"))
    inner = text[opening + 1 : -1].strip() if opening >= 0 else ""
    return inner or None


def is_money_unit(text: str) -> bool:
    try:
        to_yuan("0", text)
    except AdapterError:
        return False
    return True


def _requirements(kind: ExportKind) -> list[str]:
    return kind.header_requirements(BUILDERS[kind.record_type].mandatory)


def _names(kind: ExportKind, upload: Upload) -> bool:
    return any(pattern.search(text) for pattern in kind.file_names for text in (upload.name, *upload.titles))


def _folded(kind: ExportKind) -> set[str]:
    return {fold(name) for name in kind.columns}


def _detail(code: str, message: str, pointer: str = "/header") -> dict[str, str]:
    return {"pointer": pointer, "code": code, "message": message}


def _refuse(code: str, message: str) -> SourceFormatError:
    return SourceFormatError(message, details=[_detail(code, message)])
