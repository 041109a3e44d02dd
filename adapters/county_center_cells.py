"""Reading the cells of one county export row into standard values, collecting every problem.

`RowReader` methods return the normalized value, or None when the cell is empty or unusable; an
unusable cell adds a reason (`{pointer, code, message}`, pointer `/fields/<FIELD>`) and `finish()`
raises them together as one AdapterError, so a quarantined row lists all of its faults at once.
Identifier findings keep their `identifier.*` codes: errors refuse the row, warnings (a region code
missing from the table, an unlisted registering authority) travel on the record.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from adapters.base import invalid, reason
from adapters.county_center_mapping import CountyMapping, ExportKind, fold
from adapters.normalize import clean_code, clean_text, detect_mojibake, to_rfc3339, to_yuan
from schemas.base import CODE_PATTERN, DECIMAL_PATTERN
from schemas.errors import AdapterError
from schemas.identifiers import Finding, check_id_card, check_org_code, check_region_code, check_uscc
from schemas.regions import RegionTable

NAME_LIMIT, TEXT_LIMIT, CODE_LIMIT = 500, 200_000, 100
_CODE = re.compile(CODE_PATTERN)
_DECIMAL = re.compile(DECIMAL_PATTERN)
_URL = re.compile(r"https?://[^\x00-\x20\x7f]+")
_DIRECTIVE = re.compile(r"%.")
_CHECKERS: Mapping[str, Callable[..., list[Finding]]] = {
    "uscc": check_uscc,
    "org_code": lambda value, _regions: check_org_code(value),
    "id_card": check_id_card,
}


class RowReader:
    def __init__(
        self,
        fields: Mapping[str, str],
        context: Mapping[str, Any],
        kind: ExportKind,
        mapping: CountyMapping,
        *,
        id_key: bytes,
        regions: RegionTable | None,
    ) -> None:
        self.fields, self.context, self.kind, self.mapping = fields, context, kind, mapping
        self._id_key, self._regions = id_key, regions
        self.errors: list[dict[str, str]] = []
        self.warnings: list[dict[str, str]] = []

    # --- plumbing ----------------------------------------------------------------------------

    def fail(self, field: str, code: str, message: str) -> None:
        found = reason(code, message, pointer(field))
        if found not in self.errors:  # a version field is read twice: as itself and as the version
            self.errors.append(found)

    def finish(self) -> None:
        if self.errors:
            raise invalid(f"row refused: {len(self.errors)} problem(s)", *self.errors)

    def raw(self, field: str, *, required: bool = False) -> str | None:
        """The cell text, or None when empty; records a missing required cell."""
        value = self.fields.get(field, "")
        if value.strip():
            return value
        if required or field in self.kind.required:
            self.fail(field, "tender.missing_field", f"{field} is required and the cell is empty")
        return None

    def items(self, field: str, *, required: bool = False) -> list[str]:
        """The items of a multi-valued cell ("001;002"), in order."""
        value = self.raw(field, required=required)
        if value is None:
            return []
        pattern = "[" + re.escape(self.mapping.list_separators) + "\n]"
        return [item.strip() for item in re.split(pattern, value) if item.strip()]

    def _guarded(self, field: str, convert: Callable[[], Any]) -> Any:
        try:
            return convert()
        except AdapterError as exc:
            for detail in exc.details:
                self.fail(
                    field, str(detail.get("code", "adapter.invalid_payload")), str(detail.get("message"))
                )
            return None

    # --- text and codes ----------------------------------------------------------------------

    def text(
        self, field: str, *, required: bool = False, limit: int = NAME_LIMIT, value: str | None = None
    ) -> str | None:
        source = value if value is not None else self.raw(field, required=required)
        if source is None:
            return None
        text = clean_text(source, multiline=limit > NAME_LIMIT)
        if detect_mojibake(text):
            self.fail(field, "encoding.mojibake", "the text reads as decoded with the wrong charset")
            return None
        if not text:
            self._missing(field, required)
            return None
        if len(text) > limit:
            self.fail(field, "county.value_too_long", f"longer than {limit} characters")
            return None
        suffix = self.context.get("suffixes", {}).get(field) if field in self.kind.unit_suffixes else None
        return text + suffix if isinstance(suffix, str) and text.isdigit() else text

    def code(self, field: str, *, required: bool = False, value: str | None = None) -> str | None:
        source = value if value is not None else self.raw(field, required=required)
        if source is None:
            return None
        code = clean_code(source)
        if not code:
            self._missing(field, required)
            return None
        if len(code) > CODE_LIMIT or not _CODE.fullmatch(code):
            self.fail(
                field, "county.bad_code", f"not a code: printable, no spaces, at most {CODE_LIMIT} characters"
            )
            return None
        return code

    def url(self, field: str) -> str | None:
        value = self.code(field)
        if value is not None and not _URL.fullmatch(value):
            self.fail(field, "county.bad_url", "a link is an http(s) URL")
            return None
        return value

    def _missing(self, field: str, required: bool) -> None:
        if required or field in self.kind.required:
            self.fail(field, "tender.missing_field", f"{field} is required and the cell is blank")

    # --- numbers, booleans, times -------------------------------------------------------------

    def decimal(self, field: str) -> str | None:
        value = self.raw(field)
        if value is None:
            return None
        text = clean_code(value).removesuffix("%")
        if not _DECIMAL.fullmatch(text) or len(text) > 40:
            self.fail(field, "county.bad_decimal", "not a plain decimal number")
            return None
        return text

    def count(self, field: str, value: str) -> int | None:
        """One whole number of a (multi-valued) cell."""
        text = clean_code(value)
        if not (text.isascii() and text.isdigit()) or len(text) > 15:
            self.fail(field, "county.bad_integer", "not a whole number of at most 15 digits")
            return None
        return int(text)

    def boolean(self, field: str) -> bool | None:
        value = self.raw(field)
        if value is None:
            return None
        found = self.mapping.booleans.get(fold(value))
        if found is None:
            self.fail(field, "county.bad_boolean", "not one of the yes/no spellings of the mapping")
        return found

    def time(self, field: str, *, required: bool = False) -> str | None:
        value = self.raw(field, required=required)
        if value is None:
            return None
        text = " ".join(unicodedata.normalize("NFKC", value).split())
        moment = _parse(text, self.mapping.time_formats)
        if moment is None:
            day = _parse(text, self.mapping.date_formats)
            if day is None:
                self.fail(field, "normalize.time.invalid", "not in one of the mapping's time formats")
                return None
            if field not in self.kind.date_only:
                self.fail(field, "normalize.time.date_only", "a time was expected, got a date only")
                return None
            moment = day
        return to_rfc3339(moment)

    def money(self, field: str, *, value: str | None = None) -> dict[str, str] | None:
        source = value if value is not None else self.raw(field)
        if source is None:
            return None
        unit = self._unit(field)
        if unit is None:
            return None
        return self._guarded(field, lambda: to_yuan(source, unit))

    def _unit(self, field: str) -> str | None:
        rule = self.kind.money.get(field)
        from_header = self.context.get("units", {}).get(field)
        from_row = self.fields.get(rule.unit_field, "").strip() if rule and rule.unit_field else ""
        if from_header and from_row and _canonical_unit(from_row) != _canonical_unit(from_header):
            self.fail(field, "county.money_unit_conflict", "the header and the unit column disagree")
            return None
        unit = from_header or from_row or (rule.unit if rule else None)
        if not unit:
            self.fail(
                field, "county.money_unit_unknown", "neither the header nor a unit column names the unit"
            )
            return None
        return unit

    def currency(self, field: str) -> None:
        value = self.raw(field)
        if value is not None and fold(value) not in self.mapping.currencies:
            self.fail(field, "county.currency_unsupported", "amounts are accepted in 人民币 only")

    # --- identifiers and parties -------------------------------------------------------------

    def region(self, field: str, *, value: str | None = None) -> str | None:
        code = self.code(field, value=value)
        if code is None:
            return None
        return code if self._findings(field, check_region_code(code, self._regions)) else None

    def party_code(self, field: str, code_type: str, *, value: str | None = None) -> str | None:
        source = value if value is not None else self.raw(field)
        if source is None:
            return None
        code = clean_code(source, keep_hyphens=code_type in ("org_code", "other"))
        check = _CHECKERS.get(code_type)
        if check is None:
            return self.code(field, value=code)
        return code if self._findings(field, check(code, self._regions)) else None

    def code_type(self, code_field: str, type_field: str | None) -> str | None:
        """The code type of a party code: its type column, else the mapping's default for the column."""
        given = self.fields.get(type_field, "") if type_field else ""
        if given.strip():
            found = self.mapping.code_type_values.get(fold(given))
            if found is None:
                self.fail(type_field or code_field, "county.bad_code_type", "code type not in the mapping")
            return found
        default = self.kind.code_types.get(code_field)
        if default is None:
            self.fail(
                code_field, "county.code_type_unknown", "no code type column and no default in the mapping"
            )
        return default

    def id_hash(self, field: str) -> str | None:
        """Keyed hash of a personal ID number: the number itself never leaves the adapter."""
        number = self.party_code(field, "id_card")
        if number is None:
            return None
        digest = hmac.new(self._id_key, number.encode("ascii"), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest}"

    def _findings(self, field: str, findings: list[Finding]) -> bool:
        """Records findings; True when none of them is an error."""
        for finding in findings:
            target = self.errors if finding.severity == "error" else self.warnings
            target.append(reason(finding.code, finding.message, pointer(field)))
        return not any(finding.severity == "error" for finding in findings)


def pointer(field: str) -> str:
    return f"/fields/{field}"


def _parse(text: str, formats: tuple[str, ...]) -> datetime | None:
    for form in formats:
        try:
            moment = datetime.strptime(text, form)  # noqa: DTZ007 - local China time, offset added later
        except ValueError:
            continue
        # strptime reads "2026518" as %Y%m%d; compact forms must have their full width.
        if _DIRECTIVE.sub("", form) or len(text) == len(moment.strftime(form)):
            return moment
    return None


def _canonical_unit(unit: str) -> str | None:
    try:
        return to_yuan("0", unit)["source_unit"]
    except AdapterError:
        return None
