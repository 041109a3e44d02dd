"""PyPI has unrelated distributions named like our packages: each must resolve inside this repository."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


class TestPackagesResolveLocally:
    @pytest.mark.parametrize("name", ["config", "schemas", "adapters", "signing", "gateway", "sync"])
    def test_package_is_ours(self, name: str) -> None:
        module = importlib.import_module(name)
        assert module.__file__ is not None
        assert Path(module.__file__).resolve().parent == ROOT / name
