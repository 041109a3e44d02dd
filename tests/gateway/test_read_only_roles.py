"""Auditor and discipline tokens are read-only by construction: every write route of the OpenAPI
document refuses them, whatever the body."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

WRITE_METHODS = ("post", "put", "patch", "delete")


def write_routes(client: TestClient) -> list[tuple[str, str]]:
    paths = client.get("/openapi.json").json()["paths"]
    routes = []
    for path, ops in paths.items():
        for method in ops:
            if method in WRITE_METHODS:
                concrete = re.sub(r"\{[^}]+\}", "530621", path)
                routes.append((method, concrete))
    return routes


class TestReadOnlyRoles:
    @pytest.mark.parametrize("role", ["auditor", "discipline"])
    def test_every_write_route_refuses_with_403(self, client: TestClient, token, role: str) -> None:
        routes = write_routes(client)
        assert ("post", "/api/v1/ingest/standard") in routes
        headers = token(role, "530000", scopes=["records:read", "pii:read", "obligations:read"])
        for method, path in routes:
            resp = client.request(
                method.upper(),
                path,
                headers={**headers, "Content-Type": "application/json"},
                content=b'{"type":"tender.award","jurisdiction":"530621","payload":{}}',
            )
            assert resp.status_code == 403, (method, path, resp.status_code, resp.text[:200])
            assert resp.headers["content-type"] == "application/problem+json"

    def test_the_same_routes_accept_a_writer(self, client: TestClient, token) -> None:
        resp = client.post("/api/v1/ingest/standard", headers=token("admin"), json=[])
        assert resp.status_code != 403
