from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from adapters.county_center_mapping import fold, load_mapping, parse_mapping
from adapters.county_center_records import KNOWN_FIELDS

PATH = Path(__file__).resolve().parents[2] / "config" / "mappings" / "county-center.json"
DOCUMENT = load_mapping(PATH)


def changed(**exports: Any) -> dict[str, Any]:
    """The mapping with the win_result export changed (a value of None removes the key)."""
    document = copy.deepcopy(DOCUMENT)
    spec = document["exports"]["win_result"]
    for key, value in exports.items():
        if value is None:
            spec.pop(key)
        else:
            spec[key] = value
    return document


class TestLoadMapping:
    def test_reads_the_bundled_mapping(self) -> None:
        assert DOCUMENT["source"] == "county-center"
        assert {"win_result", "tender_list", "tender_project", "section", "opening"} <= set(
            DOCUMENT["exports"]
        )

    def test_refuses_a_document_that_is_not_an_object(self, tmp_path: Path) -> None:
        path = tmp_path / "mapping.json"
        path.write_text("[]", encoding="utf-8")
        with pytest.raises(ValueError, match="JSON object"):
            load_mapping(path)


class TestParseMapping:
    def test_bundled_mapping(self) -> None:
        mapping = parse_mapping(DOCUMENT, KNOWN_FIELDS)
        kinds = {key: kind.record_type for key, kind in mapping.kinds.items()}
        assert kinds == {
            "win_result": "tender.award",
            "tender_list": "tender.bid",
            "tender_project": "tender.project",
            "section": "tender.section",
            "opening": "tender.opening",
        }
        assert mapping.booleans[fold("是")] is True
        assert mapping.code_type_values[fold("统一社会信用代码")] == "uscc"
        assert [county.region_code for county in mapping.counties] == [
            "530621",
            "530622",
            "530623",
            "410225",
            "421181",
        ]
        award = mapping.kinds["win_result"]
        assert award.columns["中标金额(万元)"] == award.columns["中标价(万元)"] == "BID_AMOUNT"
        assert award.versions == ("DATA_TIMESTAMP", "NOTICE_SEND_TIME")

    def test_export_kinds_read_by_the_tabular_reader_keep_their_shape(self) -> None:
        # adapters.tabular's tests read these two kinds as plain header → field maps.
        for key in ("win_result", "tender_list"):
            spec = DOCUMENT["exports"][key]
            assert all(isinstance(v, str) for v in spec["columns"].values())
            assert set(spec["required"]) <= set(spec["columns"].values())

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            ({"source": "x"}, "lacks 'exports'"),
            ({"exports": {"x": []}}, "not an object"),
            (changed(columns={"项目编号": 1}), "map header text to field names"),
            ({**DOCUMENT, "counties": ["530621"]}, "each county is an object"),
            ({"exports": {}}, "no export kind"),
            (changed(record_type="credit.penalty"), "no county builder"),
            (changed(columns={"项目编号": "NO_SUCH_FIELD"}), "has no field"),
            (
                changed(columns={"项目编号": "TENDER_PROJECT_CODE", "项目 编号": "PROJECT_CODE"}),
                "two spellings",
            ),
            (changed(required=["WIN_PRICE"]), "no column can give"),
            (changed(money={"BID_AMOUNT": {"currency": "CNY"}}), "unit and unit_field"),
            (changed(code_types={"WIN_BIDDER_CODE": "passport"}), "code_types"),
            (changed(file_names=["(unclosed"]), "bad regular expression"),
            (changed(dataset=None), "lacks 'dataset'"),
            (changed(columns=[]), "must be a dict"),
            ({**DOCUMENT, "counties": [{"region_code": "999999", "match": ["x"]}]}, "GB/T 2260"),
            ({**DOCUMENT, "counties": [{"region_code": "530621", "match": []}]}, "match pattern"),
            ({**DOCUMENT, "booleans": {"true": ["是"], "false": ["是"]}}, "both true and false"),
            ({**DOCUMENT, "code_type_values": {"护照": "passport"}}, "code_type_values"),
            ({**DOCUMENT, "max_title_rows": 99}, "max_title_rows"),
            ({**DOCUMENT, "max_title_rows": True}, "must be a int"),
            ({**DOCUMENT, "time_formats": ["%Y", 3]}, "list of strings"),
        ],
    )
    def test_contradictions_are_refused(self, document: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            parse_mapping(document, KNOWN_FIELDS)
