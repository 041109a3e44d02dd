"""Validators for the national identifiers carried by trading records (DOMAIN §2).

Each `check_*` returns a list of findings instead of raising, so that one record can report every
problem at once. Severity follows one rule: a malformed value or a failed check digit is an
"error" (the record is quarantined); a well-formed value that only disagrees with reference data
that may be stale or incomplete (region tables, registry type tables) is a "warning".
Inputs are expected already cleaned (upper case, no spaces): see adapters.normalize.clean_code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from schemas.regions import RegionTable, is_region_code


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: Literal["error", "warning"]


def _error(code: str, message: str) -> Finding:
    return Finding(code, message, "error")


def _warning(code: str, message: str) -> Finding:
    return Finding(code, message, "warning")


def has_error(findings: Sequence[Finding]) -> bool:
    return any(finding.severity == "error" for finding in findings)


# --- check characters -----------------------------------------------------------------------

# GB 32100: I, O, Z, S, V are excluded to avoid confusion with 1, 0, 2, 5, U.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {char: value for value, char in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

_ORG_VALUE = {char: int(char, 36) for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_ID_CARD_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CARD_CHECK = "10X98765432"

_MOD37_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_MOD37_DATA_VALUE = {char: value for value, char in enumerate(_MOD37_ALPHABET[:36])}


def uscc_check_char(first17: str) -> str:
    """Check character of a 统一社会信用代码 from its first 17 characters (GB 32100-2015)."""
    if len(first17) != 17 or any(char not in _USCC_VALUE for char in first17):
        raise ValueError("a USCC body is 17 characters from the GB 32100 alphabet")
    total = sum(_USCC_VALUE[char] * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[-total % 31]


def org_code_check_char(body8: str) -> str:
    """Check character of a 组织机构代码 from its 8-character body (GB 11714-1997)."""
    if len(body8) != 8 or any(char not in _ORG_VALUE for char in body8):
        raise ValueError("an organization code body is 8 characters from 0-9A-Z")
    check = 11 - sum(_ORG_VALUE[char] * weight for char, weight in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def id_card_check_char(first17: str) -> str:
    """Check character of an 18-digit 居民身份证号 from its first 17 digits (GB 11643-1999)."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("an ID card body is 17 ASCII digits")
    total = sum(int(char) * weight for char, weight in zip(first17, _ID_CARD_WEIGHTS, strict=True))
    return _ID_CARD_CHECK[total % 11]


def mod37_2_check_char(data: str) -> str:
    """ISO/IEC 7064 MOD 37-2 check character over `data` (characters 0-9A-Z)."""
    remainder = 0
    for char in data:
        value = _MOD37_DATA_VALUE.get(char)
        if value is None:
            raise ValueError("MOD 37-2 data characters are 0-9 and A-Z")
        remainder = (remainder + value) * 2 % 37
    return _MOD37_ALPHABET[(38 - remainder) % 37]


# --- 统一社会信用代码 and 组织机构代码 -----------------------------------------------------------

# Registering authority (position 1) → known institution types (position 2), from the code table
# published with GB 32100 and its later assignments. An unlisted pair is only a warning: the table
# grows as authorities are added.
_USCC_REGISTRY_TYPES: dict[str, str] = {
    "1": "1239",  # 机构编制
    "2": "19",  # 外交
    "3": "123459",  # 司法行政
    "4": "19",  # 文化
    "5": "1239",  # 民政
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 工商 (市场监管)
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业
    "Y": "1",  # 其他
}
# Central-level bodies are registered under 100000, which is not a GB/T 2260 division.
_CENTRAL_REGISTRATION_REGION = "100000"


def check_uscc(value: object, regions: RegionTable | None = None) -> list[Finding]:
    """统一社会信用代码 (GB 32100-2015). Any registering-authority character is accepted.

    Errors: length, alphabet (no I O Z S V, upper case only), non-digit region, check character.
    Warnings: unlisted authority/type pair, embedded 组织机构代码 failing its own check (个体工商户
    subject codes need not be GB 11714 codes), embedded region unknown to `regions`.
    """
    if not isinstance(value, str):
        return [_error("identifier.uscc.type", "a USCC must be a string")]
    if len(value) != 18:
        return [_error("identifier.uscc.length", "a USCC has 18 characters")]
    bad = [i for i, char in enumerate(value) if char not in _USCC_VALUE]
    if bad:
        return [_error("identifier.uscc.charset", f"character {bad[0] + 1} is outside the GB 32100 alphabet")]
    findings: list[Finding] = []
    if uscc_check_char(value[:17]) != value[17]:
        findings.append(_error("identifier.uscc.check_digit", "the check character does not match"))
    region = value[2:8]
    if not region.isdigit():
        findings.append(_error("identifier.uscc.charset", "characters 3-8 (registration region) are digits"))
    if value[1] not in _USCC_REGISTRY_TYPES.get(value[0], ""):
        findings.append(
            _warning("identifier.uscc.registry_type", "unknown registering authority / institution type")
        )
    if org_code_check_char(value[8:16]) != value[16]:
        findings.append(
            _warning("identifier.uscc.org_code_check", "the embedded organization code fails its check")
        )
    if region.isdigit() and region != _CENTRAL_REGISTRATION_REGION:
        findings.extend(_region_reference_findings(region, regions, "identifier.uscc.region"))
    return findings


_ORG_CODE = re.compile(r"[0-9A-Z]{8}-?[0-9X]")


def check_org_code(value: object) -> list[Finding]:
    """组织机构代码 as "XXXXXXXX-X" or "XXXXXXXXX"."""
    if not isinstance(value, str):
        return [_error("identifier.org_code.type", "an organization code must be a string")]
    if len(value) not in (9, 10) or (len(value) == 10 and value[8] != "-"):
        return [_error("identifier.org_code.length", "an organization code is XXXXXXXX-X or XXXXXXXXX")]
    if not _ORG_CODE.fullmatch(value):
        return [_error("identifier.org_code.charset", "body is 0-9A-Z, check is 0-9 or X")]
    if org_code_check_char(value[:8]) != value[-1]:
        return [_error("identifier.org_code.check_digit", "the check character does not match")]
    return []


# --- 居民身份证号 ---------------------------------------------------------------------------------

_ID_CARD_18 = re.compile(r"\d{17}[0-9X]")
# Birth dates before this year are treated as corrupt data rather than people.
_EARLIEST_BIRTH_YEAR = 1900


def check_id_card(
    value: object, regions: RegionTable | None = None, *, today: date | None = None
) -> list[Finding]:
    """18-character 居民身份证号; 15-digit pre-1999 numbers pass with a `legacy_15` warning.

    `today` enables the not-in-the-future birth date check (None: not checked, keeping this pure).
    The address code is checked only as a warning: IDs keep abolished county codes for life, and
    other 18-character documents (foreigners' permanent residence cards) share the layout.
    """
    if not isinstance(value, str):
        return [_error("identifier.id_card.type", "an ID card number must be a string")]
    findings: list[Finding] = []
    if len(value) == 18:
        if not (value.isascii() and _ID_CARD_18.fullmatch(value)):
            return [_error("identifier.id_card.charset", "17 digits followed by a digit or X")]
        birth = value[6:14]
        if id_card_check_char(value[:17]) != value[17]:
            findings.append(_error("identifier.id_card.check_digit", "the check character does not match"))
    elif len(value) == 15:
        if not (value.isascii() and value.isdigit()):
            return [_error("identifier.id_card.charset", "a 15-character ID card number is all digits")]
        birth = "19" + value[6:12]
        findings.append(_warning("identifier.id_card.legacy_15", "15-digit ID card number (pre-1999 format)"))
    else:
        return [_error("identifier.id_card.length", "an ID card number has 18 (or legacy 15) characters")]
    born = _parse_compact_date(birth)
    if born is None or born.year < _EARLIEST_BIRTH_YEAR:
        findings.append(_error("identifier.id_card.birth_date", "the birth date is not a real date"))
    elif today is not None and born > today:
        findings.append(_error("identifier.id_card.birth_date", "the birth date is in the future"))
    findings.extend(_region_reference_findings(value[:6], regions, "identifier.region.unknown"))
    return findings


# --- 行政区划代码, 投资项目代码 -------------------------------------------------------------------


def check_region_code(value: object, regions: RegionTable | None = None) -> list[Finding]:
    """A GB/T 2260 code in a record field (REGION_CODE, *_REGION_CODE)."""
    if not isinstance(value, str):
        return [_error("identifier.region.type", "a region code must be a string")]
    if len(value) != 6 or not (value.isascii() and value.isdigit()):
        return [_error("identifier.region.format", "a region code is 6 digits")]
    if not is_region_code(value):
        return [_error("identifier.region.structure", "not a GB/T 2260 province/prefecture/county code")]
    if regions is None or regions.contains(value):
        return []
    if regions.is_retired(value):
        return [
            _warning("identifier.region.retired", f"region code retired from the {regions.edition} table")
        ]
    return [_warning("identifier.region.unknown", f"region code not in the {regions.edition} table")]


_INVEST_PROJECT_CODE = re.compile(r"\d{4}-(\d{6})-\d{2}-\d{2}-\d{6}")


def check_invest_project_code(value: object, regions: RegionTable | None = None) -> list[Finding]:
    """投资项目统一代码, `NNNN-RRRRRR-NN-NN-NNNNNN`.

    The first group is not checked as a year (GB/T 40058 codes start with YYMM, older ones with a
    year), and the GB/T 40058 §4.7 check character is not verified.
    """
    if not isinstance(value, str):
        return [_error("identifier.invest_project_code.type", "an investment project code must be a string")]
    match = _INVEST_PROJECT_CODE.fullmatch(value) if value.isascii() else None
    if match is None:
        return [_error("identifier.invest_project_code.format", "expected NNNN-NNNNNN-NN-NN-NNNNNN")]
    return _region_reference_findings(match.group(1), regions, "identifier.invest_project_code.region")


def _region_reference_findings(code: str, regions: RegionTable | None, structure_code: str) -> list[Finding]:
    """Warnings for a region embedded in another identifier, where retired codes are normal."""
    if not is_region_code(code):
        return [_warning(structure_code, "the embedded region is not a GB/T 2260 code")]
    if regions is not None and not regions.knows(code):
        return [_warning("identifier.region.unknown", f"embedded region not in the {regions.edition} table")]
    return []


# --- 统一交易标识码 ---------------------------------------------------------------------------------

_DEAL_CODE_DISPLAY = re.compile(r"(.{18})-(\d{8})-(\d{6})-(.)")
_DEAL_CODE_COMPACT = re.compile(r"(.{18})(\d{8})(\d{6})(.)")


def check_unified_deal_code(value: object, prefix: str | Sequence[str] = "") -> list[Finding]:
    """统一交易标识码: USCC + yyyyMMdd + 6-digit serial + MOD 37-2 check (33 chars, or 36 hyphenated).

    The check covers `prefix` + the 32 data characters; Fujian prefixes its INDUSTRIES_TYPE, which
    is not printed. Pass several candidate prefixes as a sequence: any one matching passes.
    """
    if not isinstance(value, str):
        return [_error("identifier.unified_deal_code.type", "a unified deal code must be a string")]
    if len(value) not in (33, 36):
        return [_error("identifier.unified_deal_code.length", "33 characters, or 36 with hyphens")]
    pattern = _DEAL_CODE_COMPACT if len(value) == 33 else _DEAL_CODE_DISPLAY
    match = pattern.fullmatch(value) if value.isascii() else None
    if match is None:
        return [
            _error("identifier.unified_deal_code.format", "expected USCC, yyyyMMdd, 6-digit serial, check")
        ]
    uscc, day, serial, check = match.groups()
    findings: list[Finding] = []
    if has_error(check_uscc(uscc)):
        findings.append(_error("identifier.unified_deal_code.uscc", "the embedded USCC is invalid"))
    if _parse_compact_date(day) is None:
        findings.append(_error("identifier.unified_deal_code.date", "the embedded date is not a real date"))
    if findings:
        return findings
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
    data = uscc + day + serial
    if not any(mod37_2_check_char(candidate + data) == check for candidate in prefixes):
        findings.append(
            _error("identifier.unified_deal_code.check_digit", "the check character does not match")
        )
    return findings


def _parse_compact_date(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


# --- JSON Schema formats ---------------------------------------------------------------------


def _format_checker(check: Callable[[str], list[Finding]]) -> Callable[[object], bool]:
    def checker(value: object) -> bool:
        # JSON Schema formats constrain strings only; other types are the "type" keyword's business.
        return not isinstance(value, str) or not has_error(check(value))

    checker.__name__ = f"{check.__name__}_format"
    return checker


FORMAT_CHECKERS: dict[str, Callable[[object], bool]] = {
    "uscc": _format_checker(check_uscc),
    "org-code": _format_checker(check_org_code),
    "cn-id-card": _format_checker(check_id_card),
    "region-code": _format_checker(check_region_code),
    "invest-project-code": _format_checker(check_invest_project_code),
    "unified-deal-code": _format_checker(check_unified_deal_code),
}
