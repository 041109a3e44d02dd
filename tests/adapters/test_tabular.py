from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, ClassVar

import openpyxl
import orjson
import pytest

from adapters.errors import SourceFormatError
from adapters.tabular import (
    DEFAULT_MAX_UNCOMPRESSED,
    MAX_ZIP_ENTRIES,
    Row,
    StrictDecoder,
    find_mojibake,
    map_headers,
    read_csv,
    read_excel,
    resolve_codec,
)

FIXTURES = Path(__file__).parent / "fixtures"
MAPPINGS = Path(__file__).parents[2] / "config" / "mappings" / "county-center.json"

HEADER = "项目编号,投标人名称,投标报价(万元)\n"
ROWS = "E001,昭通市某某建筑有限公司,856.3\nE001,云南某某路桥集团有限公司,861\n"


def csv_refused(data: bytes, **options: Any) -> SourceFormatError:
    with pytest.raises(SourceFormatError) as caught:
        list(read_csv(data, **options).rows())
    assert caught.value.code == "source.unreadable"
    return caught.value


def excel_refused(data: bytes, **options: Any) -> SourceFormatError:
    with pytest.raises(SourceFormatError) as caught:
        list(read_excel(data, **options).rows())
    return caught.value


class TestResolveCodec:
    @pytest.mark.parametrize(
        ("name", "codec"),
        [
            ("UTF8", "utf-8"),
            ("utf-8-sig", "utf-8"),
            ("cp936", "gbk"),
            ("GB2312", "gb2312"),
            ("GB18030", "gb18030"),
            ("latin-1", "iso8859-1"),
            ("UTF-16LE", "utf-16-le"),
        ],
    )
    def test_aliases(self, name: str, codec: str) -> None:
        assert resolve_codec(name) == codec

    @pytest.mark.parametrize(
        "name", ["zlib_codec", "base64", "rot13", "big5", "", "utf\x00-8", "no-such-codec"]
    )
    def test_outside_the_allow_list(self, name: str) -> None:
        with pytest.raises(SourceFormatError) as caught:
            resolve_codec(name)
        assert caught.value.detail_code == "encoding.unsupported"


class TestStrictDecoder:
    def test_offset_counts_bytes_held_from_the_previous_chunk(self) -> None:
        decoder = StrictDecoder("gbk", offset=100)
        good = "标段".encode("gbk")
        assert decoder.decode(good + good[:1]) == "标段"
        with pytest.raises(SourceFormatError) as caught:
            decoder.decode(b"\xff\xff")
        assert caught.value.details[0]["offset"] == 100 + len(good)

    def test_truncated_character_at_the_end(self) -> None:
        decoder = StrictDecoder("utf-8")
        assert decoder.decode("中".encode()[:2]) == ""
        with pytest.raises(SourceFormatError) as caught:
            decoder.decode(b"", final=True)
        assert caught.value.detail_code == "encoding.undeclared_mismatch"
        assert caught.value.details[0]["offset"] == 0


class TestFindMojibake:
    @pytest.mark.parametrize(
        "text",
        [
            "昭通市某某建筑有限公司",
            "中标候选人公示",
            "山西省太原市小店区",
            "项目经理：张伟；工期180日历天",
            "镇雄县彝良县威信县",
            "璇玑堃珺喆",
            "（一标段）【二标段】《招标文件》",
            "１２３ＡＢＣ",
            "Müller GmbH",
            "Café crème",
            "Ærøskøbing",
            "№ 5 — “quoted”",
            "€1.234,56",
            "αβγ 电梯采购与安装",
            "2026年5月20日 10:15",
            "©® «»",
            "“—”",
            "한국어 표기",
            "合同😀😀",
            "ＥＰＣ总承包",
            "é",
            "plain ascii",
        ],
    )
    def test_ordinary_text(self, text: str) -> None:
        assert find_mojibake(text) is None

    @pytest.mark.parametrize(
        ("text", "wrong"),
        [
            ("公司：" + "中标候选人".encode().decode("cp1252"), "cp1252"),
            ("公司：" + "中标候选人".encode().decode("latin-1"), "cp1252"),
            ("公司：" + "中文".encode().decode("cp1252"), "cp1252"),
            ("ABC " + "项目".encode().decode("gbk"), "gbk"),
            ("ABC " + "合同履约".encode().decode("gbk"), "gbk"),
            # an odd number of UTF-8 bytes: the last GBK character swallowed the "x" after it
            (("投标人名单".encode() + b"x").decode("gbk"), "gbk"),
        ],
    )
    def test_utf8_read_with_the_wrong_codec(self, text: str, wrong: str) -> None:
        why = find_mojibake(text)
        assert why is not None
        assert wrong in why

    @pytest.mark.parametrize("text", ["建设\ufffd\ufffd公司", "锟斤拷锟斤拷"])
    def test_traces_of_failed_decoding(self, text: str) -> None:
        assert find_mojibake(text) is not None


class TestReadCsv:
    def test_gbk_export_with_a_title_row(self) -> None:
        table = read_csv((FIXTURES / "county_win_result_gbk.csv").read_bytes(), skip_rows=1)
        assert (table.encoding.codec, table.encoding.how) == ("gb18030", "gb18030-detected")
        assert table.header[:3] == ["项目编号", "标段（包）编号", "中标人名称"]
        assert table.header_line == 2
        rows = list(table.rows())
        assert [row.line for row in rows] == [3, 4]
        assert rows[1].values is not None
        assert rows[1].values["中标人名称"] == "云南某某路桥集团有限公司,联合体"
        assert rows[1].values["中标金额（万元）"] == "1,204.5"

    def test_utf8_with_bom(self) -> None:
        table = read_csv((FIXTURES / "county_tender_list_bom.csv").read_bytes())
        assert (table.encoding.codec, table.encoding.how) == ("utf-8", "bom")
        assert table.header[0] == "项目编号"
        assert [row.values["项目经理"] for row in table.rows() if row.values] == ["李娜", "王强"]

    def test_valid_utf8(self) -> None:
        table = read_csv((HEADER + ROWS).encode())
        assert (table.encoding.codec, table.encoding.how) == ("utf-8", "utf-8-valid")
        assert len(list(table.rows())) == 2

    def test_utf16_tab_separated_unicode_text(self) -> None:
        table = read_csv((HEADER + ROWS).replace(",", "\t").encode("utf-16"), delimiter="\t")
        assert (table.encoding.codec, table.encoding.how) == ("utf-16", "bom")
        assert table.header == ["项目编号", "投标人名称", "投标报价(万元)"]

    def test_declared_encoding(self) -> None:
        table = read_csv((HEADER + ROWS).encode("gbk"), encoding="GBK")
        assert (table.encoding.codec, table.encoding.how) == ("gbk", "declared")
        assert next(table.rows()).values == {
            "项目编号": "E001",
            "投标人名称": "昭通市某某建筑有限公司",
            "投标报价(万元)": "856.3",
        }

    def test_declared_utf8_with_a_bom(self) -> None:
        table = read_csv(b"\xef\xbb\xbf" + (HEADER + ROWS).encode(), encoding="utf-8")
        assert table.header[0] == "项目编号"

    def test_declared_utf8_but_bytes_are_gbk(self) -> None:
        data = (HEADER + ROWS).encode("gbk")
        error = csv_refused(data, encoding="utf-8")
        assert error.detail_code == "encoding.undeclared_mismatch"
        assert error.details[0]["offset"] == 0

    def test_declared_gbk_but_bytes_start_with_a_utf8_bom(self) -> None:
        error = csv_refused(b"\xef\xbb\xbf" + (HEADER + ROWS).encode(), encoding="gbk")
        assert error.detail_code == "encoding.undeclared_mismatch"

    def test_declared_gbk_but_bytes_are_utf8(self) -> None:
        data = ("项目编号,名称\nE001,中\n").encode()
        error = csv_refused(data, encoding="gbk")
        assert error.detail_code == "encoding.undeclared_mismatch"
        assert error.details[0]["offset"] > 0

    def test_declared_encoding_outside_the_allow_list(self) -> None:
        assert (
            csv_refused((HEADER + ROWS).encode(), encoding="zlib_codec").detail_code == "encoding.unsupported"
        )

    @pytest.mark.parametrize(
        "data",
        [
            "項目編號,項目名稱,中標單位\nA001,台北市道路工程,某某建設有限公司\n".encode("big5"),
            "プロジェクト番号,名前,金額\nA001,東京道路工事,株式会社テスト\n".encode("shift_jis"),
            "A001,张三\n".encode("gbk"),
        ],
        ids=["big5", "shift-jis", "too-little-text"],
    )
    def test_gb18030_that_does_not_read_as_chinese(self, data: bytes) -> None:
        error = csv_refused(data)
        assert error.detail_code == "encoding.undetectable"
        assert "Declare the encoding" in error.message

    def test_neither_utf8_nor_gb18030(self) -> None:
        error = csv_refused("Nom,Prénom\nDupont,Chloé\n".encode("latin-1"))
        assert error.detail_code == "encoding.undetectable"

    def test_empty_file(self) -> None:
        assert csv_refused(b"").detail_code == "file.empty"
        assert csv_refused(b"\xef\xbb\xbf").detail_code == "file.empty"

    def test_only_blank_lines(self) -> None:
        assert csv_refused(b"\r\n , \r\n\r\n").detail_code == "csv.no_header"
        assert csv_refused(b"\xef\xbb\xbf\xef\xbb\xbf,\n").detail_code == "csv.no_header"
        assert csv_refused(b"a,b\n", skip_rows=1).detail_code == "csv.no_header"

    def test_too_large(self) -> None:
        assert csv_refused((HEADER + ROWS).encode(), max_bytes=20).detail_code == "file.too_large"

    def test_too_large_found_while_trying_gb18030(self) -> None:
        data = "项目".encode("gbk") + b"x" * 300_000
        assert csv_refused(data, max_bytes=280_000).detail_code == "file.too_large"

    def test_ragged_rows_are_reported_and_reading_goes_on(self) -> None:
        data = (HEADER + "E001,甲公司\nE002,乙公司,1,2\nE003,丙公司,3,,\nE004,丁公司,4\n").encode()
        rows = list(read_csv(data).rows())
        assert [row.line for row in rows] == [2, 3, 4, 5]
        assert [row.error.code if row.error else None for row in rows] == [
            "csv.ragged_row",
            "csv.ragged_row",
            None,
            None,
        ]
        assert rows[0].values is None
        assert rows[0].cells == ("E001", "甲公司")
        assert rows[0].error is not None
        assert rows[0].error.as_detail() == {
            "pointer": "/line/2",
            "code": "csv.ragged_row",
            "message": "2 cells where the header has 3",
            "line": 2,
        }
        assert rows[2].values == {"项目编号": "E003", "投标人名称": "丙公司", "投标报价(万元)": "3"}

    def test_line_numbers_count_lines_inside_quoted_cells(self) -> None:
        data = (HEADER + 'E001,"多行\n名称",1\n\nE002,乙,2\n').encode()
        rows = list(read_csv(data).rows())
        assert [row.line for row in rows] == [2, 5]
        assert rows[0].values is not None
        assert rows[0].values["投标人名称"] == "多行\n名称"

    def test_broken_quoting_raises_with_the_line(self) -> None:
        error = csv_refused((HEADER + 'E001,"甲"公司,1\n').encode())
        assert error.detail_code == "csv.malformed"
        assert error.details[0]["line"] == 2

    def test_header_problems_are_reported_together(self) -> None:
        with pytest.raises(SourceFormatError) as caught:
            read_csv("项目编号,,名称,名称\n1,2,3,4\n".encode())
        assert [detail["code"] for detail in caught.value.details] == ["header.blank", "header.duplicate"]
        assert [detail["pointer"] for detail in caught.value.details] == ["/header/1", "/header/3"]

    def test_trailing_blank_header_cells_are_dropped(self) -> None:
        table = read_csv(" 项目编号 ,名称,,\nE001,甲,,\n".encode())
        assert table.header == ["项目编号", "名称"]
        assert next(table.rows()).values == {"项目编号": "E001", "名称": "甲"}

    def test_mojibake_cell(self) -> None:
        mangled = "异常报告".encode().decode("gbk")
        data = (HEADER + f"E001,{mangled},1\nE002,乙,2\n").encode()
        rows = list(read_csv(data).rows())
        assert rows[0].error is not None
        assert (rows[0].error.code, rows[0].error.pointer) == ("encoding.mojibake", "/line/2/投标人名称")
        assert rows[1].values is not None
        assert next(read_csv(data, check_mojibake=False).rows()).values is not None

    def test_rows_can_be_read_again(self) -> None:
        table = read_csv((HEADER + ROWS).encode())
        assert list(table.rows()) == list(table.rows())

    def test_stream_stays_open_for_its_owner(self) -> None:
        stream = io.BytesIO((HEADER + ROWS).encode("gbk"))
        rows = list(read_csv(stream).rows())
        assert len(rows) == 2
        assert not stream.closed

    def test_unseekable_stream(self) -> None:
        class Pipe(io.RawIOBase):
            def readable(self) -> bool:
                return True

        assert csv_refused(Pipe()).detail_code == "file.unseekable"  # type: ignore[arg-type]

    @pytest.mark.slow
    def test_fifty_megabytes_of_gbk_in_bounded_memory(self, tmp_path: Path) -> None:
        path = tmp_path / "win_result.csv"
        line = "E5306210000000002001,昭通市某某建筑有限公司," + "工程概况与招标范围" * 40 + ",856.3\r\n"
        encoded = line.encode("gbk")
        count = 50 * 2**20 // len(encoded) + 1
        with path.open("wb") as out:
            out.write("项目编号,中标人名称,公告内容,中标金额(万元)\r\n".encode("gbk"))
            for _ in range(count):
                out.write(encoded)
        tracemalloc.start()
        try:
            with path.open("rb") as stream:
                table = read_csv(stream)
                seen = sum(1 for row in table.rows() if row.values is not None)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert table.encoding.how == "gb18030-detected"
        assert seen == count
        assert peak < 8 * 2**20  # the file is 50 MiB; one record at a time stays far below


def workbook_bytes(rows: list[list[Any]], *, title: str = "中标结果", extra_sheet: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        workbook.create_sheet("投标人名单").append(["投标人名称"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rezip(data: bytes, replace: dict[str, bytes], *, level: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", level) as target:
        for entry in source.infolist():
            target.writestr(entry.filename, replace.pop(entry.filename, source.read(entry)))
        for name, content in replace.items():
            target.writestr(name, content)
    return out.getvalue()


class TestReadExcel:
    def test_values_become_text(self) -> None:
        data = workbook_bytes(
            [
                ["某某县公共资源交易中心中标结果公示汇总表"],
                [
                    "项目编号",
                    "中标人名称",
                    "中标金额(万元)",
                    "工期",
                    "发布时间",
                    "开标日",
                    "开标时刻",
                    "是否联合体",
                    "备注",
                ],
                [
                    "E001",
                    "昭通市某某建筑有限公司",
                    856.3,
                    180,
                    datetime(2026, 5, 18, 9, 0),  # noqa: DTZ001 - spreadsheet cells carry no time zone
                    date(2026, 5, 10),
                    time(9, 30),
                    False,
                    None,
                ],
                [None],
                ["E002", "云南某某路桥集团有限公司", 1204.0, 90.0],
            ]
        )
        table = read_excel(data, skip_rows=1)
        assert table.encoding is None
        assert table.header_line == 2
        rows = list(table.rows())
        assert [row.line for row in rows] == [3, 5]
        assert rows[0].values == {
            "项目编号": "E001",
            "中标人名称": "昭通市某某建筑有限公司",
            "中标金额(万元)": "856.3",
            "工期": "180",
            "发布时间": "2026-05-18 09:00:00",
            "开标日": "2026-05-10 00:00:00",
            "开标时刻": "09:30:00",
            "是否联合体": "false",
            "备注": "",
        }
        assert rows[1].values is not None
        assert (rows[1].values["中标金额(万元)"], rows[1].values["备注"]) == ("1204", "")

    def test_sheet_by_name(self) -> None:
        data = workbook_bytes([["项目编号"], ["E001"]], extra_sheet=True)
        assert read_excel(data, sheet="投标人名单").header == ["投标人名称"]
        assert excel_refused(data, sheet="不存在").detail_code == "excel.unknown_sheet"

    def test_workbook_of_chart_sheets(self) -> None:
        workbook = openpyxl.Workbook()
        workbook.create_chartsheet("图表")
        out = io.BytesIO()
        workbook.save(out)
        assert excel_refused(out.getvalue(), sheet="图表").detail_code == "excel.unreadable"

    def test_cells_beyond_the_header(self) -> None:
        data = workbook_bytes([["项目编号", "名称"], ["E001", "甲", "多出来的"], ["E002", "乙", True]])
        rows = list(read_excel(data).rows())
        assert rows[0].error is not None
        assert rows[0].error.code == "excel.ragged_row"
        assert rows[1].error is not None
        assert rows[1].cells == ("E002", "乙", "true")

    def test_empty_sheet(self) -> None:
        assert excel_refused(workbook_bytes([])).detail_code == "excel.no_header"

    def test_empty_file(self) -> None:
        assert excel_refused(b"").detail_code == "file.empty"

    def test_too_large(self) -> None:
        assert excel_refused(workbook_bytes([["a"]]), max_bytes=100).detail_code == "file.too_large"

    def test_legacy_xls(self) -> None:
        data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
        assert excel_refused(data).detail_code == "excel.legacy_format"

    @pytest.mark.parametrize(
        "data",
        [
            "项目编号,名称\nE001,甲\n".encode("gbk"),
            b"<html><table><tr><td>E001</td></tr></table></html>",
            b"PK\x03\x04 truncated",
        ],
        ids=["csv", "html-saved-as-xls", "broken-zip"],
    )
    def test_not_a_zip(self, data: bytes) -> None:
        assert excel_refused(data).detail_code == "excel.unreadable"

    def test_zip_without_a_workbook(self) -> None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("readme.txt", "不是工作簿")
        assert excel_refused(out.getvalue()).detail_code == "excel.unreadable"

    def test_short_rows_of_a_sheet_without_dimensions_are_padded(self) -> None:
        data = workbook_bytes([["项目编号", "名称", "金额"], ["E001"]])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml")
        data = rezip(data, {"xl/worksheets/sheet1.xml": sheet.replace(b'<dimension ref="A1:C2"/>', b"")})
        [row] = read_excel(data).rows()
        assert (row.values, row.cells) == ({"项目编号": "E001", "名称": "", "金额": ""}, ("E001",))

    def test_cell_that_breaks_the_reader_while_rows_are_read(self) -> None:
        data = workbook_bytes([["项目编号"], ["E001"]])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml")
        broken = sheet.replace(
            b'<c r="A2" t="inlineStr"><is><t>E001</t></is></c>', b'<c r="A2"><v>abc</v></c>'
        )
        table = read_excel(rezip(data, {"xl/worksheets/sheet1.xml": broken}))
        assert table.header == ["项目编号"]
        with pytest.raises(SourceFormatError) as caught:
            list(table.rows())
        assert caught.value.detail_code == "excel.unreadable"

    def test_damaged_sheet(self) -> None:
        data = rezip(
            workbook_bytes([["a"], ["1"]]), {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row>"}
        )
        assert excel_refused(data).detail_code == "excel.unreadable"

    def test_zip_bomb_by_compression_ratio(self) -> None:
        data = rezip(workbook_bytes([["a"]]), {"xl/media/image1.png": b"\x00" * (40 * 2**20)})
        assert len(data) < 2**20
        error = excel_refused(data)
        assert error.detail_code == "excel.zip_bomb"
        assert "image1.png" in error.message

    def test_zip_bomb_by_declared_size(self) -> None:
        data = bytearray(
            rezip(workbook_bytes([["a"]]), {"xl/media/big.bin": b"x" * 1000}, level=zipfile.ZIP_STORED)
        )
        # The last central-directory record is big.bin's; its uncompressed size sits at offset 24.
        record = data.rindex(b"PK\x01\x02")
        assert data[record + 46 : record + 46 + len(b"xl/media/big.bin")] == b"xl/media/big.bin"
        struct.pack_into("<I", data, record + 24, DEFAULT_MAX_UNCOMPRESSED + 1)
        assert excel_refused(bytes(data)).detail_code == "excel.zip_bomb"

    def test_zip_bomb_by_entry_count(self) -> None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for index in range(MAX_ZIP_ENTRIES + 1):
                archive.writestr(f"xl/{index}.xml", b"")
        assert excel_refused(out.getvalue()).detail_code == "excel.zip_bomb"

    def test_uncompressed_limit_is_a_parameter(self) -> None:
        assert excel_refused(workbook_bytes([["a"]]), max_uncompressed=1000).detail_code == "excel.zip_bomb"

    def test_doctype_inside_a_part(self) -> None:
        sheet = (
            b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row>'
            b"</sheetData></worksheet>"
        )
        data = rezip(workbook_bytes([["a"]]), {"xl/worksheets/sheet1.xml": sheet})
        assert excel_refused(data).detail_code == "excel.forbidden_dtd"


class TestMapHeaders:
    MAPPING: ClassVar[dict[str, str]] = {
        "项目编号": "TENDER_PROJECT_CODE",
        "中标金额(万元)": "BID_AMOUNT",
        "中标人名称": "WIN_BIDDER_NAME",
    }

    def test_spelling_variants_match(self) -> None:
        header = [" 项目编号", "中标金额（万元）", "中标人 名称"]
        assert map_headers(header, self.MAPPING) == {
            0: "TENDER_PROJECT_CODE",
            1: "BID_AMOUNT",
            2: "WIN_BIDDER_NAME",
        }

    def test_every_problem_is_reported_at_once(self) -> None:
        with pytest.raises(SourceFormatError) as caught:
            map_headers(
                ["项目编号", "备注", "项目编号"], self.MAPPING, required=["BID_AMOUNT", "TENDER_PROJECT_CODE"]
            )
        details = caught.value.details
        assert [detail["code"] for detail in details] == [
            "header.unknown",
            "header.duplicate",
            "header.missing_required",
        ]
        assert [detail["pointer"] for detail in details] == ["/header/1", "/header/2", "/header"]
        assert "中标金额(万元)" in details[2]["message"]

    def test_unknown_columns_may_be_allowed(self) -> None:
        assert map_headers(["备注", "项目编号"], self.MAPPING, allow_unknown=True) == {
            1: "TENDER_PROJECT_CODE"
        }

    def test_required_field_that_the_mapping_cannot_give(self) -> None:
        with pytest.raises(SourceFormatError) as caught:
            map_headers(["项目编号"], self.MAPPING, required=["PM_NAME"])
        assert "none mapped" in caught.value.details[0]["message"]

    def test_mapping_with_conflicting_spellings(self) -> None:
        with pytest.raises(ValueError, match="two spellings"):
            map_headers(["项目编号"], {"项目编号": "A", "项目 编号": "B"})

    @pytest.mark.parametrize(
        ("fixture", "export", "reader_options"),
        [
            ("county_win_result_gbk.csv", "win_result", {"skip_rows": 1}),
            ("county_tender_list_bom.csv", "tender_list", {}),
        ],
    )
    def test_county_center_mapping(self, fixture: str, export: str, reader_options: dict[str, Any]) -> None:
        spec = orjson.loads(MAPPINGS.read_bytes())["exports"][export]
        table = read_csv((FIXTURES / fixture).read_bytes(), **reader_options)
        columns = map_headers(table.header, spec["columns"], required=spec["required"])
        assert set(spec["required"]) <= set(columns.values())
        row: Row = next(table.rows())
        assert row.values is not None
        mapped = {field_name: row.values[table.header[index]] for index, field_name in columns.items()}
        assert mapped["TENDER_PROJECT_CODE"] == "E5306210000000002001"
