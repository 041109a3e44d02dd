"""Reading one tender-platform row: identifiers, parties, personal numbers and the rest.

`RowReader` adds to the value accessors of `ValueReader` what needs reference data or a key:
region codes (an unknown but well-formed code is a warning), USCC / 组织机构代码 / 身份证号 by their
check characters (a failure is an error), the Party tuples `*_NAME, *_CODE_TYPE, *_CODE, *_ROLE,
*_REGION_CODE`, and personal ID numbers, which only ever leave as keyed hashes. Fields that no
accessor used are kept verbatim in `extensions`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.base import reason
from adapters.normalize import clean_code, detect_mojibake
from adapters.tender_values import BAD_VALUE, MISSING, ValueReader
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

__all__ = ["BAD_VALUE", "MISSING", "PERSONAL_ID_FIELDS", "RowReader", "compact"]

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


class RowReader(ValueReader):
    def __init__(
        self,
        row: Mapping[str, Any],
        *,
        pointer: str = "",
        regions: RegionTable | None = None,
        id_key: bytes | None = None,
    ) -> None:
        super().__init__(row, pointer=pointer)
        self.regions = regions
        self.id_key = id_key

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
        default_role: str,
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
        party = {"name": party_name, "code_type": kind, "code": cleaned, "role": party_role or default_role}
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
        if self.id_key is None:
            self.warnings.append(
                reason(
                    "privacy.id_number_withheld",
                    "no pseudonymisation key: number left out",
                    self.pointer(name),
                )
            )
            return None
        digest = hmac.new(self.id_key, number.encode("utf-8"), hashlib.sha256).hexdigest()
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
