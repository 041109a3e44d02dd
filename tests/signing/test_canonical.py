"""canonicalize() against the reference `rfc8785` package, RFC 8785's own examples, and bad input."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import json
import struct
import types
import uuid
from typing import Any, Literal

import orjson
import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from signing.canonical import MAX_SAFE_INTEGER, _orjson_is_canonical_for, canonicalize, format_number
from signing.errors import CanonicalizationError, SignatureError

SPECIAL_FLOATS = [0.0, -0.0, 1e21, 1e-7, 1e-6, 5e-324, -5e-324, 1.7976931348623157e308, 1e20, 9.5e20, 1e16,
                  0.1, 1 / 3, 2.0**53, 123456789012345680000.0, 1e23, 100.0, -1.5, 4.5, 0.002]
BOUNDARY_INTS = [MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER - 1, 2**63,
                 -(2**64)]

NO_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
# Every code point including lone surrogates, with weight on the ranges where encoders disagree.
any_char = st.characters(exclude_categories=())
tricky_char = st.sampled_from(
    ["\x00", "\x08", "\x1f", "\x7f", '"', "\\", "/", "\u2028", "\u2029", "\ud7ff", "\ue000", "\uffff",
     "\ufeff", "\U00010000", "\U0001f600", "\U0010ffff", "\ud800", "\udfff", "€", "中"])
text = st.text(st.one_of(any_char, tricky_char), max_size=12)
numbers = st.one_of(
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from(BOUNDARY_INTS),
    st.floats(),
    st.sampled_from(SPECIAL_FLOATS),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.tuples(children, children),
                               st.dictionaries(text, children, max_size=5)),
    max_leaves=30,
)

# Values the fast path must handle on its own: exact types, no floats, BMP-only keys, safe integers.
bmp_key = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=NO_SURROGATES), max_size=8)
plain_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
              st.text(st.characters(exclude_categories=NO_SURROGATES), max_size=12)),
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(bmp_key, children, max_size=5)),
    max_leaves=30,
)


def reference_or_error(value: Any) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, RecursionError):
        return None  # UnicodeEncodeError (a ValueError) for lone surrogates in keys


def assert_agrees_with_reference(value: Any) -> None:
    expected = reference_or_error(value)
    if expected is None:
        with pytest.raises(CanonicalizationError) as caught:
            canonicalize(value)
        assert caught.value.code == "canonical.unsupported_value"
    else:
        assert canonicalize(value) == expected


class TestCanonicalizeAgainstReference:
    @settings(max_examples=300, deadline=None)
    @given(json_values)
    @example({"\ue000": 1, "\U00010000": 2})
    @example({"a": [1.0, -0.0, {"b": float("nan")}]})
    @example({"\ud800": 1})
    @example({"\x80\ud800": None})
    def test_any_value_matches_or_both_refuse(self, value: Any) -> None:
        assert_agrees_with_reference(value)

    @settings(max_examples=300, deadline=None)
    @given(plain_values)
    def test_plain_values_take_the_fast_path_and_match(self, value: Any) -> None:
        assert _orjson_is_canonical_for(value)
        assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == rfc8785.dumps(value)
        assert canonicalize(value) == rfc8785.dumps(value)

    @settings(max_examples=200, deadline=None)
    @given(st.dictionaries(st.text(st.sampled_from(["a", "\ue000", "\uffff", "\U00010000", "\U0001f600"]),
                                   min_size=1, max_size=3), st.integers(0, 9), min_size=2, max_size=6))
    def test_keys_sort_by_utf16_code_units(self, value: dict[str, int]) -> None:
        assert canonicalize(value) == rfc8785.dumps(value)

    @settings(max_examples=300, deadline=None)
    @given(st.floats(allow_nan=False, allow_infinity=False))
    def test_every_finite_float_formats_as_the_reference(self, number: float) -> None:
        assert format_number(number).encode() == rfc8785.dumps(number)
        assert canonicalize([number]) == rfc8785.dumps([number])

    def test_every_code_point_is_escaped_as_the_reference(self) -> None:
        everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
        assert canonicalize(everything) == rfc8785.dumps(everything)
        assert canonicalize({everything: everything[:1000]}) == rfc8785.dumps({everything: everything[:1000]})

    @pytest.mark.parametrize("integer", BOUNDARY_INTS)
    def test_integer_boundaries(self, integer: int) -> None:
        assert_agrees_with_reference(integer)
        assert_agrees_with_reference({"n": [integer]})

    def test_typical_record_is_fast_and_equal(self, record: dict[str, Any]) -> None:
        assert _orjson_is_canonical_for(record)
        assert canonicalize(record) == rfc8785.dumps(record)


class TestRfc8785Examples:
    def test_section_3_2_2_example(self) -> None:
        source = r"""{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"""
        expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
        assert canonicalize(json.loads(source)) == expected.encode()

    def test_section_3_2_3_sorting_example(self) -> None:
        source = r"""{"\u20ac": "Euro Sign", "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"}"""
        order = list(json.loads(canonicalize(json.loads(source))).values())
        assert order == ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis",
                         "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"]

    def test_section_3_2_3_keeps_locale_out_of_sorting(self) -> None:
        value = {"peach": "This sorting order", "péché": "is wrong according to French",
                 "pêche": "but canonicalization MUST", "sin": "ignore locale"}
        assert canonicalize(value) == ('{"peach":"This sorting order","péché":"is wrong according to French",'
                                       '"pêche":"but canonicalization MUST","sin":"ignore locale"}').encode()

    @pytest.mark.parametrize(("ieee754", "expected"), [
        ("0000000000000000", "0"), ("8000000000000000", "0"), ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"), ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"), ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"), ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"), ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"), ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"), ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ])
    def test_appendix_b_numbers(self, ieee754: str, expected: str) -> None:
        number = struct.unpack(">d", bytes.fromhex(ieee754))[0]
        assert format_number(number) == expected
        assert canonicalize({"n": number}) == f'{{"n":{expected}}}'.encode()

    @pytest.mark.parametrize("ieee754", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
    def test_appendix_b_nan_and_infinities_are_refused(self, ieee754: str) -> None:
        number = struct.unpack(">d", bytes.fromhex(ieee754))[0]
        with pytest.raises(CanonicalizationError) as caught:
            canonicalize({"n": number})
        assert caught.value.code == "canonical.unsupported_value"
        with pytest.raises(CanonicalizationError):
            format_number(number)


class Colour(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    HIGH = 3


class Status(enum.StrEnum):
    OPEN = "open"


@dataclasses.dataclass
class Point:
    x: int


class Score(float):
    pass


class TestCanonicalizeTypes:
    @pytest.mark.parametrize("value", [
        {1: "x"}, {"a": {None: 1}}, {b"k": 1}, {"s": {1, 2}}, b"bytes", decimal.Decimal("1.5"),
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), uuid.UUID(int=7), Colour.RED, Point(1),
        types.MappingProxyType({"a": 1}), object(), orjson.Fragment(b"1"),
    ])
    def test_refuses_what_the_reference_refuses(self, value: Any) -> None:
        assert reference_or_error(value) is None
        with pytest.raises(CanonicalizationError) as caught:
            canonicalize(value)
        assert caught.value.code == "canonical.unsupported_value"
        assert isinstance(caught.value, SignatureError)

    @pytest.mark.parametrize("value", [
        Level.HIGH, Status.OPEN, {"level": Level.HIGH, "status": Status.OPEN},
        collections.OrderedDict(b=1, a=2), collections.defaultdict(list, {"k": [1]}), (1, "two", (3,)),
        Score(2.5), {Status.OPEN: 1}, True, [False],
    ])
    def test_accepts_subclasses_as_the_reference_does(self, value: Any) -> None:
        assert canonicalize(value) == rfc8785.dumps(value)

    @pytest.mark.parametrize("value", [
        Level.HIGH, Status.OPEN, {"s": Status.OPEN}, {Status.OPEN: 1}, collections.OrderedDict(a=1),
        Score(1.0), [1.0], {"k": 0.5}, uuid.UUID(int=1), Colour.RED, {"\U0001f600": 1},
        [{"a": {"b": [{"\U00010000": 2}]}}],
    ])
    def test_fast_path_guard_refuses_what_orjson_writes_differently(self, value: Any) -> None:
        # The guard runs on what orjson has written: either orjson refuses the value, or the guard does.
        try:
            orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
        except orjson.JSONEncodeError:
            return
        assert not _orjson_is_canonical_for(value)

    def test_bool_is_not_an_integer(self) -> None:
        assert canonicalize([True, 1, False, 0]) == b"[true,1,false,0]"


class TestCanonicalizeErrors:
    def test_points_at_the_bad_value(self) -> None:
        with pytest.raises(CanonicalizationError) as caught:
            canonicalize({"payload": {"scores": [1, {"a/b~c": float("nan")}]}})
        assert caught.value.details == [{"pointer": "/payload/scores/1/a~1b~0c",
                                         "code": "canonical.unsupported_value",
                                         "message": "nan is not a JSON number"}]

    def test_points_at_an_unsafe_integer(self) -> None:
        with pytest.raises(CanonicalizationError) as caught:
            canonicalize({"bid": 2**53})
        assert caught.value.details[0]["pointer"] == "/bid"
        assert "send it as a string" in caught.value.message

    def test_points_at_a_lone_surrogate_in_a_key(self) -> None:
        with pytest.raises(CanonicalizationError) as caught:
            canonicalize({"ok": 1, "x": {"bad\ud800": 1}})
        assert caught.value.details[0]["pointer"] == "/x/bad\\ud800"

    def test_lone_surrogate_in_a_string(self) -> None:
        with pytest.raises(CanonicalizationError) as caught:
            canonicalize(["fine", "bad\udc00"])
        assert caught.value.details[0]["pointer"] == "/1"

    def test_root_pointer(self) -> None:
        with pytest.raises(CanonicalizationError) as caught:
            canonicalize(float("inf"))
        assert caught.value.details[0]["pointer"] == ""
        assert "at /:" in caught.value.message

    def test_a_value_that_contains_itself(self) -> None:
        loop: list[Any] = []
        loop.append(loop)
        with pytest.raises(CanonicalizationError) as caught:
            canonicalize(loop)
        assert caught.value.code == "canonical.unsupported_value"
        assert isinstance(caught.value.__cause__, RecursionError)

    def test_deep_but_finite_nesting_matches_the_reference(self) -> None:
        deep: Any = "leaf"
        for _ in range(150):  # 300 levels: beyond orjson's limit of 255, so the slow path serializes it
            deep = {"k": [deep]}
        assert canonicalize(deep) == rfc8785.dumps(deep)
