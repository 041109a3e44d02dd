"""The JSON Schema files, the pydantic models and the hot-path validator accept the same documents.

For every record type, three judges see each document: the reference `jsonschema` validator on the
committed schema file, the pydantic model, and `schemas.registry.validate_payload`. Documents are
the example, systematic mutations of it (each field dropped, wrong types, extra fields, spoiled
check digits, timestamps without offset, bad money strings, every enum value — which also switches
the kind-dependent rules), and hypothesis-driven mutations. A test fails on the first document the
judges disagree about.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.errors import RecordInvalidError
from schemas.identifiers import id_card_check_char, uscc_check_char
from schemas.registry import RECORD_TYPES, validate_payload

TYPES = sorted(RECORD_TYPES)
REPO_ROOT = Path(__file__).resolve().parents[2]
JsonPath = tuple[str | int, ...]


def verdicts(record_type: str, document: Any, reference: Callable[[str], Any]) -> tuple[bool, bool, bool]:
    by_reference = reference(record_type).is_valid(document)
    try:
        RECORD_TYPES[record_type].model.model_validate(document)
        by_model = True
    except ValidationError:
        by_model = False
    try:
        validate_payload(record_type, document)
        by_hot_path = True
    except RecordInvalidError:
        by_hot_path = False
    return by_reference, by_model, by_hot_path


def assert_agreement(record_type: str, label: str, document: Any, reference: Callable[[str], Any]) -> bool:
    judged = verdicts(record_type, document, reference)
    assert len(set(judged)) == 1, (
        f"{record_type} [{label}]: reference/model/hot path = {judged}\n"
        f"{json.dumps(document, ensure_ascii=False)[:3000]}"
    )
    return judged[0]


# --- document surgery --------------------------------------------------------------------------------


def nodes(document: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    yield path, document
    if isinstance(document, dict):
        for key, value in document.items():
            yield from nodes(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from nodes(value, (*path, index))


def replaced(document: Any, path: JsonPath, value: Any) -> Any:
    result = copy.deepcopy(document)
    parent = result
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return result


def removed(document: Any, path: JsonPath) -> Any:
    result = copy.deepcopy(document)
    parent = result
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return result


def enum_values(schema: Any) -> dict[str, set[str | bool]]:
    """Property name → every enum or const value any schema gives it (to try them all)."""
    found: dict[str, set[str | bool]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if isinstance(sub, dict):
                    values = sub.get("enum", [sub["const"]] if "const" in sub else [])
                    found.setdefault(name, set()).update(v for v in values if isinstance(v, str | bool))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


# --- systematic mutations ----------------------------------------------------------------------------

WRONG_VALUES: tuple[Any, ...] = (None, 7, 2.5, True, "", "文本", [], {})
TIMESTAMP_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}T")
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECIMAL_LIKE = re.compile(r"^-?\d+(\.\d+)?$")


def _next_char(char: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return alphabet[(alphabet.index(char) + 1) % len(alphabet)] if char in alphabet else "0"


def string_variants(value: str) -> list[Any]:
    variants: list[Any] = [
        value + " ",
        value + "\n",
        value[:-1],
        value.lower(),
        value[:-1] + _next_char(value[-1]),
    ]
    variants.append("长" * 501)
    if TIMESTAMP_LIKE.match(value):
        head, tail = value[:19], value[19:]
        variants += [
            head, head + "+0800", head + "+8:00", head + "+24:00", head + "Z", head.replace("T", " ") + tail,
            head.replace("T", "t") + tail, head + ".123456789" + tail, head + ".1234567891" + tail,
            "2023-02-29" + value[10:], "2024-02-29" + value[10:], value[:11] + "24:00:00" + tail,
            value[:17] + "60" + tail, "0999" + value[4:],
        ]  # fmt: skip
    if DATE_LIKE.match(value):
        variants += [
            "2023-02-29",
            "2024-02-29",
            "2024-13-01",
            "2024-1-01",
            "20240101",
            value + "T00:00:00+08:00",
        ]
    if DECIMAL_LIKE.match(value):
        variants += ["1,000.00", "1e5", ".5", "5.", "-0", "+5", " 5", "１２", "0" * 41, 1000, "-12.50"]
    if value.isdigit() and len(value) == 6:
        variants += ["000000", "53062", "5306211", "990000", "530600", "110100", "530021"]
    return variants


def number_variants(value: int | float) -> list[Any]:
    return [-1, 0, 1.0, 3.5, 2**53, 2**53 + 1, 10**30, float(value), str(value), False]


def mutations(document: dict[str, Any], enums: dict[str, set[str | bool]]) -> Iterator[tuple[str, Any]]:
    for path, value in nodes(document):
        where = "/" + "/".join(map(str, path))
        if isinstance(value, dict):
            yield f"extra field at {where}", replaced(document, (*path, "unexpected_field"), "x")
        if not path:
            continue
        if isinstance(path[-1], str):
            yield f"drop {where}", removed(document, path)
        for wrong in WRONG_VALUES:
            yield f"{where} = {wrong!r}", replaced(document, path, wrong)
        if isinstance(value, str):
            for variant in string_variants(value):
                yield f"{where} = {variant!r}", replaced(document, path, variant)
            for option in sorted(enums.get(str(path[-1]), ()), key=str):
                yield f"{where} = {option!r}", replaced(document, path, option)
        elif isinstance(value, bool):
            yield f"{where} = {not value}", replaced(document, path, not value)
        elif isinstance(value, int | float):
            for variant in number_variants(value):
                yield f"{where} = {variant!r}", replaced(document, path, variant)
        elif isinstance(value, list) and value:
            yield f"{where} doubled", replaced(document, path, [*value, value[0]])
            yield f"{where} + null", replaced(document, path, [*value, None])


class TestExamples:
    @pytest.mark.parametrize("record_type", TYPES)
    def test_every_example_is_accepted_by_all_three(self, record_type: str, example_of, reference) -> None:
        assert verdicts(record_type, example_of(record_type), reference) == (True, True, True)

    def test_there_is_one_example_per_record_type(self) -> None:
        names = sorted(
            path.name.removesuffix(".json") for path in (Path(__file__).parent / "examples").glob("*.json")
        )
        assert names == TYPES


class TestSystematicMutations:
    @pytest.mark.parametrize("record_type", TYPES)
    def test_judges_agree_on_every_mutation(self, record_type: str, example_of, reference) -> None:
        enums = enum_values(RECORD_TYPES[record_type].json_schema)
        accepted = rejected = 0
        for label, document in mutations(example_of(record_type), enums):
            if assert_agreement(record_type, label, document, reference):
                accepted += 1
            else:
                rejected += 1
        # Both outcomes occur, so the agreement is not that of three judges who reject everything.
        assert accepted > 0
        assert rejected > 0


# --- hypothesis-driven mutations ---------------------------------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
_two = st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}")
timestamps = st.builds(
    lambda year, parts, fraction, offset: "{}-{}-{}T{}:{}:{}".format(year, *parts) + fraction + offset,
    st.sampled_from(["2024", "2025", "1999", "0999", "3000"]),
    st.lists(_two, min_size=5, max_size=5),
    st.sampled_from(["", ".5", ".123456789", ".1234567890"]),
    st.sampled_from(["+08:00", "Z", "", "-05:30", "+8:00", "+24:00", "z", "+0800", "-00:00"]),
)
dates = st.builds(
    lambda y, mo, d: f"{y}-{mo}-{d}", st.sampled_from(["2024", "2023", "1900", "0001"]), _two, _two
)
decimals = st.from_regex(r"-?[0-9]{1,5}(\.[0-9]{1,3})?", fullmatch=True) | st.text(
    alphabet="0123456789.-+e ", max_size=8
)
region_codes = st.from_regex(r"[0-9]{6}", fullmatch=True)
usccs = st.text(alphabet=_USCC_ALPHABET, min_size=17, max_size=17).flatmap(
    lambda body: st.sampled_from([body + uscc_check_char(body), body + "0"])
)
id_cards = st.from_regex(
    r"53[0-9]{4}(19[5-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True
).map(lambda body: body + id_card_check_char(body))
hashes = st.builds(
    lambda prefix, digits: prefix + digits,
    st.sampled_from(["sha256:", "hmac-sha256:", "SHA256:"]),
    st.text(alphabet="0123456789abcdefA", min_size=63, max_size=65),
)
near_valid = timestamps | dates | decimals | region_codes | usccs | id_cards | hashes


@st.composite
def mutated(draw: st.DrawFn, record_type: str, example: dict[str, Any]) -> Any:
    document: Any = example
    enums = enum_values(RECORD_TYPES[record_type].json_schema)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [path for path, _ in nodes(document)]
        path = draw(st.sampled_from(paths))
        operation = draw(st.sampled_from(["json", "near_valid", "enum", "drop", "extra"]))
        if not path:
            continue
        if operation == "drop" and isinstance(path[-1], str):
            document = removed(document, path)
        elif operation == "extra" and isinstance(path[-1], str):
            document = replaced(
                document, (*path[:-1], draw(st.text(min_size=1, max_size=8))), draw(json_values)
            )
        elif operation == "enum" and enums.get(str(path[-1])):
            document = replaced(document, path, draw(st.sampled_from(sorted(enums[str(path[-1])], key=str))))
        else:
            source = json_values if operation == "json" else near_valid
            document = replaced(document, path, draw(source))
    return document


class TestGeneratedMutations:
    @pytest.mark.parametrize("record_type", TYPES)
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_judges_agree(self, record_type: str, data: st.DataObject, example_of, reference) -> None:
        document = data.draw(mutated(record_type, example_of(record_type)))
        assert_agreement(record_type, "generated", document, reference)


class TestCommittedSchemas:
    def test_export_check_passes_on_the_committed_files(self) -> None:
        completed = subprocess.run(
            [sys.executable, "-m", "schemas.export", "--check"], cwd=REPO_ROOT, capture_output=True, text=True
        )
        assert completed.returncode == 0, completed.stderr

    def test_export_check_fails_on_a_changed_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import schemas.export as export

        for path in export.JSON_DIR.glob("*.json"):
            (tmp_path / path.name).write_text(path.read_text("utf-8"), encoding="utf-8")
        changed = tmp_path / "tender.award.v1.json"
        changed.write_text(
            changed.read_text("utf-8").replace('"maxLength": 500', '"maxLength": 501'), "utf-8"
        )
        monkeypatch.setattr(export, "JSON_DIR", tmp_path)
        assert export.main(["--check"]) == 1

    def test_schema_files_are_valid_draft_2020_12(self, reference) -> None:
        for record_type in TYPES:
            schema = RECORD_TYPES[record_type].json_schema
            assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            assert schema["$id"].endswith(f"{record_type}/1")
            reference(record_type)  # runs check_schema against the 2020-12 meta-schema
