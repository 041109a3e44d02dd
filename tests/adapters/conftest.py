"""Golden files: tests/adapters/golden/<source>/<case>.<ext> → <case>.expected.json.

Expected outputs change only with `pytest --update-golden`, so a diff in them is always a decision.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/adapters/golden/**/*.expected.json from the current adapters",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[Path, Any], None]:
    """golden(raw_path, actual): compare `actual` with raw_path's .expected.json (or rewrite it)."""
    update = request.config.getoption("--update-golden")

    def check(raw_path: Path, actual: Any) -> None:
        expected_path = raw_path.with_name(raw_path.name.split(".")[0] + ".expected.json")
        rendered = orjson.dumps(actual, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        if update:
            expected_path.write_bytes(rendered)
            return
        assert expected_path.exists(), f"no golden file {expected_path}; run pytest --update-golden"
        assert orjson.loads(expected_path.read_bytes()) == orjson.loads(rendered), (
            f"{raw_path.name}: output differs from {expected_path.name}"
        )

    return check


def golden_cases(source: str, *patterns: str) -> list[Path]:
    folder = GOLDEN / source
    return sorted(
        p for pattern in patterns for p in folder.glob(pattern) if not p.name.endswith(".expected.json")
    )
