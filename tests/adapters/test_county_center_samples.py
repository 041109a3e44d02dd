"""The bundled county-center samples, their bad/ folder and the golden files."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pytest

from adapters.base import RejectedItem
from adapters.county_center import CountyCenterAdapter
from adapters.county_center_mapping import load_mapping
from schemas.errors import AdapterError
from schemas.registry import RECORD_TYPES, validate_payload
from tests.adapters.conftest import golden_cases
from tests.adapters.make_county_samples import SAMPLES, build

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = CountyCenterAdapter(
    load_mapping(ROOT / "config" / "mappings" / "county-center.json"),
    id_key=b"county-center-golden-key-000001",
)
GOOD = sorted(path for path in SAMPLES.iterdir() if path.is_file() and path.suffix in (".csv", ".xlsx"))

# file → (stage, code, items refused, items accepted); stage "file": split refuses the whole file.
BAD: dict[str, tuple[str, str, int, int]] = {
    "530621_中标结果_big5.csv": ("file", "encoding.undetectable", 0, 0),
    "530621_中标结果_bom_gbk.csv": ("file", "encoding.undeclared_mismatch", 0, 0),
    "530621_投标人名单_mojibake_header.csv": ("file", "encoding.mojibake", 0, 0),
    "530621_中标结果_unknown_column.csv": ("file", "header.unknown", 0, 0),
    "530621_中标结果_empty.csv": ("file", "file.empty", 0, 0),
    "410225_开标记录_not_zip.xlsx": ("file", "excel.unreadable", 0, 0),
    "530621_投标人名单_ragged.csv": ("split", "csv.ragged_row", 2, 4),
    "530621_中标结果_bad_uscc.csv": ("normalize", "identifier.uscc.check_digit", 4, 0),
    "中标结果_no_county.csv": ("normalize", "county.region_unknown", 4, 0),
}


def outcome(path: Path) -> list[dict[str, Any]]:
    """Each item of a file: its records, or the reasons it was refused (and by which step)."""
    entries: list[dict[str, Any]] = []
    for item in ADAPTER.split(path.read_bytes(), filename=path.name):
        if isinstance(item, RejectedItem):
            entries.append({"ref": item.ref, "refused_by": "split", "reasons": list(item.reasons)})
            continue
        try:
            produced = ADAPTER.normalize(item)
        except AdapterError as exc:
            entries.append({"ref": item.ref, "refused_by": "normalize", "reasons": exc.details})
            continue
        records = [
            {
                "type": r.type,
                "jurisdiction": r.jurisdiction,
                "payload": r.payload,
                "warnings": list(r.warnings),
            }
            for r in produced
        ]
        entries.append({"ref": item.ref, "dataset": item.dataset, "records": records})
    return entries


def assert_valid(record: dict[str, Any]) -> None:
    validate_payload(record["type"], record["payload"])
    RECORD_TYPES[record["type"]].model.model_validate(record["payload"])
    assert record["jurisdiction"] == record["payload"]["region_code"]


class TestBundledSamples:
    @pytest.mark.parametrize("path", GOOD, ids=lambda path: path.name)
    def test_normalize_without_a_refusal_and_validate(self, path: Path) -> None:
        entries = outcome(path)
        assert entries
        assert [entry for entry in entries if "records" not in entry] == []
        for entry in entries:
            for record in entry["records"]:
                assert_valid(record)
                assert record["warnings"] == []

    def test_cover_every_shape_with_enough_rows(self) -> None:
        rows = {path.name: outcome(path) for path in GOOD}
        types = collections.Counter(
            record["type"] for entries in rows.values() for e in entries for record in e["records"]
        )
        assert sum(len(entries) for entries in rows.values()) >= 150
        assert set(types) == {
            "tender.award",
            "tender.bid",
            "tender.project",
            "tender.section",
            "tender.opening",
        }
        heads = {path.suffix: path.read_bytes()[:4] for path in GOOD}
        assert heads[".xlsx"].startswith(b"PK")
        raw = [path.read_bytes() for path in GOOD if path.suffix == ".csv"]
        assert any(data.startswith(b"\xef\xbb\xbf") for data in raw)
        assert any(
            not data.startswith(b"\xef\xbb\xbf") and data.isascii() is False and _is_utf8(data)
            for data in raw
        )
        assert any(not _is_utf8(data) for data in raw)  # GBK

    def test_stay_small(self) -> None:
        assert sum(path.stat().st_size for path in SAMPLES.rglob("*") if path.is_file()) < 200_000


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class TestBadSamples:
    @pytest.mark.parametrize(("name", "expected"), sorted(BAD.items()))
    def test_each_is_refused_for_its_documented_reason(
        self, name: str, expected: tuple[str, str, int, int]
    ) -> None:
        stage, code, refused, accepted = expected
        path = SAMPLES / "bad" / name
        if stage == "file":
            with pytest.raises(AdapterError) as caught:
                outcome(path)
            assert caught.value.details[0]["code"] == code
            return
        entries = outcome(path)
        refusals = [entry for entry in entries if "reasons" in entry]
        assert [entry["refused_by"] for entry in refusals] == [stage] * refused
        assert all(code in [reason["code"] for reason in entry["reasons"]] for entry in refusals)
        assert len(entries) - len(refusals) == accepted

    def test_every_bad_file_is_listed_and_documented(self) -> None:
        present = {path.name for path in (SAMPLES / "bad").iterdir()}
        assert present == set(BAD)
        readme = (SAMPLES / "README.md").read_text("utf-8")
        for name, (_, code, _, _) in BAD.items():
            assert name in readme
            assert code in readme


class TestGenerator:
    def test_committed_files_are_what_the_generator_writes(self) -> None:
        for path, data in build().items():
            assert path.read_bytes() == data, f"{path.name}: run python -m tests.adapters.make_county_samples"


class TestGolden:
    @pytest.mark.parametrize(
        "path", golden_cases("county-center", "*.csv", "*.xlsx"), ids=lambda path: path.name
    )
    def test_output(self, path: Path, golden: Any) -> None:
        entries = outcome(path)
        for entry in entries:
            for record in entry.get("records", []):
                assert_valid(record)
        golden(path, entries)

    def test_cases_exist(self) -> None:
        assert len(golden_cases("county-center", "*.csv", "*.xlsx")) >= 6
