from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.normalize import clean_code, clean_text, detect_mojibake, to_date, to_rfc3339, to_yuan
from schemas.errors import AdapterError


def detail_code(error: pytest.ExceptionInfo[AdapterError]) -> str:
    assert error.value.code == "adapter.invalid_payload"
    assert len(error.value.details) == 1
    return str(error.value.details[0]["code"])


class TestToYuan:
    @pytest.mark.parametrize(
        ("value", "unit", "yuan", "source_value", "source_unit"),
        [
            ("123.45", "万元", "1234500", "123.45", "万元"),
            ("123.450", "万元", "1234500", "123.450", "万元"),
            ("1234.5", "元", "1234.5", "1234.5", "元"),
            ("1234.50", "元", "1234.5", "1234.50", "元"),
            ("1,234,567.89", "元", "1234567.89", "1234567.89", "元"),
            ("0.000001", "万元", "0.01", "0.000001", "万元"),
            ("1.5", "亿元", "150000000", "1.5", "亿元"),
            ("3", "亿", "300000000", "3", "亿元"),
            ("12", "万", "120000", "12", "万元"),
            ("12", "（万元）", "120000", "12", "万元"),
            ("12", "(万元)", "120000", "12", "万元"),
            ("12", " 万元 ", "120000", "12", "万元"),
            ("12", "人民币万元", "120000", "12", "万元"),
            ("12", "cny", "12", "12", "元"),
            ("12", "ＲＭＢ", "12", "12", "元"),
            ("１２３．４", "元", "123.4", "123.4", "元"),
            (" 100 ", "元", "100", "100", "元"),
            ("¥100", "元", "100", "100", "元"),
            ("￥100", "元", "100", "100", "元"),
            ("+100", "元", "100", "100", "元"),
            ("007", "元", "7", "7", "元"),
            (".5", "万元", "5000", "0.5", "万元"),
            ("5.", "万元", "50000", "5", "万元"),
            ("1E+3", "万元", "10000000", "1000", "万元"),
            ("1.25e2", "元", "125", "125", "元"),
            ("0", "万元", "0", "0", "万元"),
            ("0.00", "万元", "0", "0.00", "万元"),
            ("-0", "元", "0", "0", "元"),
            (0, "元", "0", "0", "元"),
            (1500, "万元", "15000000", "1500", "万元"),
            (Decimal("12.340"), "万元", "123400", "12.340", "万元"),
            (Decimal("1E+2"), "元", "100", "100", "元"),
            ("99999999999999.999999", "万元", "999999999999999999.99", "99999999999999.999999", "万元"),
        ],
    )
    def test_conversions(self, value: str, unit: str, yuan: str, source_value: str, source_unit: str) -> None:
        assert to_yuan(value, unit) == {
            "yuan": yuan,
            "source_value": source_value,
            "source_unit": source_unit,
        }

    def test_beyond_default_decimal_precision_is_exact(self) -> None:
        value = "1234567890123456.123456789012345678"
        assert to_yuan(value, "万元")["yuan"] == "12345678901234561234.56789012345678"

    def test_negative_allowed_when_asked(self) -> None:
        assert to_yuan("-12.5", "万元", allow_negative=True)["yuan"] == "-125000"

    @pytest.mark.parametrize(
        ("value", "unit", "code"),
        [
            ("abc", "元", "normalize.money.invalid"),
            ("", "元", "normalize.money.invalid"),
            ("   ", "元", "normalize.money.invalid"),
            ("1" * 65, "元", "normalize.money.invalid"),
            ("12,34", "元", "normalize.money.invalid"),
            ("1,2345", "元", "normalize.money.invalid"),
            (",123", "元", "normalize.money.invalid"),
            ("1 234", "元", "normalize.money.invalid"),
            ("1.2.3", "元", "normalize.money.invalid"),
            ("12万", "元", "normalize.money.invalid"),
            ("0x10", "元", "normalize.money.invalid"),
            ("1e", "元", "normalize.money.invalid"),
            ("1_000", "元", "normalize.money.invalid"),
            ("١٢٣", "元", "normalize.money.invalid"),
            ("NaN", "元", "normalize.money.not_finite"),
            ("-Infinity", "元", "normalize.money.not_finite"),
            ("inf", "元", "normalize.money.not_finite"),
            ("sNaN", "元", "normalize.money.not_finite"),
            (Decimal("NaN"), "元", "normalize.money.not_finite"),
            (Decimal("Infinity"), "元", "normalize.money.not_finite"),
            (1.5, "元", "normalize.money.type"),
            (True, "元", "normalize.money.type"),
            (None, "元", "normalize.money.type"),
            ("-1", "元", "normalize.money.negative"),
            (-1, "万元", "normalize.money.negative"),
            ("1e21", "元", "normalize.money.out_of_range"),
            ("1e17", "万元", "normalize.money.out_of_range"),
            ("1e-21", "元", "normalize.money.out_of_range"),
            ("1e999", "元", "normalize.money.out_of_range"),
            (Decimal("1E+999999"), "元", "normalize.money.out_of_range"),
            (10**30, "元", "normalize.money.out_of_range"),
            (Decimal("1." + "1" * 80), "元", "normalize.money.invalid"),
            ("1", "美元", "normalize.money.unit"),
            ("1", "", "normalize.money.unit"),
            ("1", "千元", "normalize.money.unit"),
            ("1", None, "normalize.money.unit"),
        ],
    )
    def test_rejects(self, value: object, unit: object, code: str) -> None:
        with pytest.raises(AdapterError) as error:
            to_yuan(value, unit)  # type: ignore[arg-type]
        assert detail_code(error) == code

    def test_pointer_and_no_echo(self) -> None:
        with pytest.raises(AdapterError) as error:
            to_yuan("secret-value", "元", pointer="/BID_PRICE")
        assert error.value.details[0]["pointer"] == "/BID_PRICE"
        assert "secret" not in str(error.value.details)

    @settings(max_examples=200)
    @given(st.decimals(min_value=0, max_value=10**12, places=6, allow_nan=False, allow_infinity=False))
    def test_wan_yuan_round_trip_is_exact(self, amount: Decimal) -> None:
        result = to_yuan(str(amount), "万元")
        assert Decimal(result["yuan"]) == amount * 10000
        assert "E" not in result["yuan"]
        assert not (("." in result["yuan"]) and result["yuan"].endswith("0"))
        assert Decimal(result["source_value"]) == amount


class TestToRfc3339:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2026-11-22 10:00:00", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22 10:00", "2026-11-22T10:00:00+08:00"),
            ("2026/11/22 10:00", "2026-11-22T10:00:00+08:00"),
            ("2026/1/2 9:05:07", "2026-01-02T09:05:07+08:00"),
            ("2026.11.22 10:00", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22T10:00:00", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22t10:00:00z", "2026-11-22T18:00:00+08:00"),
            ("20261122100000", "2026-11-22T10:00:00+08:00"),
            ("2026年11月22日 10时00分", "2026-11-22T10:00:00+08:00"),
            ("2026年11月22日10时30分15秒", "2026-11-22T10:30:15+08:00"),
            ("2026年11月22日9时", "2026-11-22T09:00:00+08:00"),
            ("2026年11月22日 9点30分", "2026-11-22T09:30:00+08:00"),
            ("2026年11月22号 10:00", "2026-11-22T10:00:00+08:00"),
            ("2026年11月22日10:00:05", "2026-11-22T10:00:05+08:00"),
            ("2026-11-22T02:00:00Z", "2026-11-22T10:00:00+08:00"),
            ("2026-11-21T20:00:00-06:00", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22T10:00:00+08:00", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22T10:00:00+0800", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22T10:00:00+08", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22 10:00:00 +08:00", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22 10:00:00.000", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22 10:00:00.0", "2026-11-22T10:00:00+08:00"),
            ("2026-11-22 10:00:00.120", "2026-11-22T10:00:00.12+08:00"),
            ("2026-11-22T10:00:00.1234567", "2026-11-22T10:00:00.1234567+08:00"),
            ("2026-11-22T02:00:00.5Z", "2026-11-22T10:00:00.5+08:00"),
            ("  2026-11-22   10:00:00\u200b ", "2026-11-22T10:00:00+08:00"),
            ("２０２６－１１－２２　１０：００", "2026-11-22T10:00:00+08:00"),
            ("2026-12-31T23:30:00-01:00", "2027-01-01T08:30:00+08:00"),
            ("2024-02-29 00:00:00", "2024-02-29T00:00:00+08:00"),
        ],
    )
    def test_formats(self, value: str, expected: str) -> None:
        assert to_rfc3339(value) == expected

    def test_datetime_objects(self) -> None:
        assert to_rfc3339(datetime(2026, 11, 22, 10, 0)) == "2026-11-22T10:00:00+08:00"  # noqa: DTZ001
        assert to_rfc3339(datetime(2026, 11, 22, 2, 0, tzinfo=UTC)) == "2026-11-22T10:00:00+08:00"
        assert (
            to_rfc3339(datetime(2026, 11, 22, 10, 0, 0, 250000, tzinfo=UTC)) == "2026-11-22T18:00:00.25+08:00"
        )

    def test_other_target_offset(self) -> None:
        assert to_rfc3339("2026-11-22T10:00:00+08:00", tz="+00:00") == "2026-11-22T02:00:00+00:00"
        assert to_rfc3339("2026-11-22 10:00:00", tz="-05:30") == "2026-11-22T10:00:00-05:30"

    def test_bad_target_offset_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="offset"):
            to_rfc3339("2026-11-22 10:00:00", tz="+0800")

    def test_date_only_needs_permission(self) -> None:
        with pytest.raises(AdapterError) as error:
            to_rfc3339("2026-11-22")
        assert detail_code(error) == "normalize.time.date_only"
        assert to_rfc3339("2026-11-22", allow_date_only=True) == "2026-11-22T00:00:00+08:00"
        assert to_rfc3339(date(2026, 11, 22), allow_date_only=True) == "2026-11-22T00:00:00+08:00"
        with pytest.raises(AdapterError) as error:
            to_rfc3339(date(2026, 11, 22))
        assert detail_code(error) == "normalize.time.date_only"

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "garbage",
            "2026-02-30 10:00:00",
            "2026-13-01 10:00:00",
            "2026-11-22 24:00:00",
            "2026-11-22 10:60:00",
            "2026-11-22 10:00:60",
            "0000-00-00 00:00:00",
            "2026-11-22 10",
            "2026-11/22 10:00",
            "26-11-22 10:00",
            "2026112210000",
            "45983.41666",
            "2026-11-22T10:00:00+25:00",
            "2026-11-22T10:00:00+08:60",
            "2026-11-22T10:00:00.1234567890",
            "2026年13月22日 10:00",
            "2026-11-2210:00",
        ],
    )
    def test_invalid(self, value: str) -> None:
        with pytest.raises(AdapterError) as error:
            to_rfc3339(value, pointer="/BID_OPEN_TIME")
        assert detail_code(error) == "normalize.time.invalid"
        assert error.value.details[0]["pointer"] == "/BID_OPEN_TIME"

    @pytest.mark.parametrize("value", [None, 20261122100000, 1.5])
    def test_wrong_type(self, value: object) -> None:
        with pytest.raises(AdapterError) as error:
            to_rfc3339(value)  # type: ignore[arg-type]
        assert detail_code(error) == "normalize.time.type"

    @settings(max_examples=200)
    @given(
        st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)),  # noqa: DTZ001
        st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y年%m月%d日 %H:%M:%S"]),
    )
    def test_round_trip(self, moment: datetime, pattern: str) -> None:
        result = to_rfc3339(moment.strftime(pattern))
        parsed = datetime.fromisoformat(result)
        assert parsed.utcoffset() == timedelta(hours=8)
        assert parsed.replace(tzinfo=None) == moment.replace(microsecond=0)


class TestToDate:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2026-11-22", "2026-11-22"),
            ("2026-1-2", "2026-01-02"),
            ("2026/11/22", "2026-11-22"),
            ("2026.11.22", "2026-11-22"),
            ("20261122", "2026-11-22"),
            ("2026年11月22日", "2026-11-22"),
            ("2026年1月2日", "2026-01-02"),
            ("2026-11-22 00:00:00", "2026-11-22"),
            ("2026-11-22 00:00:00.000", "2026-11-22"),
            ("20261122000000", "2026-11-22"),
            (" 2026-11-22 ", "2026-11-22"),
            ("２０２６－１１－２２", "2026-11-22"),
            (date(2026, 11, 22), "2026-11-22"),
            (datetime(2026, 11, 22), "2026-11-22"),  # noqa: DTZ001
        ],
    )
    def test_formats(self, value: str | date, expected: str) -> None:
        assert to_date(value) == expected

    @pytest.mark.parametrize(
        "value",
        [
            "2026-11-22 10:00",
            "2026-11-22 00:00:00.5",
            "2026-11-22T00:00:00+08:00",
            "20261122100000",
            datetime(2026, 11, 22, 0, 0, 1),  # noqa: DTZ001
            datetime(2026, 11, 22, tzinfo=UTC),
            datetime(2026, 11, 22, tzinfo=timezone(timedelta(hours=8))),
        ],
    )
    def test_time_of_day_refused(self, value: str | datetime) -> None:
        with pytest.raises(AdapterError) as error:
            to_date(value)
        assert detail_code(error) == "normalize.date.has_time"

    @pytest.mark.parametrize(
        "value", ["2026-02-29", "2026-00-10", "0000-00-00", "2026-11", "11/22/2026", "x"]
    )
    def test_invalid(self, value: str) -> None:
        with pytest.raises(AdapterError) as error:
            to_date(value)
        assert detail_code(error) == "normalize.date.invalid"

    def test_wrong_type(self) -> None:
        with pytest.raises(AdapterError) as error:
            to_date(20261122)  # type: ignore[arg-type]
        assert detail_code(error) == "normalize.date.type"


class TestCleanText:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("  云南省  公共资源 ", "云南省 公共资源"),
            ("\ufeff招标公告", "招标公告"),
            ("招\u200b标\u200d公\u2060告\u00ad", "招标公告"),
            ("a\tb\r\nc", "a b c"),
            ("a\u3000b\u00a0c", "a b c"),
            ("a\x00b\x07c", "abc"),
            ("e\u0301", "\u00e9"),
            ("（一）招标范围：ＡＢＣ，１２３。", "（一）招标范围：ＡＢＣ，１２３。"),
            ("", ""),
        ],
    )
    def test_single_line(self, value: str, expected: str) -> None:
        assert clean_text(value) == expected

    def test_multiline_keeps_paragraphs(self) -> None:
        value = " 第一段  内容 \r\n\r\n\r\n\r\n 第二段\u3000内容\n  \n第三段 "
        assert clean_text(value, multiline=True) == "第一段 内容\n\n第二段 内容\n\n第三段"

    @settings(max_examples=200)
    @given(st.text())
    def test_idempotent(self, value: str) -> None:
        once = clean_text(value)
        assert clean_text(once) == once
        assert once == once.strip()
        assert "  " not in once


class TestCleanCode:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (" 91110000600037341l ", "91110000600037341L"),
            ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),
            ("6000 3734－1", "60003734-1"),
            ("2509—320193–89‐01−544060", "2509-320193-89-01-544060"),
            ("\ufeff530621\u200b", "530621"),
            ("36042619910101007x", "36042619910101007X"),
            ("a\u3000b", "AB"),
        ],
    )
    def test_codes(self, value: str, expected: str) -> None:
        assert clean_code(value) == expected

    def test_drop_hyphens(self) -> None:
        assert clean_code("9111-0000-6000-37341L", keep_hyphens=False) == "91110000600037341L"
        assert clean_code("9111－0000", keep_hyphens=False) == "91110000"


class TestDetectMojibake:
    @pytest.mark.parametrize(
        "text",
        [
            "云南省公共资源交易中心",
            "关于×××项目的招标公告——第一标段（“施工”）……",
            "阿卜杜·热合曼",
            "面积 120 m²，温度 25°C，±5%",
            "Müller & Söhne GmbH",
            "São Paulo café Ångström",
            "Beijing ABC Co., Ltd.",
            "问题?",
            "",
        ],
    )
    def test_genuine_text_passes(self, text: str) -> None:
        assert not detect_mojibake(text)

    @pytest.mark.parametrize(
        "text",
        [
            "锟斤拷锟斤拷",
            "烫烫烫烫",
            "招标\ufffd公告",
            "????????",
            "ä¸­æ–‡",
            "Ã©tude",
            "ÖÐÎÄ",
            "鎷涙爣",
        ],
    )
    def test_known_mojibake(self, text: str) -> None:
        assert detect_mojibake(text)

    @pytest.mark.parametrize(
        "original",
        [
            "中华人民共和国招标投标法实施条例",
            "云南省公共资源交易中心",
            "昭通市鲁甸县中标候选人公示",
            "招标公告",
        ],
    )
    def test_wrong_decodings_are_caught(self, original: str) -> None:
        utf8 = original.encode("utf-8")
        assert detect_mojibake(utf8.decode("latin-1"))
        assert detect_mojibake(utf8.decode("cp1252", errors="replace"))
        assert detect_mojibake(utf8.decode("gbk", errors="replace"))
        assert detect_mojibake(original.encode("gbk").decode("latin-1"))

    def test_region_names_are_not_flagged(self) -> None:
        from pathlib import Path

        path = Path(__file__).resolve().parents[2] / "config" / "regions" / "gbt2260-2023.csv"
        names = [line.split(",")[1] for line in path.read_text(encoding="utf-8").splitlines()[1:]]
        assert not [name for name in names if detect_mojibake(name)]
        assert not detect_mojibake("".join(names))
