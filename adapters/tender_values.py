"""Reading the values of one tender-platform row (DOMAIN §3), collecting every problem.

A `ValueReader` wraps one source row. Each accessor marks the field as used, returns the normalized
value (or None when the field is absent or empty) and records what is wrong with it as a detail
`{pointer, code, message}` instead of raising, so that one refusal lists every problem at once.
Identifiers, parties and personal numbers are read by `adapters.tender_reader.RowReader`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.base import reason
from adapters.normalize import clean_code, clean_text, detect_mojibake, to_date, to_rfc3339, to_yuan
from schemas.base import DECIMAL_PATTERN
from schemas.errors import AdapterError

MISSING = "tender.missing_field"
BAD_VALUE = "tender.invalid_value"

_TRUE = frozenset({"1", "是", "Y", "YES", "TRUE", "T"})
_FALSE = frozenset({"0", "否", "N", "NO", "FALSE", "F"})
_YUAN_CURRENCIES = frozenset({"CNY", "RMB", "人民币", "人民币元", "元", "156"})
_LIST_SEPARATORS = re.compile(r"[,;，；、\s]+")
_DECIMAL = re.compile(DECIMAL_PATTERN)
_URL = re.compile(r"https?://[^\x00-\x20\x7f]+")
_MD5 = re.compile(r"[0-9a-f]{32}")
_MAC_DIGITS = re.compile(r"[0-9A-F]{12}")
# Placeholders that fingerprint tools write when they could not read the hardware (DOMAIN §10.2).
_HARDWARE_PLACEHOLDERS = frozenset({"-", "/", "无", "UNKNOWN", "NULL", "NONE", "000000000000"})
_MAX_COUNT = 2**53


class ValueReader:
    def __init__(self, row: Mapping[str, Any], *, pointer: str = "") -> None:
        self.row = row
        self.base = pointer
        self.errors: list[dict[str, str]] = []
        self.warnings: list[dict[str, str]] = []
        self.used: set[str] = set()

    def pointer(self, name: str) -> str:
        return f"{self.base}/{name}"

    def fail(self, name: str, code: str, message: str) -> None:
        self.errors.append(reason(code, message, self.pointer(name)))

    def missing(self, name: str) -> None:
        self.fail(name, MISSING, f"{name} is required")

    # --- raw values ---------------------------------------------------------------------------

    def value(self, name: str, *, required: bool = False) -> str | None:
        """The field as stripped text; None when absent, nil or blank."""
        self.used.add(name)
        raw = self.row.get(name)
        text: str | None
        if raw is None:
            text = None
        elif isinstance(raw, str):
            text = raw.strip() or None
        elif isinstance(raw, int) and not isinstance(raw, bool):
            text = str(raw)
        elif isinstance(raw, float) and math.isfinite(raw):
            text = repr(raw)  # the shortest form that reads back as the same number
        else:
            self.fail(name, BAD_VALUE, f"{name} must be a single text value")
            return None
        if text is None and required:
            self.missing(name)
        return text

    def first(self, *names: str) -> tuple[str, str] | None:
        """(name, value) of the first present field; the alternatives after it stay unused."""
        for name in names:
            text = self.value(name)
            if text is not None:
                return name, text
        return None

    def _absorb(self, exc: AdapterError) -> None:
        self.errors.extend({key: str(value) for key, value in detail.items()} for detail in exc.details)

    # --- typed values -------------------------------------------------------------------------

    def text(self, name: str, *, required: bool = False, multiline: bool = False) -> str | None:
        raw = self.value(name, required=required)
        if raw is None:
            return None
        text = clean_text(raw, multiline=multiline)
        if not text:
            if required:
                self.missing(name)
            return None
        if detect_mojibake(text):
            self.fail(name, "encoding.mojibake", f"{name} reads as text decoded with the wrong charset")
            return None
        return text

    def code(self, name: str, *, required: bool = False, keep_hyphens: bool = True) -> str | None:
        raw = self.value(name, required=required)
        if raw is None:
            return None
        code = clean_code(raw, keep_hyphens=keep_hyphens)
        if not code or detect_mojibake(code):
            self.fail(name, BAD_VALUE, f"{name} is not a readable code")
            return None
        return code

    def codes(self, name: str, *, required: bool = False) -> list[str] | None:
        """A list field: BID_SECTION_CODES and the like, separated by commas or semicolons."""
        raw = self.value(name, required=required)
        if raw is None:
            return None
        items = [clean_code(part) for part in _LIST_SEPARATORS.split(raw)]
        return list(dict.fromkeys(item for item in items if item)) or None

    def time(self, name: str, *, required: bool = False) -> str | None:
        raw = self.value(name, required=required)
        if raw is None:
            return None
        try:
            return to_rfc3339(raw, pointer=self.pointer(name))
        except AdapterError as exc:
            self._absorb(exc)
            return None

    def date(self, name: str, *, required: bool = False) -> str | None:
        raw = self.value(name, required=required)
        if raw is None:
            return None
        try:
            return to_date(raw, pointer=self.pointer(name))
        except AdapterError as exc:
            self._absorb(exc)
            return None

    def flag(self, name: str) -> bool | None:
        raw = self.value(name)
        if raw is None:
            return None
        key = clean_code(raw)
        if key in _TRUE or key in _FALSE:
            return key in _TRUE
        self.fail(name, BAD_VALUE, f"{name} must be 1/0, 是/否 or true/false")
        return None

    def count(self, name: str, *, required: bool = False, minimum: int = 0) -> int | None:
        raw = self.value(name, required=required)
        if raw is None:
            return None
        digits = clean_code(raw)
        if digits.isascii() and digits.isdigit() and minimum <= int(digits) <= _MAX_COUNT:
            return int(digits)
        self.fail(name, BAD_VALUE, f"{name} must be a whole number of at least {minimum}")
        return None

    def decimal(self, name: str, *, percent: bool = False) -> str | None:
        raw = self.value(name)
        if raw is None:
            return None
        text = clean_code(raw)
        if percent:
            text = text.removesuffix("%")
        if len(text) <= 40 and _DECIMAL.fullmatch(text):
            return text
        self.fail(name, BAD_VALUE, f"{name} must be a decimal number")
        return None

    def url(self, name: str) -> str | None:
        raw = self.value(name)
        if raw is None:
            return None
        if len(raw) <= 2048 and _URL.fullmatch(raw):
            return raw
        self.fail(name, BAD_VALUE, f"{name} must be an http(s) URL without spaces")
        return None

    def md5(self, name: str) -> str | None:
        raw = self.value(name)
        if raw is None:
            return None
        digest = clean_code(raw).lower()
        if _MD5.fullmatch(digest):
            return digest
        self.fail(name, BAD_VALUE, f"{name} must be 32 hexadecimal digits")
        return None

    def mac_address(self, name: str) -> str | None:
        """AA:BB:CC:DD:EE:FF; a placeholder stays in the extensions, as the source sent it."""
        raw = self.row.get(name)
        if isinstance(raw, str) and clean_code(raw) in _HARDWARE_PLACEHOLDERS:
            return None
        text = self.value(name)
        if text is None:
            return None
        digits = re.sub(r"[-:.]", "", clean_code(text))
        if _MAC_DIGITS.fullmatch(digits):
            return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
        self.fail(name, BAD_VALUE, f"{name} must be a MAC address of 12 hexadecimal digits")
        return None

    def money(
        self,
        name: str,
        *,
        default_unit: str,
        units: Iterable[str] = ("PRICE_UNIT",),
        currencies: Iterable[str] = ("PRICE_CURRENCY",),
        required: bool = False,
    ) -> dict[str, str] | None:
        """Money in yuan. The unit is `<name>_UNIT`, else the row's unit fields, else `default_unit`."""
        amount = self.value(name, required=required)
        unit = self.first(f"{name}_UNIT", *units)
        currency = self.first(f"{name}_CURRENCY", *currencies)
        if amount is None:
            return None
        if currency is not None and clean_code(currency[1]) not in _YUAN_CURRENCIES:
            self.fail(currency[0], "tender.unsupported_currency", "only amounts in 人民币 are accepted")
            return None
        try:
            return to_yuan(amount, unit[1] if unit else default_unit, pointer=self.pointer(name))
        except AdapterError as exc:
            self._absorb(exc)
            return None
