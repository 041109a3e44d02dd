from __future__ import annotations

import io
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from adapters.errors import SourceFormatError
from adapters.xml_source import (
    CHUNK_SIZE,
    DATASETS,
    MAX_DEPTH,
    MAX_TOKEN_CHARS,
    iter_datasets,
    parse_dataset,
    parse_json_dataset,
)

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def refused(data: bytes, **options: Any) -> SourceFormatError:
    with pytest.raises(SourceFormatError) as caught:
        parse_dataset(data, **options)
    assert caught.value.code == "source.unreadable"
    assert caught.value.status == 422
    return caught.value


class TestParseDataset:
    def test_one_business_object_per_document(self) -> None:
        code, rows = parse_dataset(fixture("gcjs_win_candidate.xml"))
        assert code == "GCJS_WIN_CANDIDATE"
        assert len(rows) == 1
        assert rows[0]["WIN_CANDIDATE_NAME"] == "山西某某建设工程有限公司"
        assert rows[0]["NOTICE_NAME"].endswith("中标候选人公示")
        assert rows[0]["RATE"] == ""

    def test_records_of_a_gbk_document(self) -> None:
        code, rows = parse_dataset(fixture("gcjs_tender_list_gbk.xml"))
        assert code == "GCJS_TENDER_LIST"
        assert [row["BIDDER_NAME"] for row in rows] == ["昭通市某某建筑有限公司", "云南某某路桥集团有限公司"]

    def test_row_elements_work_like_record_elements(self) -> None:
        _, rows = parse_dataset(b"<GCJS_SECTION><ROW><A>1</A></ROW><ROW><A>2</A></ROW></GCJS_SECTION>")
        assert rows == [{"A": "1"}, {"A": "2"}]

    def test_batch_of_one_dataset(self) -> None:
        data = (
            b"<DATASETS><GCJS_SECTION><A>1</A></GCJS_SECTION><GCJS_SECTION><A>2</A></GCJS_SECTION></DATASETS>"
        )
        assert parse_dataset(data) == ("GCJS_SECTION", [{"A": "1"}, {"A": "2"}])

    def test_batch_of_several_datasets_is_for_iter_datasets(self) -> None:
        error = refused(fixture("datasets_batch.xml"))
        assert error.detail_code == "xml.mixed_datasets"

    def test_batch_refused_when_not_allowed(self) -> None:
        data = b"<DATASETS><GCJS_SECTION><A>1</A></GCJS_SECTION></DATASETS>"
        assert refused(data, allow_batch=False).detail_code == "xml.unknown_dataset"

    def test_nested_and_repeated_fields(self) -> None:
        data = (
            b'<GCJS_RESULT_NOTICE xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            b"<ATTACHMENTS><FILE><CODE>F1</CODE></FILE><FILE><CODE>F2</CODE></FILE></ATTACHMENTS>"
            b"<TAG>a</TAG><TAG>b</TAG><TAG>c</TAG>"
            b'<RATE xsi:nil="true"/><OTHER xsi:type="xs:string">x</OTHER>'
            b"</GCJS_RESULT_NOTICE>"
        )
        _, [row] = parse_dataset(data)
        assert row == {
            "ATTACHMENTS": {"FILE": [{"CODE": "F1"}, {"CODE": "F2"}]},
            "TAG": ["a", "b", "c"],
            "RATE": None,
            "OTHER": "x",
        }

    def test_namespaces_are_ignored(self) -> None:
        data = b'<ns2:GCJS_SECTION xmlns:ns2="urn:x"><ns2:A>1</ns2:A><B>2</B></ns2:GCJS_SECTION>'
        assert parse_dataset(data) == ("GCJS_SECTION", [{"A": "1", "B": "2"}])

    def test_text_is_kept_verbatim_with_cdata_and_character_references(self) -> None:
        data = "<GCJS_SECTION><A> 一 &amp; 二 </A><B><![CDATA[<p>三</p>]]></B><C>&#x56DB;</C></GCJS_SECTION>"
        _, [row] = parse_dataset(data.encode())
        assert row == {"A": " 一 & 二 ", "B": "<p>三</p>", "C": "四"}

    def test_accepted_datasets_are_a_parameter(self) -> None:
        data = b"<GCJS_SECTION><A>1</A></GCJS_SECTION>"
        assert refused(data, accepted={"GCJS_TENDER_PROJECT"}).detail_code == "xml.unknown_dataset"
        assert parse_dataset(b"<LOCAL_SET><A>1</A></LOCAL_SET>", accepted={"LOCAL_SET"})[0] == "LOCAL_SET"

    def test_default_datasets(self) -> None:
        assert {"GCJS_TENDER_PROJECT", "GCJS_WIN_CANDIDATE", "WEB_UNICODE_RECORD"} <= DATASETS
        assert len(DATASETS) == 10


class TestHostileXml:
    def test_external_entity_to_a_local_file(self) -> None:
        error = refused(fixture("xxe.xml"))
        assert error.detail_code == "xml.external_entity"
        assert "root:" not in str(error.details)

    def test_external_parameter_entity(self) -> None:
        data = b'<!DOCTYPE x [<!ENTITY % ext SYSTEM "http://example.invalid/x.dtd"> %ext;]><GCJS_SECTION/>'
        assert refused(data).detail_code == "xml.external_entity"

    def test_billion_laughs(self) -> None:
        assert refused(fixture("billion_laughs.xml")).detail_code == "xml.entity_expansion"

    def test_quadratic_blowup(self) -> None:
        entity = "x" * 50_000
        data = f'<!DOCTYPE q [<!ENTITY a "{entity}">]><GCJS_SECTION><A>{"&a;" * 20_000}</A></GCJS_SECTION>'
        assert refused(data.encode()).detail_code == "xml.entity_expansion"

    def test_external_dtd(self) -> None:
        assert refused(fixture("external_dtd.xml")).detail_code == "xml.forbidden_dtd"

    def test_any_doctype_is_refused(self) -> None:
        assert refused(b"<!DOCTYPE GCJS_SECTION><GCJS_SECTION><A>1</A></GCJS_SECTION>").detail_code == (
            "xml.forbidden_dtd"
        )
        data = b"<!DOCTYPE GCJS_SECTION [<!ELEMENT A ANY>]><GCJS_SECTION><A>1</A></GCJS_SECTION>"
        assert refused(data).detail_code == "xml.forbidden_dtd"

    def test_undeclared_entity_reference(self) -> None:
        assert refused(b"<GCJS_SECTION><A>&nbsp;</A></GCJS_SECTION>").detail_code == "xml.malformed"

    def test_truncated_in_text(self) -> None:
        data = fixture("gcjs_win_candidate.xml")
        error = refused(data[: data.index(b"<BID_PRICE>") + 13])
        assert error.detail_code == "xml.truncated"
        assert error.details[0]["line"] > 1

    def test_truncated_in_a_tag(self) -> None:
        assert refused(b"<GCJS_SECTION><A>1</A").detail_code == "xml.truncated"

    def test_malformed_with_position(self) -> None:
        error = refused(b"<GCJS_SECTION>\n<A>1</B>\n</GCJS_SECTION>")
        assert error.detail_code == "xml.malformed"
        assert (error.details[0]["line"], error.details[0]["column"]) == (2, 6)

    def test_junk_after_the_root(self) -> None:
        assert refused(b"<GCJS_SECTION><A>1</A></GCJS_SECTION><X/>").detail_code == "xml.malformed"

    def test_unknown_dataset(self) -> None:
        error = refused(b"<GCJS_SOMETHING_ELSE><A>1</A></GCJS_SOMETHING_ELSE>")
        assert error.detail_code == "xml.unknown_dataset"
        assert error.details[0]["pointer"] == "/GCJS_SOMETHING_ELSE"

    def test_unknown_dataset_inside_a_batch(self) -> None:
        data = b"<DATASETS><DATASETS><A>1</A></DATASETS></DATASETS>"
        assert refused(data).detail_code == "xml.unknown_dataset"

    @pytest.mark.parametrize("data", [b"", b"  \r\n\t "], ids=["no-bytes", "whitespace"])
    def test_empty(self, data: bytes) -> None:
        assert refused(data).detail_code == "file.empty"

    def test_too_large(self) -> None:
        assert refused(b"<GCJS_SECTION><A>1</A></GCJS_SECTION>", max_bytes=10).detail_code == "xml.too_large"

    def test_too_large_while_streaming(self) -> None:
        stream = io.BytesIO(b"<GCJS_SECTION>" + b"<A>1</A>" * 20_000 + b"</GCJS_SECTION>")
        with pytest.raises(SourceFormatError) as caught:
            list(iter_datasets(stream, max_bytes=100_000))
        assert caught.value.detail_code == "xml.too_large"

    def test_nesting_too_deep(self) -> None:
        depth = MAX_DEPTH + 2
        data = "<GCJS_SECTION>" + "<A>" * depth + "1" + "</A>" * depth + "</GCJS_SECTION>"
        assert refused(data.encode()).detail_code == "xml.too_deep"

    def test_record_too_large(self) -> None:
        stream = io.BytesIO(b"<GCJS_SECTION><RECORD><A>" + b"x" * 5000 + b"</A></RECORD></GCJS_SECTION>")
        with pytest.raises(SourceFormatError) as caught:
            list(iter_datasets(stream, max_record_chars=1000))
        assert caught.value.detail_code == "xml.record_too_large"
        assert caught.value.details[0]["pointer"] == "/GCJS_SECTION/0/A"

    def test_many_empty_elements_count_against_the_record(self) -> None:
        stream = io.BytesIO(b"<GCJS_SECTION><RECORD>" + b"<A/>" * 100 + b"</RECORD></GCJS_SECTION>")
        with pytest.raises(SourceFormatError) as caught:
            list(iter_datasets(stream, max_record_chars=1000))
        assert caught.value.detail_code == "xml.record_too_large"

    def test_oversized_markup_token(self) -> None:
        # The bound is checked between chunks, so the token must pass it by more than a chunk.
        tag = b"<GCJS_SECTION " + b" " * (MAX_TOKEN_CHARS + 2 * CHUNK_SIZE) + b">"
        assert refused(tag + b"<A>1</A></GCJS_SECTION>", max_bytes=2 * MAX_TOKEN_CHARS).detail_code == (
            "xml.markup_too_large"
        )

    def test_long_text_is_not_a_token(self) -> None:
        long_text = b"y" * (MAX_TOKEN_CHARS + 10)
        data = b"<GCJS_SECTION><!-- c --><?pi x?><A>" + long_text + b"</A></GCJS_SECTION>"
        [(_, row)] = iter_datasets(io.BytesIO(data), max_record_chars=2 * MAX_TOKEN_CHARS)
        assert len(row["A"]) == len(long_text)


class TestXmlShape:
    @pytest.mark.parametrize(
        ("data", "code"),
        [
            (b"<GCJS_SECTION/>", "xml.no_records"),
            (b"<GCJS_SECTION>  </GCJS_SECTION>", "xml.no_records"),
            (b"<DATASETS></DATASETS>", "xml.no_records"),
            (b"<GCJS_SECTION>text<A>1</A></GCJS_SECTION>", "xml.bad_shape"),
            (b"<GCJS_SECTION><A>1</A>text</GCJS_SECTION>", "xml.bad_shape"),
            (b"<DATASETS>text</DATASETS>", "xml.bad_shape"),
            (b"<GCJS_SECTION><A>1<B>2</B></A></GCJS_SECTION>", "xml.bad_shape"),
            (b"<GCJS_SECTION><A>1</A><RECORD><A>2</A></RECORD></GCJS_SECTION>", "xml.bad_shape"),
            (b"<GCJS_SECTION><RECORD><A>2</A></RECORD><A>1</A></GCJS_SECTION>", "xml.bad_shape"),
            (b"<GCJS_SECTION><RECORD>text</RECORD></GCJS_SECTION>", "xml.bad_shape"),
            (b"<GCJS_SECTION><RECORD/></GCJS_SECTION>", "xml.bad_shape"),
            (b'<GCJS_SECTION><A unit="wan">1</A></GCJS_SECTION>', "xml.unexpected_attribute"),
            (b'<GCJS_SECTION version="2"><A>1</A></GCJS_SECTION>', "xml.unexpected_attribute"),
        ],
    )
    def test_refused_shapes(self, data: bytes, code: str) -> None:
        assert refused(data).detail_code == code

    def test_pointer_names_the_field(self) -> None:
        error = refused(
            b"<GCJS_SECTION><RECORD><A>1</A></RECORD><RECORD><B><C u='1'/></B></RECORD></GCJS_SECTION>"
        )
        assert error.details[0]["pointer"] == "/GCJS_SECTION/1/B"

    def test_nil_written_as_one(self) -> None:
        xsi = b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        data = b"<GCJS_SECTION " + xsi + b'><A xsi:nil="1"/></GCJS_SECTION>'
        assert parse_dataset(data)[1] == [{"A": None}]


class TestXmlEncoding:
    def test_gbk_declared_and_gbk_bytes(self) -> None:
        data = '<?xml version="1.0" encoding="GB2312"?><GCJS_SECTION><A>标段</A></GCJS_SECTION>'.encode(
            "gb2312"
        )
        assert parse_dataset(data)[1] == [{"A": "标段"}]

    def test_declares_utf8_bytes_are_gbk(self) -> None:
        prefix = '<?xml version="1.0" encoding="UTF-8"?><GCJS_SECTION><A>'
        data = (prefix + "标段</A></GCJS_SECTION>").encode("gbk")
        error = refused(data)
        assert error.detail_code == "encoding.undeclared_mismatch"
        assert error.details[0]["offset"] == len(prefix)

    def test_undeclared_gbk_is_not_utf8(self) -> None:
        error = refused("<GCJS_SECTION><A>标段</A></GCJS_SECTION>".encode("gbk"))
        assert error.detail_code == "encoding.undeclared_mismatch"
        assert error.details[0]["offset"] == len("<GCJS_SECTION><A>")

    def test_offset_past_the_first_chunk(self) -> None:
        prefix = b"<GCJS_SECTION><A>" + b"x" * 100_000
        error = refused(prefix + "标".encode("gbk") + b"</A></GCJS_SECTION>")
        assert error.details[0]["offset"] == len(prefix)

    def test_declares_gbk_bytes_are_utf8_that_does_not_decode(self) -> None:
        data = '<?xml version="1.0" encoding="GBK"?><GCJS_SECTION><A>中</A></GCJS_SECTION>'.encode()
        assert refused(data).detail_code == "encoding.undeclared_mismatch"

    def test_declares_gbk_bytes_are_utf8_that_decodes_into_mojibake(self) -> None:
        data = '<?xml version="1.0" encoding="GBK"?><GCJS_SECTION><A>项目</A></GCJS_SECTION>'.encode()
        error = refused(data)
        assert error.detail_code == "encoding.mojibake"
        assert error.details[0]["pointer"] == "/GCJS_SECTION/0/A"

    def test_mojibake_text(self) -> None:
        mangled = "中文".encode().decode("cp1252")
        data = f"<GCJS_SECTION><A>{mangled}</A></GCJS_SECTION>".encode()
        assert refused(data).detail_code == "encoding.mojibake"

    def test_mojibake_check_can_be_turned_off(self) -> None:
        data = "<GCJS_SECTION><A>锟斤拷</A></GCJS_SECTION>".encode()
        assert refused(data).detail_code == "encoding.mojibake"
        assert parse_dataset(data, check_mojibake=False)[1] == [{"A": "锟斤拷"}]

    def test_truncated_multibyte_character_at_the_end(self) -> None:
        data = "<GCJS_SECTION><A>标</A></GCJS_SECTION>".encode() + "标".encode()[:2]
        error = refused(data)
        assert error.detail_code == "encoding.undeclared_mismatch"
        assert error.details[0]["offset"] == len(data) - 2

    def test_utf8_bom(self) -> None:
        data = (
            b"\xef\xbb\xbf"
            + '<?xml version="1.0" encoding="utf-8"?><GCJS_SECTION><A>一</A></GCJS_SECTION>'.encode()
        )
        assert parse_dataset(data)[1] == [{"A": "一"}]

    def test_utf8_bom_with_a_gbk_declaration(self) -> None:
        data = b"\xef\xbb\xbf" + b'<?xml version="1.0" encoding="GBK"?><GCJS_SECTION><A>1</A></GCJS_SECTION>'
        assert refused(data).detail_code == "encoding.undeclared_mismatch"

    @pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
    def test_utf16_with_bom(self, codec: str) -> None:
        text = '<?xml version="1.0" encoding="UTF-16"?><GCJS_SECTION><A>一</A></GCJS_SECTION>'
        data = text.encode(codec) if codec == "utf-16" else b"\xfe\xff" + text.encode(codec)
        assert parse_dataset(data)[1] == [{"A": "一"}]

    def test_utf16_bom_with_a_utf8_declaration(self) -> None:
        data = '<?xml version="1.0" encoding="UTF-8"?><GCJS_SECTION><A>1</A></GCJS_SECTION>'.encode("utf-16")
        assert refused(data).detail_code == "encoding.undeclared_mismatch"

    def test_utf16_declared_without_a_bom(self) -> None:
        data = b'<?xml version="1.0" encoding="UTF-16"?><GCJS_SECTION><A>1</A></GCJS_SECTION>'
        assert refused(data).detail_code == "encoding.undeclared_mismatch"

    @pytest.mark.parametrize("name", ["zlib_codec", "rot13", "EBCDIC-NOPE", "big5"])
    def test_codecs_outside_the_allow_list(self, name: str) -> None:
        data = f'<?xml version="1.0" encoding="{name}"?><GCJS_SECTION><A>1</A></GCJS_SECTION>'.encode()
        assert refused(data).detail_code == "encoding.unsupported"

    @pytest.mark.parametrize("codec", ["utf-8", "gb18030"])
    def test_characters_split_across_chunks(self, codec: str) -> None:
        text = f'<?xml version="1.0" encoding="{codec}"?><GCJS_SECTION><A>' + "中标候选人" * 30_000
        assert parse_dataset((text + "</A></GCJS_SECTION>").encode(codec))[1][0]["A"] == "中标候选人" * 30_000

    def test_forced_encoding_ignores_the_declaration(self) -> None:
        data = '\ufeff<?xml version="1.0" encoding="GBK"?><GCJS_SECTION><A>项目</A></GCJS_SECTION>'.encode()
        assert parse_dataset(data, encoding="utf-8")[1] == [{"A": "项目"}]
        data_gbk = "<GCJS_SECTION><A>项目</A></GCJS_SECTION>".encode("gbk")
        assert parse_dataset(data_gbk, encoding="gb18030")[1] == [{"A": "项目"}]


class TestIterDatasets:
    def test_batch_of_several_datasets(self) -> None:
        items = list(iter_datasets(io.BytesIO(fixture("datasets_batch.xml"))))
        assert [code for code, _ in items] == ["GCJS_TENDER_PROJECT", "GCJS_SECTION", "GCJS_SECTION"]
        assert items[2][1] == {"BID_SECTION_CODE": "E1401000000000001001002", "BID_SECTION_NAME": "二标段"}

    def test_rows_arrive_before_the_end_of_the_document(self) -> None:
        stream = io.BytesIO(b"<GCJS_SECTION>" + b"<RECORD><A>1</A></RECORD>" * 10_000 + b"<RECORD><B>")
        rows = iter_datasets(stream)
        assert next(rows) == ("GCJS_SECTION", {"A": "1"})
        with pytest.raises(SourceFormatError) as caught:
            list(rows)
        assert caught.value.detail_code == "xml.truncated"

    @pytest.mark.slow
    def test_fifty_megabytes_in_bounded_memory(self, tmp_path: Path) -> None:
        path = tmp_path / "tender_list.xml"
        record = (
            "<RECORD><TENDER_PROJECT_CODE>E5306210000000002001</TENDER_PROJECT_CODE>"
            "<BIDDER_NAME>昭通市某某建筑有限公司</BIDDER_NAME><BID_PRICE>856.300000</BID_PRICE>"
            f"<NOTICE_CONTENT>{'招标公告正文，工程概况与招标范围。' * 250}</NOTICE_CONTENT></RECORD>\n"
        ).encode("gbk")
        count = 50 * 2**20 // len(record) + 1
        with path.open("wb") as out:
            out.write(b'<?xml version="1.0" encoding="GBK"?>\n<GCJS_TENDER_LIST>\n')
            for _ in range(count):
                out.write(record)
            out.write(b"</GCJS_TENDER_LIST>\n")
        assert path.stat().st_size > 50 * 2**20

        seen = 0
        tracemalloc.start()
        try:
            with path.open("rb") as stream:
                for code, row in iter_datasets(stream):
                    seen += 1
                    assert code == "GCJS_TENDER_LIST"
                    assert row["BIDDER_NAME"] == "昭通市某某建筑有限公司"
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert seen == count
        assert peak < 8 * 2**20  # the file is 50 MiB; one record at a time stays far below


class TestParseJsonDataset:
    def test_dataset_and_records(self) -> None:
        code, records = parse_json_dataset(fixture("gcjs_result_notice.json"))
        assert code == "GCJS_RESULT_NOTICE"
        assert records[0]["WIN_BIDDER_NAME"] == "山西某某建设工程有限公司"
        assert records[0]["ATTACHMENTS"][1] == {"ATTACHMENT_CODE": "F002"}

    def test_dataset_as_the_only_key(self) -> None:
        assert parse_json_dataset(b'{"GCJS_SECTION": {"A": "1"}}') == ("GCJS_SECTION", [{"A": "1"}])
        assert parse_json_dataset(b'{"GCJS_SECTION": [{"A": 1}, {"A": 2}]}')[1] == [{"A": 1}, {"A": 2}]

    def test_utf8_bom_is_skipped(self) -> None:
        assert parse_json_dataset(b'\xef\xbb\xbf{"GCJS_SECTION": {"A": "1"}}')[0] == "GCJS_SECTION"

    @pytest.mark.parametrize(
        ("data", "code", "pointer"),
        [
            (b"", "file.empty", ""),
            (b" \n", "file.empty", ""),
            (b'["GCJS_SECTION"]', "json.bad_shape", ""),
            (b'{"dataset": "GCJS_SECTION"}', "json.bad_shape", ""),
            (b'{"dataset": "GCJS_SECTION", "records": [], "extra": 1}', "json.bad_shape", ""),
            (b'{"GCJS_SECTION": {}, "GCJS_TENDER_LIST": {}}', "json.bad_shape", ""),
            (b'{"dataset": "GCJS_SECTION", "records": {"A": 1}}', "json.bad_shape", "/records"),
            (b'{"dataset": "GCJS_SECTION", "records": [{"A": 1}, 2]}', "json.bad_shape", "/records/1"),
            (b'{"GCJS_SECTION": "x"}', "json.bad_shape", "/GCJS_SECTION"),
            (b'{"dataset": "GCJS_SECTION", "records": []}', "json.no_records", "/records"),
            (b'{"dataset": "NOPE", "records": [{}]}', "json.unknown_dataset", "/dataset"),
            (b'{"dataset": 7, "records": [{}]}', "json.unknown_dataset", "/dataset"),
            (b'{"GCJS_SECTION": {"A": NaN}}', "json.malformed", ""),
            (b'{"GCJS_SECTION": {"A": 1e999}}', "json.malformed", ""),
            (b'{"GCJS_SECTION": {"A": "\\ud800"}}', "json.malformed", ""),
            (b'{"GCJS_SECTION": {"A": 1', "json.malformed", ""),
            (
                b'{"GCJS_SECTION": {"A": {"B": [1, 12345678901234567890123]}}}',
                "json.imprecise_number",
                "/GCJS_SECTION/-/A/B/1",
            ),
            ('{"GCJS_SECTION": {"A": "é¡¹ç›®"}}'.encode(), "encoding.mojibake", "/GCJS_SECTION/-/A"),
        ],
    )
    def test_refused(self, data: bytes, code: str, pointer: str) -> None:
        with pytest.raises(SourceFormatError) as caught:
            parse_json_dataset(data)
        assert caught.value.detail_code == code
        assert caught.value.details[0]["pointer"] == pointer

    def test_invalid_utf8_reports_the_offset(self) -> None:
        data = '{"GCJS_SECTION": {"A": "标段"}}'.encode("gbk")
        with pytest.raises(SourceFormatError) as caught:
            parse_json_dataset(data)
        assert caught.value.detail_code == "encoding.undeclared_mismatch"
        assert caught.value.details[0]["offset"] == data.index("标".encode("gbk"))

    def test_malformed_reports_line_and_column(self) -> None:
        with pytest.raises(SourceFormatError) as caught:
            parse_json_dataset(b'{"GCJS_SECTION":\n {"A": tru}}')
        assert (caught.value.details[0]["line"], caught.value.details[0]["column"]) == (2, 8)

    def test_too_large(self) -> None:
        with pytest.raises(SourceFormatError) as caught:
            parse_json_dataset(b'{"GCJS_SECTION": {"A": "1"}}', max_bytes=8)
        assert caught.value.detail_code == "json.too_large"

    def test_deep_nesting_is_walked_without_recursion(self) -> None:
        data = b'{"GCJS_SECTION": {"A": ' + b"[" * 1000 + b'"x"' + b"]" * 1000 + b"}}"
        _, [record] = parse_json_dataset(data)
        inner: object = record["A"]
        for _ in range(1000):
            assert isinstance(inner, list)
            inner = inner[0]
        assert inner == "x"

    def test_duplicate_keys_keep_the_last_value(self) -> None:
        # orjson cannot report duplicates; this pins the documented behaviour.
        assert parse_json_dataset(b'{"GCJS_SECTION": {"A": "1", "A": "2"}}')[1] == [{"A": "2"}]

    def test_mojibake_check_can_be_turned_off(self) -> None:
        data = '{"GCJS_SECTION": {"A": "锟斤拷"}}'.encode()
        assert parse_json_dataset(data, check_mojibake=False)[1] == [{"A": "锟斤拷"}]
