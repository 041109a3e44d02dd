"""RFC 8785 (JCS) canonical JSON: the exact bytes every signature and log leaf is computed over.

`canonicalize` accepts what the reference implementation (the `rfc8785` package) accepts and
rejects what it rejects: None, bool, int within ±(2**53-1), finite float, str without lone
surrogates, list/tuple, and dict with str keys (subclasses of these included); nothing else.

Fast path. `orjson.dumps(value, option=OPT_SORT_KEYS | OPT_STRICT_INTEGER)` yields the JCS bytes
exactly, and only, when all of the following hold (tests check each one against the reference):

- Every node is exactly a dict, list, tuple, str, int, bool or None. Floats differ (orjson writes
  `1.0` and `-0.0` where JCS writes `1` and `0`, and `null` for NaN); orjson also serializes
  enums, UUIDs, datetimes, dataclasses and subclasses, which JCS refuses.
- No key holds a character outside the BMP. JCS sorts keys by UTF-16 code units, orjson by code
  points; the two orders differ only between a surrogate pair and U+E000..U+FFFF. (Keys that
  are not exactly str, subclasses included, orjson refuses by itself.)
- Strings need nothing: orjson escapes exactly `"`, `\\` and U+0000..U+001F, with the short forms
  \\b \\f \\n \\r \\t and lowercase \\u00xx otherwise, leaves `/`, U+007F and U+2028/2029 alone, and
  refuses lone surrogates, as JCS does.
- Integers: OPT_STRICT_INTEGER refuses exactly the integers outside ±(2**53-1).

The guard runs after orjson has succeeded (which also proves the structure acyclic), and anything
it does not prove goes through `_encode`, a direct implementation of RFC 8785 §3.2 with an
ECMAScript Number::toString serializer for floats (it asks orjson only to quote single strings),
so the reference stays a test-only oracle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from signing.errors import CanonicalizationError

MAX_SAFE_INTEGER = 2**53 - 1

_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_SCALARS = frozenset({str, int, bool, type(None)})
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of `value`; CanonicalizationError if it has none."""
    kind = type(value)
    if kind is str:  # the commonest member: quoting is all there is (see _quote)
        try:
            return orjson.dumps(value)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate: _encode says so
    elif kind is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return str(value).encode()
    try:
        fast = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        pass
    else:
        if _orjson_is_canonical_for(value):
            return fast
    parts: list[str] = []
    try:
        _encode(value, parts)
    except _Unsupported as exc:
        pointer = "".join("/" + step.replace("~", "~0").replace("/", "~1") for step in reversed(exc.path))
        raise CanonicalizationError(
            f"value has no canonical JSON form at {pointer or '/'}: {exc.reason}",
            details=[{"pointer": pointer, "code": CanonicalizationError.code, "message": exc.reason}],
        ) from None
    except RecursionError as exc:
        raise CanonicalizationError("value is nested too deeply (or contains itself)") from exc
    return "".join(parts).encode("utf-8")


def format_number(number: float) -> str:
    """ECMAScript Number::toString(number) (ECMA-262 §7.1.12.1), as RFC 8785 §3.2.2.3 requires."""
    if number != number or number in (float("inf"), float("-inf")):
        raise CanonicalizationError(f"{number} is not a JSON number")
    if number == 0:
        return "0"  # both zeros, as in ECMAScript
    if number < 0:
        return "-" + format_number(-number)
    # repr() gives the shortest digit string that round-trips, which is ECMAScript's s and k.
    mantissa, _, exponent = repr(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # number = 0.digits × 10**point, written as s × 10**(point - k) with k = len(s).
    point = len(whole) - (len(whole) + len(fraction) - len(digits)) + int(exponent or "0")
    significand = digits.rstrip("0")
    k = len(significand)
    if k <= point <= 21:
        return significand + "0" * (point - k)
    if 0 < point <= 21:
        return significand[:point] + "." + significand[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + significand
    head = significand if k == 1 else significand[0] + "." + significand[1:]
    exp = point - 1
    return f"{head}e{'+' if exp >= 0 else '-'}{abs(exp)}"


def _orjson_is_canonical_for(value: Any) -> bool:
    """True when orjson's output for `value` is provably the JCS output (see the module doc)."""
    kind = type(value)
    if kind is dict:
        # orjson has already refused any key that is not exactly a str; what is left to prove is
        # that no key holds a character outside the BMP, in one pass over the keys in C.
        keys = "".join(value)
        if not keys.isascii() and max(keys) > "\uffff":
            return False
        items: Any = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        return kind in _SCALARS
    scalars = _SCALARS
    for item in items:
        if type(item) in scalars:
            continue
        if not _orjson_is_canonical_for(item):
            return False
    return True


class _Unsupported(Exception):
    """Raised inside `_encode`; `path` collects the JSON pointer steps while the stack unwinds."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []


def _encode(value: Any, out: list[str]) -> None:
    # One frame per nesting level, as in the reference, so both hit the recursion limit alike.
    # The order of the checks is the reference's: bool before int, str before float.
    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        integer = int(value)
        if not -MAX_SAFE_INTEGER <= integer <= MAX_SAFE_INTEGER:
            raise _Unsupported(f"integer {integer} is outside ±(2**53-1); send it as a string")
        out.append(str(integer))
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, float):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise _Unsupported(f"{number} is not a JSON number")
        out.append(format_number(number))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            try:
                _encode(item, out)
            except _Unsupported as exc:
                exc.path.append(str(index))
                raise
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(_sorted_members(value)):
            if index:
                out.append(",")
            out.append(_quote(key))
            out.append(":")
            try:
                _encode(item, out)
            except _Unsupported as exc:
                exc.path.append(key)
                raise
        out.append("}")
    else:
        raise _Unsupported(f"{type(value).__name__} is not a JSON type")


def _sorted_members(members: dict[Any, Any]) -> list[tuple[str, Any]]:
    for key in members:
        if not isinstance(key, str):
            raise _Unsupported(f"object key {key!r} is not a string")
        if not key.isascii() and _LONE_SURROGATE.search(key):
            exc = _Unsupported("object key contains a lone surrogate")
            exc.path.append(key.encode("ascii", "backslashreplace").decode("ascii"))
            raise exc
    astral = any(not key.isascii() and max(key) > "\uffff" for key in members)
    order: Callable[[tuple[str, Any]], Any] = _utf16_order if astral else _code_point_order
    return sorted(members.items(), key=order)


def _code_point_order(member: tuple[str, Any]) -> str:
    return member[0]


def _utf16_order(member: tuple[str, Any]) -> bytes:
    # RFC 8785 §3.2.3: keys compare as arrays of UTF-16 code units.
    return member[0].encode("utf-16-be")


def _quote(text: str) -> str:
    # A lone string is quoted by orjson: its escaping is JCS's (see the module doc), and fast.
    try:
        return orjson.dumps(text).decode("utf-8")
    except orjson.JSONEncodeError:
        raise _Unsupported("string contains a lone surrogate (U+D800..U+DFFF)") from None
