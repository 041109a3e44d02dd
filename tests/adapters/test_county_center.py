from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import RawItem, RejectedItem
from adapters.county_center import CountyCenterAdapter
from adapters.dropfolder import DropFolder
from adapters.errors import SourceFormatError
from schemas.errors import AdapterError
from tests.adapters.county_center_inputs import (
    ADAPTER,
    AWARD_HEADER,
    AWARD_ROW,
    BID_HEADER,
    BID_ROW,
    CELL,
    KEY,
    MAPPING,
    award_with,
    csv_data,
    normalized_or_error,
    refused_file,
    split,
    split_or_error,
)


class TestCountyCenterAdapter:
    def test_identity(self) -> None:
        assert (ADAPTER.name, ADAPTER.version) == ("county-center", "1")

    @pytest.mark.parametrize("key", [b"", b"short", "a text key of more than sixteen"])
    def test_refuses_a_weak_or_missing_key(self, key: Any) -> None:
        with pytest.raises(ValueError, match="pseudonymisation key"):
            CountyCenterAdapter(MAPPING, id_key=key)


class TestSplit:
    def test_raw_is_the_line_in_its_original_encoding(self) -> None:
        data = csv_data(
            [["某某县公共资源交易中心中标结果公示汇总表", "", ""], AWARD_HEADER, AWARD_ROW], "gbk"
        )
        (item,) = split(data, "530621_中标结果.csv")
        assert isinstance(item, RawItem)
        assert item.ref == "530621_中标结果.csv:line 3"
        assert item.raw == ",".join(AWARD_ROW).encode("gbk")
        assert item.dataset == "county:win_result"
        assert item.row["fields"]["WIN_BIDDER_NAME"] == "鲁甸宏达建筑工程有限公司"
        assert item.row["context"] == {
            "file": "530621_中标结果.csv",
            "line": 3,
            "region_code": "530621",
            "units": {"BID_AMOUNT": "万元"},
            "suffixes": {},
        }

    def test_raw_of_a_quoted_cell_spanning_lines_and_after_a_bom(self) -> None:
        rows = [BID_HEADER, [*BID_ROW[:2], '"鲁甸宏达\r\n建筑工程有限公司"', *BID_ROW[3:]], BID_ROW]
        data = codecs.BOM_UTF8 + csv_data(rows)
        first, second = split(data, "530621_投标人名单.csv")
        assert isinstance(first, RawItem)
        assert isinstance(second, RawItem)
        assert first.raw == ",".join(rows[1]).encode()
        assert (first.ref, second.ref) == ("530621_投标人名单.csv:line 2", "530621_投标人名单.csv:line 4")
        assert second.raw == ",".join(BID_ROW).encode()

    def test_raw_of_a_utf16_export(self) -> None:
        data = codecs.BOM_UTF16_LE + "\r\n".join(",".join(row) for row in [BID_HEADER, BID_ROW]).encode(
            "utf-16-le"
        )
        (item,) = split(data, "530621_投标人名单.txt")
        assert isinstance(item, RawItem)
        assert item.raw == ",".join(BID_ROW).encode("utf-16-le")

    def test_good_rows_go_on_past_ragged_ones(self) -> None:
        data = csv_data([BID_HEADER, BID_ROW, BID_ROW[:4], [*BID_ROW, "多余"], BID_ROW])
        items = split(data, "530621_投标人名单.csv")
        assert [type(item).__name__ for item in items] == [
            "RawItem",
            "RejectedItem",
            "RejectedItem",
            "RawItem",
        ]
        assert isinstance(items[1], RejectedItem)
        assert items[1].reasons[0]["code"] == "csv.ragged_row"
        assert items[1].raw == ",".join(BID_ROW[:4]).encode()

    def test_broken_quoting_rejects_the_rest_only(self) -> None:
        data = csv_data([BID_HEADER, BID_ROW]) + b'\r\nA01,"A01001,x\r\n'
        good, rest = split(data, "530621_投标人名单.csv")
        assert isinstance(good, RawItem)
        assert isinstance(rest, RejectedItem)
        assert rest.reasons[0]["code"] == "csv.malformed"
        assert rest.ref == "530621_投标人名单.csv:line 3"
        assert rest.raw == b'\r\nA01,"A01001,x\r\n'

    def test_file_claimed_from_a_drop_folder(self, tmp_path: Path) -> None:
        folder = DropFolder(tmp_path)
        for _ in range(2):  # the second file of the same name is claimed as "~2"
            (folder.incoming / "530621_投标人名单.csv").write_bytes(csv_data([BID_HEADER, BID_ROW], "gbk"))
            (folder.incoming / "530621_投标人名单.csv.done").touch()
            (claimed,) = folder.claim_ready()
        assert claimed.name == "530621_投标人名单~2.csv"
        (item,) = split(claimed.read_bytes(), str(claimed))
        assert isinstance(item, RawItem)
        assert item.ref == "530621_投标人名单~2.csv:line 2"
        assert item.row["context"]["region_code"] == "530621"

    def test_kind_comes_from_the_header_whatever_the_name(self) -> None:
        (item,) = split(csv_data([BID_HEADER, BID_ROW]), "530621_export.csv")
        assert isinstance(item, RawItem)
        assert item.dataset == "county:tender_list"

    def test_county_from_the_title_row(self) -> None:
        data = csv_data([["鲁甸县公共资源交易中心投标人名单"], BID_HEADER, BID_ROW])
        (item,) = split(data, "export.csv")
        assert isinstance(item, RawItem)
        assert item.row["context"]["region_code"] == "530621"

    def test_file_naming_two_counties_is_refused(self) -> None:
        error = refused_file(csv_data([BID_HEADER, BID_ROW]), "鲁甸巧家_投标人名单.csv")
        assert error.detail_code == "county.region_ambiguous"

    def test_xlsx_recognised_by_its_bytes(self) -> None:
        workbook = openpyxl.Workbook()
        workbook.active.append(["兰考县公共资源交易中心投标人名单"])
        for row in (BID_HEADER, BID_ROW):
            workbook.active.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        (item,) = split(buffer.getvalue(), "upload")
        assert isinstance(item, RawItem)
        assert item.ref == "upload:row 3"
        assert item.raw == ",".join(BID_ROW).encode()
        assert item.row["context"]["region_code"] == "410225"

    def test_declared_charset_is_used(self) -> None:
        (item,) = split(
            csv_data([BID_HEADER, BID_ROW], "gbk"), "530621_投标人名单.csv", "text/csv; charset=GBK"
        )
        assert isinstance(item, RawItem)
        assert item.row["fields"]["BIDDER_NAME"] == "鲁甸宏达建筑工程有限公司"

    @pytest.mark.parametrize(
        ("content_type", "is_csv"),
        [("text/csv", True), ("text/plain; charset=utf-8", True), ("application/vnd.ms-excel", False)],
    )
    def test_format_from_the_content_type(self, content_type: str, is_csv: bool) -> None:
        data = csv_data([BID_HEADER, BID_ROW])
        if is_csv:
            (item,) = split(data, "530621_upload", content_type)
            assert isinstance(item, RawItem)
        else:
            assert refused_file(data, "530621_upload", content_type).detail_code == "excel.unreadable"

    def test_declared_utf16_without_a_bom(self) -> None:
        data = "\n".join(",".join(row) for row in [BID_HEADER, BID_ROW]).encode("utf-16-be")
        (item,) = split(data, "530621_投标人名单.csv", "text/csv; charset=UTF-16BE")
        assert isinstance(item, RawItem)
        assert item.raw == ",".join(BID_ROW).encode("utf-16-be")

    def test_declared_charset_that_the_bytes_break(self) -> None:
        error = refused_file(csv_data([BID_HEADER, BID_ROW], "gbk"), "530621.csv", "text/csv; charset=utf-8")
        assert error.detail_code == "encoding.undeclared_mismatch"

    def test_header_matching_no_export_kind(self) -> None:
        error = refused_file(csv_data([["甲", "乙"], ["1", "2"]]), "530621_export.csv")
        assert [detail["code"] for detail in error.details] == ["county.unknown_export"]

    def test_unknown_header_of_a_named_kind(self) -> None:
        header, row = award_with(中标人联系电话="0870-1234567")
        error = refused_file(csv_data([header, row]), "530621_中标结果.csv")
        assert [detail["code"] for detail in error.details] == ["header.unknown"]

    def test_closest_kind_explains_an_unnamed_file(self) -> None:
        error = refused_file(csv_data([AWARD_HEADER[:3], AWARD_ROW[:3]]), "530621_export.csv")
        codes = [detail["code"] for detail in error.details]
        assert codes[0] == "county.unknown_export"
        assert "header.missing_required" in codes

    def test_record_version_column_is_required(self) -> None:
        error = refused_file(csv_data([BID_HEADER[:-1], BID_ROW[:-1]]), "530621_投标人名单.csv")
        assert error.detail_code == "header.missing_required"
        assert "DATA_TIMESTAMP" in error.details[0]["message"]

    def test_money_unit_must_be_knowable_from_the_header(self) -> None:
        header = [name.replace("投标报价(万元)", "投标报价") for name in BID_HEADER]
        error = refused_file(csv_data([header, BID_ROW]), "530621_投标人名单.csv")
        assert error.detail_code == "county.money_unit_unknown"
        assert error.details[0]["pointer"] == "/header/4"

    def test_ambiguous_kinds_are_told_apart_by_name_or_refused(self) -> None:
        mapping = {
            **MAPPING,
            "exports": {
                **MAPPING["exports"],
                "bids_again": {**MAPPING["exports"]["tender_list"], "file_names": ["tbmd"]},
            },
        }
        adapter = CountyCenterAdapter(mapping, id_key=KEY)
        data = csv_data([BID_HEADER, BID_ROW])
        (item,) = adapter.split(data, filename="530621_tbmd.csv")
        assert isinstance(item, RawItem)
        assert item.dataset == "county:bids_again"
        with pytest.raises(SourceFormatError) as caught:
            list(adapter.split(data, filename="530621_export.csv"))
        assert caught.value.detail_code == "county.ambiguous_export"


HEADER_CELLS = st.sampled_from(
    [*AWARD_HEADER, *BID_HEADER, "序号", "备注", "行政区划代码", "", "某某县交易中心汇总表"]
)


class TestSplitIsTotal:
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        header=st.lists(HEADER_CELLS, min_size=1, max_size=8),
        rows=st.lists(st.lists(CELL, max_size=9), max_size=4),
        encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]),
        name=st.sampled_from(["530621_中标结果.csv", "x.xlsx", "export", "鲁甸巧家.csv"]),
    )
    def test_items_or_source_format_error(
        self, header: list[str], rows: list[list[str]], encoding: str, name: str
    ) -> None:
        text = "\r\n".join(
            ",".join(cell.replace(",", ";").replace('"', "") for cell in row) for row in [header, *rows]
        )
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            return
        for item in split_or_error(data, name):
            assert isinstance(item, RawItem | RejectedItem | SourceFormatError)
            if isinstance(item, RawItem):
                assert item.raw in data or encoding == "utf-16"
                assert isinstance(normalized_or_error(item), list | AdapterError)

    @settings(max_examples=100, deadline=None)
    @given(data=st.binary(max_size=300), name=st.sampled_from(["a.csv", "a.xlsx", "a"]))
    def test_random_bytes(self, data: bytes, name: str) -> None:
        for item in split_or_error(data, name):
            assert isinstance(item, RawItem | RejectedItem | SourceFormatError)
