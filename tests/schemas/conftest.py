"""Fixtures for the schema tests: the example documents and the reference JSON Schema validator.

The reference is the `jsonschema` library's Draft 2020-12 validator with a FormatChecker that
carries the project's identifier formats next to the standard ones. Two adjustments keep it a
faithful reference rather than a different dialect:

- `date-time` is only checked when `rfc3339-validator` is installed; without it the reference would
  silently accept any string, so its absence fails the tests loudly instead.
- JSON Schema patterns are ECMA-262 regular expressions, where `$` matches only at the end of the
  input. Python's `$` also matches before a final newline, so the reference reads a pattern's
  closing `$` as `\\Z`, its ECMA meaning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from schemas.identifiers import FORMAT_CHECKERS
from schemas.registry import RECORD_TYPES

EXAMPLES_DIR = Path(__file__).parent / "examples"


def load_example(record_type: str) -> dict[str, Any]:
    return json.loads((EXAMPLES_DIR / f"{record_type}.json").read_text("utf-8"))


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    ecma = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
    if re.search(ecma, instance) is None:
        yield ValidationError(f"does not match {pattern!r}")


_ReferenceValidator = jsonschema.validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    if "date-time" not in checker.checkers:
        raise RuntimeError("the reference needs rfc3339-validator to check date-time (pip install it)")
    for name, check in FORMAT_CHECKERS.items():
        checker.checks(name)(check)
    return checker


@cache
def reference_validator(record_type: str) -> Any:
    schema = RECORD_TYPES[record_type].json_schema
    Draft202012Validator.check_schema(schema)
    return _ReferenceValidator(schema, format_checker=_format_checker())


@pytest.fixture(scope="session")
def reference() -> Callable[[str], Any]:
    """record type → compiled reference validator."""
    return reference_validator


@pytest.fixture(scope="session")
def example_of() -> Callable[[str], dict[str, Any]]:
    """record type → a fresh copy of its example document."""
    return load_example
