"""GB/T 2260 administrative division codes: structural rules and a dated lookup table.

A code is province (2 digits) + prefecture (2) + county (2). The structural functions work on the
digits alone, so they also answer for codes that a table does not list yet (new counties) or no
longer lists (abolished ones). `RegionTable` adds names and the in-force/retired distinction.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

RegionLevel: TypeAlias = Literal["province", "city", "county"]

# Province-level prefixes are fixed by the standard (Chongqing 50 since 1997, Hainan 46 since 1988).
PROVINCE_PREFIXES: frozenset[str] = frozenset(
    {
        *("11", "12", "13", "14", "15"),  # 华北
        *("21", "22", "23"),  # 东北
        *("31", "32", "33", "34", "35", "36", "37"),  # 华东
        *("41", "42", "43", "44", "45", "46"),  # 中南
        *("50", "51", "52", "53", "54"),  # 西南
        *("61", "62", "63", "64", "65"),  # 西北
        *("71", "81", "82"),  # 台湾, 香港, 澳门
    }
)
# Municipalities have no prefecture level: their xx01xx / xx02xx codes only group districts/counties.
MUNICIPALITY_PREFIXES: frozenset[str] = frozenset({"11", "12", "31", "50"})
# Prefecture digits 90 group county-level units administered directly by the province (419000, 659000).
_DIRECT_ADMIN_PREFECTURE = "90"


def is_region_code(code: object) -> bool:
    """True iff `code` is six ASCII digits that obey the GB/T 2260 structure."""
    if not isinstance(code, str) or len(code) != 6 or not (code.isascii() and code.isdigit()):
        return False
    if code[:2] not in PROVINCE_PREFIXES:
        return False
    # A county code needs a prefecture: xx00yy with yy != 00 does not exist.
    return not (code[2:4] == "00" and code[4:] != "00")


def _require_code(code: str) -> None:
    if not is_region_code(code):
        raise ValueError("not a structurally valid GB/T 2260 code")


def region_level(code: str) -> RegionLevel:
    """Level from the digits alone. Raises ValueError for a malformed code."""
    _require_code(code)
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def is_grouping_code(code: str) -> bool:
    """True for prefecture-level codes that are groupings, not governments (110100, 500200, 429000)."""
    if region_level(code) != "city":
        return False
    return code[:2] in MUNICIPALITY_PREFIXES or code[2:4] == _DIRECT_ADMIN_PREFECTURE


def region_parents(code: str, *, include_groupings: bool = True) -> list[str]:
    """Ancestors nearest first: county → [prefecture, province]; city → [province]; province → [].

    Groupings (municipal 市辖区 110100, Chongqing 500200, 省直辖 xx9000) are structural parents and
    are included unless `include_groupings` is False, e.g. when routing to governments only.
    """
    level = region_level(code)
    if level == "province":
        return []
    province = code[:2] + "0000"
    if level == "city":
        return [province]
    prefecture = code[:4] + "00"
    if not include_groupings and is_grouping_code(prefecture):
        return [province]
    return [prefecture, province]


def is_within(code: str, ancestor: str) -> bool:
    """True iff `code` equals `ancestor` or lies in its subtree (a county is within its city)."""
    return code == ancestor or ancestor in region_parents(code)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: RegionLevel
    parent: str | None
    # None while the code is in force in the table's edition; else the last edition year listing it.
    last_listed: int | None = None


class RegionTable:
    """A dated GB/T 2260 table: codes in force, plus retired codes that old records still carry."""

    def __init__(self, regions: Mapping[str, Region], *, edition: str = "") -> None:
        self._regions = dict(regions)
        self.edition = edition
        children: dict[str, list[str]] = {}
        for region in self._regions.values():
            if region.parent is not None and region.last_listed is None:
                children.setdefault(region.parent, []).append(region.code)
        self._children = {parent: sorted(codes) for parent, codes in children.items()}

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str]], *, edition: str = "") -> RegionTable:
        """Rows with keys code, name, level, parent and optionally last_listed (empty = in force).

        A code listed both in force and retired is kept as in force.
        """
        regions: dict[str, Region] = {}
        for row in rows:
            region = _region_from_row(row)
            existing = regions.get(region.code)
            if existing is not None:
                if (existing.last_listed is None) == (region.last_listed is None):
                    raise ValueError(f"region {region.code} listed twice")
                if existing.last_listed is None:
                    continue
            regions[region.code] = region
        return cls(regions, edition=edition)

    @classmethod
    def load(cls, *paths: str | Path) -> RegionTable:
        """Read one or more CSV files (config/regions/*.csv); the first file names the edition."""
        if not paths:
            raise ValueError("at least one region table file is required")
        rows: list[dict[str, str]] = []
        for path in paths:
            with Path(path).open(encoding="utf-8", newline="") as handle:
                rows.extend(csv.DictReader(handle))
        return cls.from_rows(rows, edition=Path(paths[0]).stem)

    def __len__(self) -> int:
        return len(self._regions)

    def get(self, code: str) -> Region | None:
        return self._regions.get(code)

    def contains(self, code: str) -> bool:
        """True iff the code is in force in this edition."""
        region = self._regions.get(code)
        return region is not None and region.last_listed is None

    def is_retired(self, code: str) -> bool:
        region = self._regions.get(code)
        return region is not None and region.last_listed is not None

    def knows(self, code: str) -> bool:
        """True iff the code is in force or retired: a code an honest record may carry."""
        return code in self._regions

    def name(self, code: str) -> str | None:
        region = self._regions.get(code)
        return None if region is None else region.name

    def level(self, code: str) -> RegionLevel:
        return region_level(code)

    def children(self, code: str) -> list[str]:
        """Codes in force whose recorded parent is `code`."""
        return list(self._children.get(code, ()))

    def parents(self, code: str, *, include_groupings: bool = True) -> list[str]:
        """Ancestors nearest first, following the table's parent links.

        An unknown code (a county newer than the table) attaches to its nearest structural ancestor
        that the table knows; with no such ancestor the structural parents are returned.
        """
        structural = region_parents(code)
        region = self._regions.get(code)
        if region is not None:
            nearest = region.parent
        else:
            nearest = next((parent for parent in structural if parent in self._regions), None)
            if nearest is None:
                return region_parents(code, include_groupings=include_groupings)
        chain: list[str] = []
        while nearest is not None and nearest not in chain and len(chain) < 3:
            chain.append(nearest)
            known = self._regions.get(nearest)
            nearest = None if known is None else known.parent
        if not include_groupings:
            chain = [parent for parent in chain if not is_grouping_code(parent)]
        return chain

    def is_within(self, code: str, ancestor: str) -> bool:
        return code == ancestor or ancestor in self.parents(code)


def _region_from_row(row: Mapping[str, str]) -> Region:
    code = (row.get("code") or "").strip()
    level = region_level(code)
    if (row.get("level") or level) != level:
        raise ValueError(f"region {code}: level {row.get('level')!r} contradicts the code")
    parent = (row.get("parent") or "").strip() or None
    if parent is not None and (parent == code or not is_within(code, parent)):
        raise ValueError(f"region {code}: parent {parent} is not a structural ancestor")
    last_listed = (row.get("last_listed") or "").strip()
    return Region(
        code=code,
        name=(row.get("name") or "").strip(),
        level=level,
        parent=parent,
        last_listed=int(last_listed) if last_listed else None,
    )
