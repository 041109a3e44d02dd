"""The held directory: served byte for byte to anyone, verified once per change, refreshed only forward."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config.settings import Settings
from gateway.app import create_app
from gateway.routes import federation as federation_routes
from gateway.services.federation import (
    MAX_DIRECTORY_BYTES,
    HeldDirectory,
    directory_file,
    load_directory,
    parse_directory,
    pin_root,
    refresh_directory,
    root_file,
)
from gateway.services.identity import NodeIdentity
from gateway.services.peer_auth import issue_peer_token
from schemas.errors import GatewayError
from signing.directory import rfc3339, sign_directory
from signing.keys import Keyring, SigningKey
from tests.conftest import FIXED_NOW

PROVINCE, CITY = "530000", "530600"


@pytest.fixture(scope="module")
def root_key() -> SigningKey:
    return SigningKey.generate()


def signed(root_key: SigningKey, serial: int, *, days: int = 10, **changes: Any) -> bytes:
    window = {"not_before": rfc3339(FIXED_NOW - timedelta(days=1)),
              "not_after": rfc3339(FIXED_NOW + timedelta(days=365))}
    body = {
        "v": 1, "federation": "云南", "root": PROVINCE, "serial": serial,
        "issued_at": rfc3339(FIXED_NOW - timedelta(hours=1)),
        "expires_at": rfc3339(FIXED_NOW + timedelta(days=days)),
        "nodes": [{"id": PROVINCE, "parent": None, "name": "云南省", "endpoint": "http://530000.test",
                   "keys": [{"jwk": root_key.public.to_jwk(), **window}]}],
        "revoked_keys": [], "departments": [],
    }
    # Indented on purpose: what is served must be the stored bytes, not a re-serialization.
    return orjson.dumps(sign_directory({**body, **changes}, root_key), option=orjson.OPT_INDENT_2)


@pytest.fixture
def fed_settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "var", node={"id": CITY},
                    db={"url": f"sqlite:///{tmp_path / 'unused.db'}"})


@pytest.fixture
def pinned(fed_settings: Settings, root_key: SigningKey) -> Settings:
    pin_root(fed_settings, root_key.public.to_jwk())
    return fed_settings


@pytest.fixture
def app(fed_settings: Settings, node: NodeIdentity) -> FastAPI:
    app = create_app(fed_settings, identity=node, clock=lambda: FIXED_NOW)
    if not any(getattr(route, "path", "") == "/api/v1/federation/directory" for route in app.routes):
        app.include_router(federation_routes.router)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


class TestDirectoryRoute:
    def test_served_as_stored_without_a_token(self, client: TestClient, pinned: Settings,
                                              root_key: SigningKey) -> None:
        data = signed(root_key, 3)
        assert refresh_directory(pinned, lambda: data, FIXED_NOW).status == "accepted"
        response = client.get("/api/v1/federation/directory")
        assert response.status_code == 200
        assert response.content == data
        assert response.headers["content-type"] == "application/json"
        assert response.headers["etag"] == '"serial-3"'

    def test_nothing_held_yet(self, client: TestClient, pinned: Settings) -> None:
        response = client.get("/api/v1/federation/directory")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "federation.no_directory"

    def test_no_root_pinned(self, client: TestClient, fed_settings: Settings, root_key: SigningKey) -> None:
        directory_file(fed_settings).parent.mkdir(parents=True)
        directory_file(fed_settings).write_bytes(signed(root_key, 1))
        assert client.get("/api/v1/federation/directory").json()["code"] == "federation.root_not_pinned"

    def test_an_expired_directory_is_not_served(self, app: FastAPI, pinned: Settings,
                                                root_key: SigningKey) -> None:
        assert refresh_directory(pinned, lambda: signed(root_key, 1, days=1), FIXED_NOW).ok
        times = iter([FIXED_NOW, FIXED_NOW + timedelta(days=2)])
        app.state.clock = lambda: next(times)
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/api/v1/federation/directory").status_code == 200
            response = client.get("/api/v1/federation/directory")
        assert response.status_code == 503
        assert "expired" in response.json()["detail"]


class TestHeldDirectory:
    def test_verified_once_then_again_after_a_change(self, pinned: Settings, root_key: SigningKey) -> None:
        refresh_directory(pinned, lambda: signed(root_key, 1), FIXED_NOW)
        held = HeldDirectory(pinned)
        first = held.current(FIXED_NOW)
        assert held.current(FIXED_NOW + timedelta(minutes=1)) is first
        refresh_directory(pinned, lambda: signed(root_key, 2), FIXED_NOW)
        assert held.current(FIXED_NOW).serial == 2

    def test_a_replaced_root_is_noticed(self, pinned: Settings, root_key: SigningKey) -> None:
        refresh_directory(pinned, lambda: signed(root_key, 1), FIXED_NOW)
        held = HeldDirectory(pinned)
        held.current(FIXED_NOW)
        pin_root(pinned, SigningKey.generate().public.to_jwk(), replace=True)
        with pytest.raises(GatewayError) as caught:
            held.current(FIXED_NOW)
        assert caught.value.code == "federation.no_directory"
        assert "pinned root" in caught.value.message


class TestRefresh:
    def test_first_then_newer(self, pinned: Settings, root_key: SigningKey) -> None:
        first = refresh_directory(pinned, lambda: signed(root_key, 4), FIXED_NOW)
        assert (first.status, first.directory and first.directory.serial) == ("accepted", 4)
        assert first.describe() == "accepted: 云南 serial 4"
        assert refresh_directory(pinned, lambda: signed(root_key, 5), FIXED_NOW).status == "accepted"
        assert load_directory(pinned, FIXED_NOW).serial == 5

    def test_refused_keeps_the_old_and_says_why(self, pinned: Settings, root_key: SigningKey) -> None:
        refresh_directory(pinned, lambda: signed(root_key, 4), FIXED_NOW)
        outcome = refresh_directory(pinned, lambda: signed(root_key, 3), FIXED_NOW)
        assert not outcome.ok
        assert outcome.error is not None
        assert outcome.error.code == "directory.stale"
        assert outcome.directory is not None
        assert outcome.directory.serial == 4
        assert "keeping 云南 serial 4" in outcome.describe()

    def test_an_expired_held_directory_still_blocks_older_serials(self, pinned: Settings,
                                                                  root_key: SigningKey) -> None:
        refresh_directory(pinned, lambda: signed(root_key, 4, days=1), FIXED_NOW)
        later = FIXED_NOW + timedelta(days=2)
        older = signed(root_key, 3, days=30)
        outcome = refresh_directory(pinned, lambda: older, later)
        assert outcome.error is not None
        assert outcome.error.code == "directory.stale"
        assert outcome.directory is None
        assert outcome.describe().endswith("no valid directory held")

    def test_a_damaged_held_file_is_replaced(self, pinned: Settings, root_key: SigningKey) -> None:
        directory_file(pinned).parent.mkdir(parents=True, exist_ok=True)
        directory_file(pinned).write_bytes(b"{damaged")
        assert refresh_directory(pinned, lambda: signed(root_key, 1), FIXED_NOW).status == "accepted"

    def test_a_failing_fetch_is_reported(self, pinned: Settings) -> None:
        def fetch() -> bytes:
            raise ConnectionRefusedError("connection refused")

        outcome = refresh_directory(pinned, fetch, FIXED_NOW)
        assert outcome.error is not None
        assert outcome.error.code == "federation.fetch_failed"

    def test_an_unreadable_pinned_root(self, pinned: Settings, root_key: SigningKey) -> None:
        root_file(pinned).write_text("not a jwk")
        outcome = refresh_directory(pinned, lambda: signed(root_key, 1), FIXED_NOW)
        assert outcome.error is not None
        assert outcome.error.code == "federation.root_not_pinned"

    def test_root_path_from_settings(self, tmp_path: Path, root_key: SigningKey) -> None:
        settings = Settings(env="test", data_dir=tmp_path / "var",
                            federation={"root_jwk_path": str(tmp_path / "etc" / "root.jwk")})
        pin_root(settings, root_key.public.to_jwk())
        assert (tmp_path / "etc" / "root.jwk").exists()
        assert refresh_directory(settings, lambda: signed(root_key, 1), FIXED_NOW).ok

    def test_oversized_input(self, root_key: SigningKey) -> None:
        with pytest.raises(GatewayError) as caught:
            parse_directory(b" " * (MAX_DIRECTORY_BYTES + 1), root_key.public, now=FIXED_NOW)
        assert caught.value.code == "directory.invalid"


class TestPeerDependency:
    @pytest.fixture
    def peer_client(self, settings: Settings, node: NodeIdentity, root_key: SigningKey
                    ) -> Iterator[TestClient]:
        """The city node (migrated database of each tier) with one route that only peers may call."""
        pin_root(settings, root_key.public.to_jwk())
        app = create_app(settings, identity=node, clock=lambda: FIXED_NOW)

        @app.get("/peer-only")
        def peer_only(peer: federation_routes.PeerDep) -> dict[str, str]:
            return {"peer": peer.node_id, "kid": peer.kid}

        with TestClient(app, raise_server_exceptions=False) as client:
            yield client

    def test_a_peer_is_admitted_once(self, peer_client: TestClient, settings: Settings,
                                     root_key: SigningKey) -> None:
        assert refresh_directory(settings, lambda: signed(root_key, 1), FIXED_NOW).ok
        province = NodeIdentity(node_id=PROVINCE, name="云南省", endpoint="http://530000.test", key=root_key,
                                keyring=Keyring([root_key.public]))
        headers = {"Authorization": f"Bearer {issue_peer_token(province, audience=CITY, now=FIXED_NOW)}"}
        response = peer_client.get("/peer-only", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"peer": PROVINCE, "kid": root_key.kid}
        again = peer_client.get("/peer-only", headers=headers)
        assert (again.status_code, again.json()["code"]) == (401, "peer.replayed_token")

    def test_refusals_are_problems(self, peer_client: TestClient, settings: Settings, node: NodeIdentity,
                                   root_key: SigningKey) -> None:
        assert peer_client.get("/peer-only").json()["code"] == "federation.no_directory"
        refresh_directory(settings, lambda: signed(root_key, 1), FIXED_NOW)
        missing = peer_client.get("/peer-only")
        assert (missing.status_code, missing.json()["code"]) == (401, "auth.missing_token")
        assert missing.headers["www-authenticate"] == "Bearer"
        # The city itself is not in this directory: its own token names an unknown key.
        token = issue_peer_token(node, audience=CITY, now=FIXED_NOW)
        unknown = peer_client.get("/peer-only", headers={"Authorization": f"Bearer {token}"})
        assert unknown.json()["code"] == "peer.unknown_key"
