"""Generate the JSON Schema files (draft 2020-12) of the record types from their pydantic models.

    python -m schemas.export           # rewrite schemas/json/<type>.v1.json
    python -m schemas.export --check   # exit 1 if a committed file differs from what the models give

The models are the source; the files are what other systems read and what the hot-path validator
compiles. Post-processing of pydantic's output:

- optional fields lose their `null` branch and `default: null` (optional means omitted);
- property titles go (the descriptions carry the national field names);
- the root gets `$schema`, `$id` (`urn:ggzy-gateway:schema:<type>/1`), `x-record-type`,
  `x-business-key` and `x-jurisdiction` (dotted field paths, as on the model class).

Output is deterministic: sorted keys, 2-space indent, UTF-8 (Chinese kept), trailing newline.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from schemas.base import StandardRecord
from schemas.models.catalog import RECORD_MODELS

SCHEMA_VERSION = 1
DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:ggzy-gateway:schema:"
JSON_DIR = Path(__file__).resolve().parent / "json"

_SUBSCHEMA_MAPS = frozenset({"properties", "$defs", "patternProperties", "dependentSchemas"})
_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SUBSCHEMA_VALUES = frozenset(
    {"items", "additionalProperties", "if", "then", "else", "not", "contains", "propertyNames"}
)
_NULL = {"type": "null"}


def schema_name(record_type: str, version: int = SCHEMA_VERSION) -> str:
    return f"{record_type}/{version}"


def schema_id(record_type: str, version: int = SCHEMA_VERSION) -> str:
    return ID_PREFIX + schema_name(record_type, version)


def schema_file(record_type: str, version: int = SCHEMA_VERSION) -> Path:
    return JSON_DIR / f"{record_type}.v{version}.json"


def build_json_schema(model: type[StandardRecord]) -> dict[str, Any]:
    schema: dict[str, Any] = _clean(model.model_json_schema(mode="validation"), is_property=False)
    schema.update(
        {
            "$schema": DIALECT,
            "$id": schema_id(model.record_type),
            "x-record-type": model.record_type,
            "x-business-key": list(model.business_key),
            "x-jurisdiction": list(model.jurisdiction_fields),
        }
    )
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _clean(node: Any, *, is_property: bool) -> Any:
    if not isinstance(node, dict):
        return node
    cleaned: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SUBSCHEMA_MAPS:
            cleaned[key] = {name: _clean(sub, is_property=key == "properties") for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS:
            cleaned[key] = [_clean(sub, is_property=False) for sub in value]
        elif key in _SUBSCHEMA_VALUES:
            cleaned[key] = _clean(value, is_property=False)
        else:
            cleaned[key] = value
    branches = cleaned.get("anyOf")
    if branches is not None and _NULL in branches:
        kept = [branch for branch in branches if branch != _NULL]
        del cleaned["anyOf"]
        if len(kept) == 1:
            # The field's own keywords (description) win over the branch's.
            cleaned = {**kept[0], **cleaned}
        else:
            cleaned["anyOf"] = kept
    if "default" in cleaned and cleaned["default"] is None:
        del cleaned["default"]
    if is_property:
        cleaned.pop("title", None)
    return cleaned


def expected_files() -> dict[Path, str]:
    return {schema_file(model.record_type): render(build_json_schema(model)) for model in RECORD_MODELS}


def stale_files(expected: dict[Path, str]) -> list[Path]:
    """Files that differ from the models, are missing, or belong to no record type."""
    stale = [path for path, text in expected.items() if not path.is_file() or path.read_text("utf-8") != text]
    stale.extend(path for path in sorted(JSON_DIR.glob("*.json")) if path not in expected)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m schemas.export", description="Generate the record JSON Schemas."
    )
    parser.add_argument(
        "--check", action="store_true", help="compare instead of writing; exit 1 on a difference"
    )
    args = parser.parse_args(argv)
    expected = expected_files()
    if args.check:
        stale = stale_files(expected)
        for path in stale:
            sys.stderr.write(f"out of date: {path.name} (run python -m schemas.export)\n")
        return 1 if stale else 0
    JSON_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in expected.items():
        path.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {len(expected)} schemas to {JSON_DIR}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
