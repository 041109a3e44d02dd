"""The county-center mapping: data that tells `CountyCenterAdapter` how a county centre's exports look.

The mapping is a JSON document (config/mappings/county-center.json) handed to the adapter as a dict;
`load_mapping(path)` reads it for the gateway, which is the only file access in this package's
county-center modules. Keys (all optional unless marked):

- `time_formats`, `date_formats`: `strptime` formats accepted for times and for dates alone.
  Nothing else is read as a time: an unlisted shape is refused rather than guessed.
- `booleans`: `{"true": [...], "false": [...]}` cell spellings (compared after NFKC, case-folded).
- `code_type_values`: spellings of a party's code type → `uscc | org_code | id_card | other`.
- `currencies`: spellings of 人民币 accepted in a currency column; any other currency is refused.
- `list_separators`: characters between the items of a multi-valued cell (several sections).
- `max_title_rows`: how many one-cell title rows may sit above the header.
- `counties` (list): `{region_code, name, match}`; a file whose name or title row matches one of
  the `match` regular expressions of exactly one county gets that county's region code as the
  default REGION_CODE of its rows (a county centre exports only its own county).
- `exports` (required): export kinds by key. Each has `record_type` and `dataset` (required),
  `title`, `file_names` (regexes that pick the kind when headers fit several), `columns` (header
  → dataset field; several spellings may give one field), `required` (fields whose column and
  cell must be present), `money` (`{FIELD: {"unit": default, "unit_field": FIELD}}`; the unit
  written in the header, "中标金额(万元)", comes first), `versions` (fields giving
  `data_timestamp`, first non-empty wins), `date_only` (time fields where a bare date means the
  start of that day), `code_types` (default code type of a party code column), `unit_suffixes`
  (text fields whose header unit is appended to a bare number: 工期(日历天) 540 → "540日历天"),
  `extensions` (fields kept verbatim under the record's `extensions`) and `ignored` (fields read
  but not carried, such as 序号).

A mapping that contradicts itself (a column giving a field its record type does not know, two
spellings of one header giving different fields, a bad regex) raises `ValueError` at construction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from adapters.tabular import map_headers
from schemas.identifiers import check_region_code

CODE_TYPES = frozenset({"uscc", "org_code", "id_card", "other"})
# Fields every export kind may carry besides those of its record type.
COMMON_FIELDS = frozenset({"DATA_TIMESTAMP", "PLATFORM_CODE", "REGION_CODE"})


def load_mapping(path: str | Path) -> dict[str, Any]:
    """The mapping document at `path`, as the dict `CountyCenterAdapter` takes."""
    document = orjson.loads(Path(path).read_bytes())
    if not isinstance(document, dict):
        raise ValueError(f"{path}: a mapping is a JSON object")
    return document


def fold(text: str) -> str:
    """Comparison form of a cell spelling: NFKC, no whitespace, case-folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@dataclass(frozen=True)
class MoneyRule:
    unit: str | None  # used when neither the header nor `unit_field` names the unit
    unit_field: str | None


@dataclass(frozen=True)
class ExportKind:
    key: str
    title: str
    dataset: str
    record_type: str
    file_names: tuple[re.Pattern[str], ...]
    columns: Mapping[str, str]
    required: tuple[str, ...]
    money: Mapping[str, MoneyRule]
    versions: tuple[str, ...]
    date_only: frozenset[str]
    code_types: Mapping[str, str]
    unit_suffixes: frozenset[str]
    extensions: tuple[str, ...]
    ignored: frozenset[str]

    def header_requirements(self, mandatory: Collection[str]) -> list[str]:
        """Fields a file of this kind must have columns for: `required` plus the record's own."""
        return list(dict.fromkeys([*self.required, *mandatory]))


@dataclass(frozen=True)
class County:
    region_code: str
    name: str
    match: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class CountyMapping:
    kinds: Mapping[str, ExportKind]
    counties: tuple[County, ...]
    time_formats: tuple[str, ...]
    date_formats: tuple[str, ...]
    booleans: Mapping[str, bool]
    code_type_values: Mapping[str, str]
    currencies: frozenset[str]
    list_separators: str
    max_title_rows: int


def parse_mapping(document: Mapping[str, Any], known_fields: Mapping[str, frozenset[str]]) -> CountyMapping:
    """Checked, immutable form of a mapping document; `known_fields` lists each record type's fields."""
    exports = _require(document, "exports", dict)
    if not exports:
        raise ValueError("the mapping defines no export kind")
    kinds = {key: _kind(key, spec, known_fields) for key, spec in exports.items()}
    booleans_spec = _get(document, "booleans", dict, {})
    booleans: dict[str, bool] = {}
    for truth, value in (("true", True), ("false", False)):
        for spelling in _strings(booleans_spec, truth):
            if booleans.setdefault(fold(spelling), value) is not value:
                raise ValueError(f"boolean spelling {spelling!r} is both true and false")
    code_type_values = {
        fold(name): value for name, value in _get(document, "code_type_values", dict, {}).items()
    }
    if not set(code_type_values.values()) <= CODE_TYPES:
        raise ValueError(f"code_type_values map to {sorted(CODE_TYPES)} only")
    max_title_rows = _get(document, "max_title_rows", int, 3)
    if not 0 <= max_title_rows <= 20:
        raise ValueError("max_title_rows is between 0 and 20")
    return CountyMapping(
        kinds=MappingProxyType(kinds),
        counties=tuple(_county(spec) for spec in _get(document, "counties", list, [])),
        time_formats=tuple(_strings(document, "time_formats")) or ("%Y-%m-%d %H:%M:%S",),
        date_formats=tuple(_strings(document, "date_formats")) or ("%Y-%m-%d",),
        booleans=MappingProxyType(booleans),
        code_type_values=MappingProxyType(code_type_values),
        currencies=frozenset(fold(name) for name in _strings(document, "currencies")),
        list_separators=_get(document, "list_separators", str, ";；、|"),
        max_title_rows=max_title_rows,
    )


def _kind(key: str, spec: Any, known_fields: Mapping[str, frozenset[str]]) -> ExportKind:
    if not isinstance(spec, dict):
        raise ValueError(f"export {key!r} is not an object")
    record_type = _require(spec, "record_type", str)
    if record_type not in known_fields:
        raise ValueError(f"export {key!r}: no county builder for record type {record_type!r}")
    columns = _require(spec, "columns", dict)
    if not all(isinstance(name, str) and isinstance(field, str) for name, field in columns.items()):
        raise ValueError(f"export {key!r}: columns map header text to field names")
    map_headers([], columns)  # raises ValueError when two spellings of one header disagree
    extensions = tuple(_strings(spec, "extensions"))
    ignored = frozenset(_strings(spec, "ignored"))
    allowed = known_fields[record_type] | COMMON_FIELDS | set(extensions) | ignored
    fields = set(columns.values())
    if unknown := fields - allowed:
        raise ValueError(f"export {key!r}: {record_type} has no field {sorted(unknown)}")
    money: dict[str, MoneyRule] = {}
    for field, rule in _get(spec, "money", dict, {}).items():
        if not isinstance(rule, dict) or set(rule) - {"unit", "unit_field"}:
            raise ValueError(f"export {key!r}: money rule of {field} takes unit and unit_field")
        money[field] = MoneyRule(rule.get("unit"), rule.get("unit_field"))
    code_types = _get(spec, "code_types", dict, {})
    if not set(code_types.values()) <= CODE_TYPES:
        raise ValueError(f"export {key!r}: code_types map to {sorted(CODE_TYPES)} only")
    versions = tuple(_strings(spec, "versions")) or ("DATA_TIMESTAMP",)
    named = [*_strings(spec, "required"), *money, *versions, *code_types, *_strings(spec, "date_only")]
    if stray := set(named) - allowed:
        raise ValueError(f"export {key!r} names fields no column can give: {sorted(stray)}")
    return ExportKind(
        key=key,
        title=_get(spec, "title", str, key),
        dataset=_require(spec, "dataset", str),
        record_type=record_type,
        file_names=tuple(_pattern(text) for text in _strings(spec, "file_names")),
        columns=MappingProxyType(dict(columns)),
        required=tuple(_strings(spec, "required")),
        money=MappingProxyType(money),
        versions=versions,
        date_only=frozenset(_strings(spec, "date_only")),
        code_types=MappingProxyType(dict(code_types)),
        unit_suffixes=frozenset(_strings(spec, "unit_suffixes")),
        extensions=extensions,
        ignored=ignored,
    )


def _county(spec: Any) -> County:
    if not isinstance(spec, dict):
        raise ValueError("each county is an object {region_code, name, match}")
    region_code = _require(spec, "region_code", str)
    if any(finding.severity == "error" for finding in check_region_code(region_code)):
        raise ValueError(f"county region code {region_code!r} is not a GB/T 2260 code")
    patterns = tuple(_pattern(text) for text in _strings(spec, "match"))
    if not patterns:
        raise ValueError(f"county {region_code} needs at least one match pattern")
    return County(region_code, _get(spec, "name", str, region_code), patterns)


def _pattern(text: str) -> re.Pattern[str]:
    try:
        return re.compile(unicodedata.normalize("NFC", text))
    except re.error as exc:
        raise ValueError(f"bad regular expression {text!r}: {exc}") from exc


def _require(spec: Mapping[str, Any], key: str, kind: type) -> Any:
    if key not in spec:
        raise ValueError(f"the mapping lacks {key!r}")
    return _get(spec, key, kind, None)


def _get(spec: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    value = spec.get(key, default)
    if value is not default and (
        not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool)
    ):
        raise ValueError(f"{key!r} must be a {kind.__name__}")
    return value


def _strings(spec: Mapping[str, Any], key: str) -> list[str]:
    values = _get(spec, key, list, [])
    if not all(isinstance(value, str) for value in values):
        raise ValueError(f"{key!r} must be a list of strings")
    return values
