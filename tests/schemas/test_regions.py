from __future__ import annotations

import csv
from pathlib import Path

import pytest

from schemas.regions import (
    PROVINCE_PREFIXES,
    RegionTable,
    is_grouping_code,
    is_region_code,
    is_within,
    region_level,
    region_parents,
)

REGIONS_DIR = Path(__file__).resolve().parents[2] / "config" / "regions"
CURRENT = REGIONS_DIR / "gbt2260-2023.csv"
RETIRED = REGIONS_DIR / "gbt2260-retired-2002-2014.csv"


@pytest.fixture(scope="module")
def table() -> RegionTable:
    return RegionTable.load(CURRENT, RETIRED)


def row(code: str, name: str, level: str, parent: str = "", last_listed: str = "") -> dict[str, str]:
    return {"code": code, "name": name, "level": level, "parent": parent, "last_listed": last_listed}


class TestIsRegionCode:
    @pytest.mark.parametrize("code", ["530000", "530600", "530621", "110100", "500200", "419001", "820000"])
    def test_valid(self, code: str) -> None:
        assert is_region_code(code)

    @pytest.mark.parametrize(
        "code",
        ["", "53062", "5306210", "53062a", "５30621", "000000", "990000", "830000", "530021", 530621, None],
    )
    def test_invalid(self, code: object) -> None:
        assert not is_region_code(code)

    def test_province_prefixes(self) -> None:
        assert len(PROVINCE_PREFIXES) == 34
        assert {"50", "46", "71", "81", "82"} <= PROVINCE_PREFIXES


class TestRegionLevel:
    @pytest.mark.parametrize(
        ("code", "level"),
        [
            ("530000", "province"),
            ("530600", "city"),
            ("530621", "county"),
            ("110100", "city"),
            ("110105", "county"),
            ("500200", "city"),
            ("419000", "city"),
            ("419001", "county"),
        ],
    )
    def test_levels(self, code: str, level: str) -> None:
        assert region_level(code) == level

    @pytest.mark.parametrize("code", ["53062", "530021", "000000", "abcdef"])
    def test_malformed_raises(self, code: str) -> None:
        with pytest.raises(ValueError, match="GB/T 2260"):
            region_level(code)


class TestRegionParents:
    @pytest.mark.parametrize(
        ("code", "parents"),
        [
            ("530000", []),
            ("530600", ["530000"]),
            ("530621", ["530600", "530000"]),
            ("110105", ["110100", "110000"]),
            ("500229", ["500200", "500000"]),
            ("419001", ["419000", "410000"]),
            ("659001", ["659000", "650000"]),
        ],
    )
    def test_structural_parents(self, code: str, parents: list[str]) -> None:
        assert region_parents(code) == parents

    @pytest.mark.parametrize(
        ("code", "parents"),
        [
            ("110105", ["110000"]),
            ("500229", ["500000"]),
            ("419001", ["410000"]),
            ("530621", ["530600", "530000"]),
        ],
    )
    def test_without_groupings(self, code: str, parents: list[str]) -> None:
        assert region_parents(code, include_groupings=False) == parents

    def test_malformed_raises(self) -> None:
        with pytest.raises(ValueError, match="GB/T 2260"):
            region_parents("5306")


class TestIsGroupingCode:
    @pytest.mark.parametrize("code", ["110100", "120100", "310100", "500100", "500200", "419000", "659000"])
    def test_groupings(self, code: str) -> None:
        assert is_grouping_code(code)

    @pytest.mark.parametrize("code", ["530600", "530000", "110000", "110105", "419001", "441900"])
    def test_not_groupings(self, code: str) -> None:
        assert not is_grouping_code(code)


class TestIsWithin:
    @pytest.mark.parametrize(
        ("code", "ancestor"),
        [
            ("530621", "530621"),
            ("530621", "530600"),
            ("530621", "530000"),
            ("530600", "530000"),
            ("419001", "410000"),
            ("110105", "110000"),
        ],
    )
    def test_within(self, code: str, ancestor: str) -> None:
        assert is_within(code, ancestor)

    @pytest.mark.parametrize(
        ("code", "ancestor"),
        [
            ("530000", "530600"),
            ("530600", "530621"),
            ("530621", "530700"),
            ("530621", "520000"),
            ("530601", "530621"),
        ],
    )
    def test_not_within(self, code: str, ancestor: str) -> None:
        assert not is_within(code, ancestor)


class TestRegionTableData:
    def test_yunnan(self, table: RegionTable) -> None:
        assert table.name("530000") == "云南省"
        assert table.name("530600") == "昭通市"
        assert table.name("530621") == "鲁甸县"
        assert table.level("530621") == "county"
        assert table.parents("530621") == ["530600", "530000"]
        assert table.is_within("530621", "530600")
        assert table.is_within("530621", "530000")
        assert not table.is_within("530600", "530621")
        assert "530621" in table.children("530600")
        assert "530600" in table.children("530000")

    @pytest.mark.parametrize(
        ("code", "name", "parents"),
        [
            ("110105", "朝阳区", ["110100", "110000"]),
            ("500229", "城口县", ["500200", "500000"]),
            ("500101", "万州区", ["500100", "500000"]),
            ("419001", "济源市", ["419000", "410000"]),
            ("429004", "仙桃市", ["429000", "420000"]),
            ("469001", "五指山市", ["469000", "460000"]),
            ("659001", "石河子市", ["659000", "650000"]),
            ("441900", "东莞市", ["440000"]),
            ("710000", "台湾省", []),
        ],
    )
    def test_special_codes(self, table: RegionTable, code: str, name: str, parents: list[str]) -> None:
        assert table.contains(code)
        assert table.name(code) == name
        assert table.parents(code) == parents

    def test_grouping_rows_present(self, table: RegionTable) -> None:
        for code in (
            "110100",
            "120100",
            "310100",
            "500100",
            "500200",
            "419000",
            "429000",
            "469000",
            "659000",
        ):
            assert table.contains(code), code

    def test_every_county_parent_is_in_table(self, table: RegionTable) -> None:
        with CURRENT.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == 3219
        for current in rows:
            if current["parent"]:
                assert table.contains(current["parent"]), current["code"]

    def test_counts_by_level(self, table: RegionTable) -> None:
        with CURRENT.open(encoding="utf-8", newline="") as handle:
            levels = [current["level"] for current in csv.DictReader(handle)]
        assert levels.count("province") == 34
        assert levels.count("county") > 2800

    def test_retired_codes(self, table: RegionTable) -> None:
        assert table.is_retired("110103")
        assert not table.contains("110103")
        assert table.knows("110103")
        assert table.name("110103") == "崇文区"
        assert table.get("110103") is not None
        assert table.get("110103").last_listed == 2009  # type: ignore[union-attr]
        assert table.parents("110103") == ["110100", "110000"]

    def test_unknown_county_attaches_to_known_ancestors(self, table: RegionTable) -> None:
        assert not table.knows("530699")
        assert table.name("530699") is None
        assert table.parents("530699") == ["530600", "530000"]
        assert table.is_within("530699", "530600")

    def test_without_groupings(self, table: RegionTable) -> None:
        assert table.parents("110105", include_groupings=False) == ["110000"]
        assert table.parents("419001", include_groupings=False) == ["410000"]

    def test_edition(self, table: RegionTable) -> None:
        assert table.edition == "gbt2260-2023"


class TestRegionTableFromRows:
    def test_pure_construction(self) -> None:
        table = RegionTable.from_rows(
            [row("530000", "云南省", "province"), row("530621", "鲁甸县", "county", "530000")], edition="x"
        )
        assert len(table) == 2
        assert table.parents("530621") == ["530000"]
        assert table.children("530000") == ["530621"]
        assert table.edition == "x"

    def test_in_force_wins_over_retired(self) -> None:
        rows = [
            row("530621", "旧名", "county", "530600", "2010"),
            row("530621", "鲁甸县", "county", "530600"),
        ]
        table = RegionTable.from_rows(rows)
        assert table.contains("530621")
        assert table.name("530621") == "鲁甸县"
        table = RegionTable.from_rows(list(reversed(rows)))
        assert table.name("530621") == "鲁甸县"

    def test_retired_children_not_listed(self) -> None:
        table = RegionTable.from_rows(
            [row("110000", "北京市", "province"), row("110200", "县", "city", "110000", "2014")]
        )
        assert table.children("110000") == []

    @pytest.mark.parametrize(
        "bad",
        [
            [row("53062", "x", "county")],
            [row("530621", "x", "city")],
            [row("530621", "x", "county", "520000")],
            [row("530621", "x", "county", "530621")],
            [row("530621", "x", "county"), row("530621", "y", "county")],
        ],
    )
    def test_bad_rows_raise(self, bad: list[dict[str, str]]) -> None:
        with pytest.raises(ValueError, match=r"."):
            RegionTable.from_rows(bad)

    def test_load_needs_a_path(self) -> None:
        with pytest.raises(ValueError, match="at least one"):
            RegionTable.load()

    def test_empty_table_falls_back_to_structure(self) -> None:
        table = RegionTable.from_rows([])
        assert table.parents("530621") == ["530600", "530000"]
        assert table.parents("110105", include_groupings=False) == ["110000"]
