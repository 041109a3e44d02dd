"""Reading one tender-platform row (DOMAIN §3) into standard values, collecting every problem.

A `RowReader` wraps one source row. Each accessor marks the field as used, returns the normalized
value (or None when the field is absent or empty) and records what is wrong with it as a detail
`{pointer, code, message}` instead of raising, so that one refusal lists every problem at once.
Identifier check-digit failures are errors; stale reference data (an unknown region) is a warning.
Fields that no accessor used are kept verbatim in `extensions`, except personal ID numbers, which
only ever leave as keyed hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.base import reason
from adapters.normalize import clean_code, clean_text, detect_mojibake, to_date, to_rfc3339, to_yuan
from schemas.base import DECIMAL_PATTERN
from schemas.errors import AdapterError
from schemas.identifiers import (
    Finding,
    check_id_card,
    check_org_code,
    check_region_code,
    check_unified_deal_code,
    check_uscc,
    has_error,
)
from schemas.regions import RegionTable

MISSING = "tender.missing_field"
BAD_VALUE = "tender.invalid_value"

# Personal ID numbers of the bid manager, the bidder's clerk, the project lead: never kept in clear.
PERSONAL_ID_FIELDS: frozenset[str] = frozenset(
    {"ID_CARD", "BIDDER_OPERATION_PERSON_ID", "PROJECT_LEAD_ID", "PM_ID_CARD", "LEGAL_PERSON_ID"}
)
_ID_CARD_TYPES = frozenset({"身份证", "居民身份证", "居民身份证号", "身份证号", "ID_CARD"})
# *_CODE_TYPE values differ between platforms (numeric dictionaries, Chinese names); only names are
# read here, and a numeric or unknown value leaves the type to the shape of the code itself.
_CODE_TYPE_NAMES: dict[str, str] = {
    "统一社会信用代码": "uscc",
    "USCC": "uscc",
    "组织机构代码": "org_code",
    "ORG_CODE": "org_code",
    "身份证": "id_card",
    "居民身份证": "id_card",
    "身份证号": "id_card",
    "居民身份证号": "id_card",
    "ID_CARD": "id_card",
}
_ORG_CODE_SHAPE = re.compile(r"[0-9A-Z]{8}-?[0-9X]")
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


class RowReader:
    def __init__(
        self,
        row: Mapping[str, Any],
        *,
        pointer: str = "",
        regions: RegionTable | None = None,
        id_hash_key: bytes | None = None,
    ) -> None:
        self.row = row
        self.base = pointer
        self.regions = regions
        self.id_hash_key = id_hash_key
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

    # --- identifiers --------------------------------------------------------------------------

    def findings(self, name: str, found: list[Finding]) -> bool:
        """Record identifier findings; True when the value is usable (no error)."""
        for finding in found:
            target = self.errors if finding.severity == "error" else self.warnings
            target.append(reason(finding.code, finding.message, self.pointer(name)))
        return not has_error(found)

    def region(self, name: str, *, required: bool = False) -> str | None:
        code = self.code(name, required=required, keep_hyphens=False)
        if code is None:
            return None
        return code if self.findings(name, check_region_code(code, self.regions)) else None

    def deal_code(self, name: str) -> str | None:
        code = self.code(name)
        if code is None:
            return None
        return code if self.findings(name, check_unified_deal_code(code)) else None

    def party(
        self,
        *,
        name: str,
        code: str,
        code_types: Iterable[str] = (),
        role: str | None = None,
        region: str | None = None,
        default_role: str | None = None,
        required: bool = False,
    ) -> dict[str, str] | None:
        """A Party from the `*_NAME, *_CODE_TYPE, *_CODE, *_ROLE, *_REGION_CODE` tuple."""
        party_name = self.text(name, required=required)
        raw_code = self.value(code)
        declared = self.first(*code_types)
        party_role = self.text(role) if role else None
        party_region = self.region(region) if region else None
        if raw_code is None:
            if required or party_name is not None:
                self.missing(code)
            return None
        if party_name is None:
            if not required:
                self.missing(name)
            return None
        kind, cleaned = self.identify(code, raw_code, declared)
        if cleaned is None:
            return None
        party = {"name": party_name, "code_type": kind, "code": cleaned}
        if party_role or default_role:
            party["role"] = party_role or default_role or ""
        if party_region:
            party["region_code"] = party_region
        return party

    def identify(self, name: str, raw_code: str, declared: tuple[str, str] | None) -> tuple[str, str | None]:
        """(code_type, checked code or None when it fails) for a party code."""
        kind = _CODE_TYPE_NAMES.get(clean_code(declared[1])) if declared else None
        if declared and kind is None:
            self.used.discard(declared[0])  # a platform's own code for the type: kept verbatim
        compact = clean_code(raw_code, keep_hyphens=False)
        if kind is None:
            kind = _code_type_by_shape(compact, clean_code(raw_code))
        if kind == "uscc":
            return kind, compact if self.findings(name, check_uscc(compact, self.regions)) else None
        if kind == "id_card":
            return kind, compact if self.findings(name, check_id_card(compact, self.regions)) else None
        cleaned = clean_code(raw_code)
        if kind == "org_code":
            return kind, cleaned if self.findings(name, check_org_code(cleaned)) else None
        if len(cleaned) > 100 or detect_mojibake(cleaned):
            self.fail(name, BAD_VALUE, f"{name} is not a readable code")
            return kind, None
        return kind, cleaned

    def person_id(self, name: str, *, type_field: str | None = None) -> str | None:
        """A personal ID number as "hmac-sha256:<hex>" under the pseudonymisation key."""
        raw = self.value(name)
        declared = self.value(type_field) if type_field else None
        if raw is None:
            return None
        number = clean_code(raw, keep_hyphens=False)
        if declared is None or clean_code(declared) in _ID_CARD_TYPES:
            if not self.findings(name, check_id_card(number, self.regions)):
                return None
        elif not number or len(number) > 64:
            self.fail(name, BAD_VALUE, f"{name} is not a readable document number")
            return None
        if self.id_hash_key is None:
            self.warnings.append(
                reason(
                    "privacy.id_number_withheld",
                    "no pseudonymisation key: number left out",
                    self.pointer(name),
                )
            )
            return None
        digest = hmac.new(self.id_hash_key, number.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest}"

    # --- what is left -------------------------------------------------------------------------

    def leftovers(self) -> dict[str, Any]:
        """Fields no accessor used, verbatim (personal ID numbers hashed or withheld)."""
        kept: dict[str, Any] = {}
        for key, value in self.row.items():
            if key in self.used or key.startswith("@") or value is None:
                continue
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            if key in PERSONAL_ID_FIELDS:
                value = self.person_id(key)
                if value is None:
                    continue
            kept[key] = value
        return kept


def _code_type_by_shape(compact: str, cleaned: str) -> str:
    if len(compact) == 18:
        looks_like_person = not has_error(check_id_card(compact)) and has_error(check_uscc(compact))
        return "id_card" if looks_like_person else "uscc"
    if _ORG_CODE_SHAPE.fullmatch(cleaned):
        return "org_code"
    return "other"


def compact(**fields: Any) -> dict[str, Any]:
    """A payload without its absent fields: optional means omitted, never null."""
    return {key: value for key, value in fields.items() if value is not None}
