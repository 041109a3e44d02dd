"""The shared parts of the county record builders: plain-field tables, parties, per-section lists.

A `RecordBuilder` lists the dataset fields (DOMAIN §3.2 names) its record type reads: plain fields as
`(payload key, field, converter)` rows, composite ones (parties, per-section lists) in its `build`
function. Rows of 中标结果 and 开标记录 may list several sections ("…001;…002"): they become one
record per section, because awards and openings are kept per section. A per-section value
(统一交易标识码, 中标金额, 投标人数量) then lists one item per section; a single amount for several
sections is refused rather than copied, since it cannot say which section it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.county_center_cells import TEXT_LIMIT, RowReader
from schemas.identifiers import check_unified_deal_code

Payload = dict[str, Any]
Simple = tuple[str, str, str]  # payload key, dataset field, converter name


@dataclass(frozen=True)
class RecordBuilder:
    simple: tuple[Simple, ...]
    composite: frozenset[str]  # fields read by `build`
    mandatory: tuple[str, ...]  # fields whose column a file must have and whose cell a row must fill
    build: Callable[[RowReader, Payload], list[Payload]]  # the simple part in, payloads out

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(field for _, field, _ in self.simple) | self.composite

    def payloads(self, reader: RowReader) -> list[Payload]:
        simple = {
            key: CONVERTERS[how](reader, field, field in self.mandatory) for key, field, how in self.simple
        }
        return self.build(reader, simple)


# Converter name → how a plain field is read; `required` is whether the cell must be filled.
CONVERTERS: dict[str, Callable[[RowReader, str, bool], Any]] = {
    "name": lambda reader, field, required: reader.text(field, required=required),
    "text": lambda reader, field, required: reader.text(field, required=required, limit=TEXT_LIMIT),
    "code": lambda reader, field, required: reader.code(field, required=required),
    "time": lambda reader, field, required: reader.time(field, required=required),
    "url": lambda reader, field, _required: reader.url(field),
    "money": lambda reader, field, _required: reader.money(field),
    "decimal": lambda reader, field, _required: reader.decimal(field),
    "bool": lambda reader, field, _required: reader.boolean(field),
    "deal_code": lambda reader, field, _required: deal_code(reader, field),
}


def compact(payload: Payload) -> Payload:
    """Optional means omitted: no None values in a standard payload."""
    return {key: value for key, value in payload.items() if value is not None}


def deal_code(reader: RowReader, field: str, value: str | None = None) -> str | None:
    code = reader.code(field, value=value)
    if code is None:
        return None
    findings = check_unified_deal_code(code)
    for finding in findings:
        reader.fail(field, finding.code, finding.message)
    return None if findings else code


def party(
    reader: RowReader,
    *,
    name: str,
    code: str,
    code_type: str | None,
    role: str | None = None,
    region: str | None = None,
    required: bool = False,
) -> Payload | None:
    """A Party from its `*_NAME, *_CODE_TYPE, *_CODE, *_ROLE, *_REGION_CODE` fields."""
    name_value = reader.text(name, required=required)
    code_text = reader.raw(code, required=required)
    role_value = reader.text(role) if role else None
    region_value = reader.region(region) if region else None
    if name_value is None and code_text is None:
        return None
    if name_value is None or code_text is None:
        if not required:  # a required cell has already been reported missing
            missing = code if name_value is not None else name
            reader.fail(missing, "tender.missing_field", "a party needs both its name and its code")
        return None
    kind = reader.code_type(code, code_type)
    code_value = reader.party_code(code, kind) if kind else None
    if kind is None or code_value is None:
        return None
    return compact(
        {
            "name": name_value,
            "code_type": kind,
            "code": code_value,
            "role": role_value,
            "region_code": region_value,
        }
    )


def sections(reader: RowReader, field: str) -> list[str]:
    codes = [reader.code(field, value=item) for item in reader.items(field, required=True)]
    found = [code for code in codes if code is not None]
    if len(set(found)) != len(found):
        reader.fail(field, "county.duplicate_section", "a section is listed twice")
    return found if len(found) == len(codes) else []


def per_section(reader: RowReader, field: str, count: int, convert: Callable[[str], Any]) -> list[Any]:
    items = reader.items(field)
    if not items:
        return [None] * count
    if len(items) != count:
        reader.fail(field, "county.section_mismatch", f"{len(items)} value(s) for {count} section(s)")
        return [None] * count
    return [convert(item) for item in items]
