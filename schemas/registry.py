"""The record types of version 1 by name, and the hot-path payload validator.

`validate_payload` is what ingest calls for every record: it runs the committed JSON Schema through
a compiled `jsonschema_rs` validator (compiled once per type, on first use) with the identifier
formats of `schemas.identifiers`, and never builds the pydantic model. Valid payloads cost one
`is_valid` call; only an invalid one is walked again for its error details.

Error details are `{"pointer", "code", "message"}`: `pointer` is an RFC 6901 JSON Pointer into the
payload (for a missing or unexpected property, the pointer of that property), `code` is
`identifier.<format>` for an identifier check (`identifier.uscc`) and `schema.<keyword>` otherwise
(`schema.required`). Messages describe the rule and the type of what was found, never the value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

import jsonschema_rs

from schemas.base import CODE_PATTERN, DATE_PATTERN, DECIMAL_PATTERN, TIMESTAMP_PATTERN, StandardRecord
from schemas.errors import RecordInvalidError, UnknownRecordTypeError
from schemas.export import SCHEMA_VERSION, schema_file, schema_id
from schemas.export import schema_name as _schema_name
from schemas.identifiers import FORMAT_CHECKERS
from schemas.models.catalog import RECORD_MODELS

MAX_ERROR_DETAILS = 50
# Identifier checks dominate validation time (a USCC check costs several times the rest of a small
# record), and the same bidders, tenderers and regions recur in record after record; the checks are
# pure functions of the string, so their answers are memoised per process.
FORMAT_CACHE_SIZE = 65_536


@dataclass(frozen=True)
class RecordType:
    name: str
    version: int
    schema_id: str
    model: type[StandardRecord]
    json_schema: dict[str, Any] = field(compare=False, repr=False)
    business_key: tuple[str, ...]
    jurisdiction_fields: tuple[str, ...]


def _load(model: type[StandardRecord]) -> RecordType:
    name = model.record_type
    return RecordType(
        name=name,
        version=SCHEMA_VERSION,
        schema_id=schema_id(name),
        model=model,
        json_schema=json.loads(schema_file(name).read_text("utf-8")),
        business_key=tuple(model.business_key),
        jurisdiction_fields=tuple(model.jurisdiction_fields),
    )


RECORD_TYPES: Mapping[str, RecordType] = MappingProxyType({m.record_type: _load(m) for m in RECORD_MODELS})


def get_record_type(name: str) -> RecordType:
    try:
        return RECORD_TYPES[name]
    except (KeyError, TypeError):
        raise UnknownRecordTypeError(
            f"unknown record type {_preview(name)}",
            details=[
                {"pointer": "/type", "code": UnknownRecordTypeError.code, "message": "unknown record type"}
            ],
        ) from None


def schema_name(record_type: str) -> str:
    """`tender.award` → `tender.award/1`, the envelope's `schema` value."""
    return _schema_name(get_record_type(record_type).name)


def _memoised(check: Callable[[object], bool]) -> Callable[[object], bool]:
    # jsonschema_rs hands a format function strings only, so every argument is hashable.
    return lru_cache(maxsize=FORMAT_CACHE_SIZE)(check)


HOT_PATH_FORMATS: Mapping[str, Callable[[object], bool]] = MappingProxyType(
    {name: _memoised(check) for name, check in FORMAT_CHECKERS.items()}
)


@cache
def _validator(name: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(
        RECORD_TYPES[name].json_schema, validate_formats=True, formats=dict(HOT_PATH_FORMATS)
    )


def validate_payload(record_type: str, payload: Mapping[str, Any]) -> None:
    """Raise RecordInvalidError listing every problem (up to MAX_ERROR_DETAILS) unless valid."""
    validator = _validator(get_record_type(record_type).name)
    try:
        if validator.is_valid(payload):
            return
        details = _details(validator.iter_errors(payload))
    except ValueError:
        # A payload that is not JSON-shaped (a non-string key) fails conversion before any keyword runs.
        details = [
            {"pointer": "", "code": "schema.type", "message": "payload holds a value that is not JSON"}
        ]
    more = " (first ones listed)" if len(details) > MAX_ERROR_DETAILS else ""
    raise RecordInvalidError(
        f"{record_type} payload is invalid: {min(len(details), MAX_ERROR_DETAILS)} problem(s){more}",
        details=details[:MAX_ERROR_DETAILS],
    )


def business_key(record_type: str, payload: Mapping[str, Any]) -> tuple[str, ...]:
    """The values of the type's business-key fields, as strings, in declaration order."""
    spec = get_record_type(record_type)
    values: list[str] = []
    for path in spec.business_key:
        value = _lookup(payload, path)
        if isinstance(value, bool) or not isinstance(value, str | int):
            pointer = "/" + path.replace(".", "/")
            raise RecordInvalidError(
                f"{record_type} payload lacks its business key {path}",
                details=[{"pointer": pointer, "code": "schema.required", "message": "business key field"}],
            )
        values.append(str(value))
    return tuple(values)


def jurisdiction_of(record_type: str, payload: Mapping[str, Any]) -> str | None:
    """The region code the record says it concerns (first present `x-jurisdiction` field), if any."""
    for path in get_record_type(record_type).jurisdiction_fields:
        value = _lookup(payload, path)
        if isinstance(value, str):
            return value
    return None


def _lookup(payload: Any, dotted: str) -> Any:
    value = payload
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


# --- error details ---------------------------------------------------------------------------------

_PATTERN_HINTS = {
    TIMESTAMP_PATTERN: "an RFC 3339 date-time with offset, e.g. 2026-11-22T10:00:00+08:00",
    DATE_PATTERN: "a date YYYY-MM-DD",
    DECIMAL_PATTERN: "a decimal string such as 1234.56",
    CODE_PATTERN: "a code without spaces or control characters",
    r"^sha256:[0-9a-f]{64}$": "'sha256:' followed by 64 lower-case hex digits",
    r"^hmac-sha256:[0-9a-f]{64}$": "'hmac-sha256:' followed by 64 lower-case hex digits",
    r"^[0-9a-f]{32}$": "32 lower-case hex digits",
}
_FORMAT_NAMES = {"date-time": "an RFC 3339 date-time", "date": "a real calendar date"}


def _details(errors: Iterator[jsonschema_rs.ValidationError]) -> list[dict[str, str]]:
    details: list[dict[str, str]] = []
    for error in errors:
        details.extend(_describe(error))
        if len(details) > MAX_ERROR_DETAILS:
            break
    return details


def _describe(error: jsonschema_rs.ValidationError) -> list[dict[str, str]]:
    pointer = _pointer(error.instance_path)
    kind = error.kind
    keyword = kind.name
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        return [_detail(_child(pointer, kind.property), "schema.required", "is required")]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        return [
            _detail(_child(pointer, name), "schema.additionalProperties", "is not a field of this object")
            for name in kind.unexpected
        ]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Format) and kind.format in FORMAT_CHECKERS:
        return [_detail(pointer, f"identifier.{kind.format}", f"is not a valid {kind.format}")]
    return [_detail(pointer, f"schema.{keyword}", _MESSAGES.get(keyword, _generic)(kind, error.instance))]


def _detail(pointer: str, code: str, message: str) -> dict[str, str]:
    return {"pointer": pointer, "code": code, "message": message}


def _pointer(path: list[str | int]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _child(pointer: str, name: str) -> str:
    return pointer + _pointer([name])


def _preview(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list | tuple) else "object"


def _generic(kind: Any, _instance: Any) -> str:
    return f"violates {kind.name}"


_MESSAGES: dict[str, Callable[[Any, Any], str]] = {
    "type": lambda kind, found: f"expected {' or '.join(kind.types)}, found {_json_type(found)}",
    "pattern": lambda kind, _: (
        "must be " + _PATTERN_HINTS.get(kind.pattern, f"of the form {_preview(kind.pattern)}")
    ),
    "format": lambda kind, _: "is not " + _FORMAT_NAMES.get(kind.format, kind.format),
    "enum": lambda kind, _: "must be one of " + _preview(kind.options, 200),
    "const": lambda kind, _: "must be " + _preview(kind.expected_value),
    "minLength": lambda kind, _: f"must have at least {kind.limit} character(s)",
    "maxLength": lambda kind, _: f"must have at most {kind.limit} characters",
    "minItems": lambda kind, _: f"must have at least {kind.limit} item(s)",
    "maxItems": lambda kind, _: f"must have at most {kind.limit} items",
    "minimum": lambda kind, _: f"must be at least {kind.limit}",
    "maximum": lambda kind, _: f"must be at most {kind.limit}",
}
