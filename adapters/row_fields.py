"""Reading one source row field by field, collecting every problem before refusing the row.

`RowFields` wraps a row (source field names → values) and turns fields into standard values:
text (NFC, mojibake refused), codes (half-width, no spaces), dates, times, money in 万元 and the
national identifiers. A problem is recorded as a reason `{pointer, code, message}` whose pointer
names the source field (`/CF_XDR_SHXYM`); `refuse()` raises them all together as one AdapterError.
Identifier findings keep the codes of `schemas.identifiers` (`identifier.uscc.check_digit`); their
warnings become record warnings. The adapter's own codes are `<area>.<reason>`:

- `missing_field`: a required field is absent or blank;
- `field_type`: a value is neither text nor an integer (a list, an object, a float amount…);
- `too_long` / `bad_code`: a name over 500 characters, a code with control characters or over 100;
- `bad_value`: a value outside the field's vocabulary, or a year outside 1000-2999;
- `date_order`: a date before the one it must follow (a validity ending before it starts);
- `no_data_timestamp`: no version field (DATA_TIMESTAMP, VERSIONNUMBER, …).

The mappings add `no_jurisdiction` (no region field for the record); the splitter
(`adapters.row_upload`) adds `unknown_dataset` and `dataset_mismatch`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from adapters.base import reason
from adapters.normalize import clean_code, clean_text, detect_mojibake, to_date, to_rfc3339, to_yuan
from adapters.tabular import find_mojibake
from schemas.errors import AdapterError
from schemas.identifiers import (
    Finding,
    check_id_card,
    check_invest_project_code,
    check_org_code,
    check_region_code,
    check_uscc,
)
from schemas.regions import RegionTable

MAX_NAME = 500
MAX_CODE = 100
_CODE_CHARS = re.compile(r"[^\x00-\x20\x7f]+")
# The standard's date pattern admits years 1000-2999; earlier or later years are corrupt values.
_YEARS = ("1000", "2999")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch milliseconds between 2000 and 2100: anything else is a corrupt collection time.
_EPOCH_MS_RANGE = (946_684_800_000, 4_102_444_800_000)


def is_mojibake(text: str) -> bool:
    """Both heuristics: each catches misreadings the other lets through. Callers check the text as
    received too: cleaning removes characters (soft hyphens, C1 controls) that betray a misreading."""
    if text.isascii():  # the one ASCII trace of a failed decoding is a run of question marks
        return "????" in text
    return find_mojibake(text) is not None or detect_mojibake(text)


def _garbled(received: str | None, cleaned: str) -> bool:
    return is_mojibake(cleaned) or (received is not None and received != cleaned and is_mojibake(received))


# Identifier checks are pure functions of the code and the region table, and the same authorities,
# enterprises and regions recur row after row.
@lru_cache(maxsize=65_536)
def _findings(kind: str, code: str, regions: RegionTable | None) -> tuple[Finding, ...]:
    checks: dict[str, Callable[[str], list[Finding]]] = {
        "uscc": lambda value: check_uscc(value, regions),
        "org_code": check_org_code,
        "id_card": lambda value: check_id_card(value, regions),
        "invest_project_code": lambda value: check_invest_project_code(value, regions),
        "region": lambda value: check_region_code(value, regions),
    }
    return tuple(checks[kind](code))


def is_personal_id_field(name: str) -> bool:
    """证件号码 columns (XK_FR_ZJHM, CF_XDR_ZJHM, IDCARD …), whatever the source calls them."""
    upper = name.upper()
    return upper.endswith("ZJHM") or "IDCARD" in upper or "ID_CARD" in upper or "证件号码" in name


class RowFields:
    """Field access with reasons collected per row. `area` prefixes the adapter's own codes."""

    def __init__(self, row: Mapping[str, Any], *, area: str, regions: RegionTable | None = None) -> None:
        self.row = row
        self.area = area
        self.regions = regions
        self.reasons: list[dict[str, str]] = []
        self.warnings: list[dict[str, str]] = []
        self.used: set[str] = set()
        self.carried: dict[str, Any] = {}  # values read and checked, kept in extensions by the mapping

    # --- problems --------------------------------------------------------------------------

    def problem(self, code: str, message: str, field: str = "") -> None:
        self.reasons.append(reason(code, message, f"/{field}" if field else ""))

    def warn(self, code: str, message: str, field: str = "") -> None:
        self.warnings.append(reason(code, message, f"/{field}" if field else ""))

    def own(self, suffix: str) -> str:
        return f"{self.area}.{suffix}"

    def in_order(self, earlier: tuple[str, str | None], later: tuple[str, str | None]) -> None:
        """Refuse a (field, ISO date) that falls before another; either may be absent."""
        (earlier_name, earlier_day), (later_name, later_day) = earlier, later
        if earlier_day is not None and later_day is not None and later_day < earlier_day:
            self.problem(self.own("date_order"), f"earlier than {earlier_name}", later_name)

    def refuse(self, message: str) -> AdapterError:
        return AdapterError(message, details=self.reasons)

    # --- raw values ------------------------------------------------------------------------

    def first_present(self, *names: str) -> str | None:
        """The first of `names` whose value is not blank (the others still count as read)."""
        self.used.update(names)
        for name in names:
            value = self.row.get(name)
            if value is not None and not (isinstance(value, str) and not value.strip()):
                return name
        return None

    def _scalar(self, name: str) -> str | None:
        self.used.add(name)
        value = self.row.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(self.own("field_type"), "expected text", name)
            return None
        return str(value) if isinstance(value, int) else value

    def _missing(self, name: str, label: str) -> None:
        self.problem(self.own("missing_field"), f"{label} is required", name)

    # --- text and codes --------------------------------------------------------------------

    def text(
        self, name: str, *, required: str = "", multiline: bool = False, limit: int = MAX_NAME
    ) -> str | None:
        """Cleaned text, or None when blank; `required` is the field's label when it must be given."""
        value = self._scalar(name)
        cleaned = clean_text(value, multiline=multiline) if value is not None else ""
        if not cleaned:
            if required:
                self._missing(name, required)
            return None
        if _garbled(value, cleaned):
            self.problem("encoding.mojibake", "text reads as decoded with the wrong charset", name)
            return None
        if len(cleaned) > limit:
            self.problem(self.own("too_long"), f"more than {limit} characters", name)
            return None
        return cleaned

    def code(self, name: str, *, required: str = "", keep_hyphens: bool = True) -> str | None:
        value = self._scalar(name)
        cleaned = clean_code(value, keep_hyphens=keep_hyphens) if value is not None else ""
        if not cleaned:
            if required:
                self._missing(name, required)
            return None
        if not _CODE_CHARS.fullmatch(cleaned) or len(cleaned) > MAX_CODE:
            self.problem(self.own("bad_code"), f"a code is 1-{MAX_CODE} printable characters", name)
            return None
        if _garbled(value, cleaned):
            self.problem("encoding.mojibake", "code reads as decoded with the wrong charset", name)
            return None
        return cleaned

    def choice(self, name: str, vocabulary: Mapping[str, Any], *, label: str) -> Any:
        """The vocabulary's value for the field's code or text; None when blank."""
        value = self.code(name)
        if value is None:
            return None
        if value not in vocabulary:
            self.problem(self.own("bad_value"), f"unknown {label}", name)
            return None
        return vocabulary[value]

    # --- dates, times, money ----------------------------------------------------------------

    def date(self, name: str, *, required: str = "") -> str | None:
        return self._in_years(
            name, self._converted(name, required, lambda text: to_date(text, pointer=f"/{name}"))
        )

    def timestamp(self, name: str) -> str | None:
        return self._in_years(
            name, self._converted(name, "", lambda text: to_rfc3339(text, pointer=f"/{name}"))
        )

    def _in_years(self, name: str, value: str | None) -> str | None:
        if value is not None and not _YEARS[0] <= value[:4] <= _YEARS[1]:
            self.problem(
                self.own("bad_value"), f"a year between {_YEARS[0]} and {_YEARS[1]} is expected", name
            )
            return None
        return value

    def money_wan(self, name: str) -> dict[str, str] | None:
        """Money from an amount in 万元 (CF_NR_FK, ALLINVEST …); JSON floats are refused, not guessed."""
        self.used.add(name)
        value = self.row.get(name)
        if isinstance(value, float):
            self.problem("normalize.money.type", "amounts must be given as text or integers", name)
            return None
        money: dict[str, str] | None = self._converted(
            name, "", lambda text: to_yuan(text, "万元", pointer=f"/{name}")
        )
        return money

    def epoch_ms(self, name: str) -> str | None:
        value = self.code(name)
        if value is None:
            return None
        if (
            not value.isascii()
            or not value.isdigit()
            or not _EPOCH_MS_RANGE[0] <= int(value) < _EPOCH_MS_RANGE[1]
        ):
            self.problem(self.own("bad_value"), "expected epoch milliseconds between 2000 and 2100", name)
            return None
        return to_rfc3339(_EPOCH + timedelta(milliseconds=int(value)))

    def data_timestamp(self, *names: str, otherwise: str | None = None) -> str | None:
        """The record version from the first present of `names`, else `otherwise` (a value the
        mapping read from the source's own version field, such as a collection time)."""
        present = self.first_present(*names)
        if present is not None:
            return self.timestamp(present)
        if otherwise is None:
            self.problem(self.own("no_data_timestamp"), f"no record version ({', '.join(names)})", names[0])
        return otherwise

    def _converted(self, name: str, required: str, convert: Callable[[str], Any]) -> Any:
        value = self._scalar(name)
        if value is None or not value.strip():
            if required:
                self._missing(name, required)
            return None
        try:
            return convert(value)
        except AdapterError as error:
            self.reasons.extend(error.details)
            return None

    # --- identifiers -------------------------------------------------------------------------

    def uscc(self, name: str, *, required: str = "") -> str | None:
        return self._identifier(name, required, "uscc", keep_hyphens=False)

    def org_code(self, name: str) -> str | None:
        """组织机构代码 in the hyphenated form XXXXXXXX-X, so that every source spells it alike."""
        code = self._identifier(name, "", "org_code", keep_hyphens=False)
        return None if code is None else f"{code[:8]}-{code[8:]}"

    def id_card(self, name: str, *, required: str = "") -> str | None:
        return self._identifier(name, required, "id_card", keep_hyphens=False)

    def invest_project_code(self, name: str) -> str | None:
        return self._identifier(name, "", "invest_project_code")

    def region(self, name: str, *, required: str = "") -> str | None:
        return self._identifier(name, required, "region")

    def _identifier(
        self,
        name: str,
        required: str,
        kind: str,
        *,
        keep_hyphens: bool = True,
    ) -> str | None:
        code = self.code(name, required=required, keep_hyphens=keep_hyphens)
        if code is None:
            return None
        failed = False
        for finding in _findings(kind, code, self.regions):
            if finding.severity == "error":
                self.problem(finding.code, finding.message, name)
                failed = True
            else:
                self.warn(finding.code, finding.message, name)
        return None if failed else code

    # --- leftovers -----------------------------------------------------------------------------

    def extensions(self) -> dict[str, Any]:
        """`carried` values, then the fields the mapping did not read, as cleaned text. Personal ID
        numbers are never kept: they travel only where a standard record has a field for them."""
        kept: dict[str, Any] = dict(self.carried)
        for name, value in self.row.items():
            if name in self.used or is_personal_id_field(name) or value is None:
                continue
            text = self.text(name, limit=MAX_NAME)
            if text is not None:
                kept[name] = text
        return kept
