"""API fixtures: a node app on a migrated database, a client, tokens for each role, sample records."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from gateway.app import create_app
from gateway.services.auth import issue_token
from gateway.services.identity import NodeIdentity
from tests.conftest import FIXED_NOW

EXAMPLES = Path(__file__).resolve().parent.parent / "schemas" / "examples"


def example(record_type: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{record_type}.json").read_text("utf-8"))


def award(
    n: int = 0, *, version: str = "2024-11-22T10:00:00+08:00", jurisdiction: str = "530621"
) -> dict[str, Any]:
    """A distinct tender.award per n (its section code differs), at the given version."""
    payload = copy.deepcopy(example("tender.award"))
    payload["bid_section_code"] = payload["tender_project_code"] + f"{n + 1:03d}"
    payload["data_timestamp"] = version
    return {"type": "tender.award", "jurisdiction": jurisdiction, "payload": payload}


@pytest.fixture
def app(settings: Settings, node: NodeIdentity):
    return create_app(settings, identity=node, clock=lambda: FIXED_NOW)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def token(node: NodeIdentity):
    def make(
        role: str,
        jurisdiction: str | None = None,
        scopes: list[str] | None = None,
        ttl: timedelta = timedelta(hours=1),
    ) -> dict[str, str]:
        value = issue_token(
            node,
            role=role,
            subject=f"{role}-test",
            jurisdiction=jurisdiction,
            scopes=scopes,
            ttl=ttl,
            now=FIXED_NOW,
        )
        return {"Authorization": f"Bearer {value}"}

    return make
