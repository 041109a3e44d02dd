"""`ggzy federation`: the root drafts and signs; other nodes pin the root and take only newer directories."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner, Result

from config.settings import Settings, get_settings
from gateway.cli import federation as federation_cli
from gateway.cli.main import app
from gateway.services.federation import directory_file, load_directory
from gateway.services.identity import load_identity
from signing.directory import rfc3339, sign_directory
from signing.keys import SigningKey

PROVINCE, CITY, COUNTY = "530000", "530600", "530621"
runner = CliRunner()
Run = Callable[..., Result]


def node_env(base: Path, node_id: str) -> dict[str, str]:
    return {"GATEWAY_DATA_DIR": str(base / node_id), "GATEWAY_NODE__ID": node_id,
            "GATEWAY_NODE__NAME": f"节点{node_id}", "GATEWAY_NODE__ENDPOINT": f"http://{node_id}.test",
            "GATEWAY_ENV": "test"}


@pytest.fixture
def ggzy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run `ggzy federation …` (or another command) as the node `node_id` whose data is under tmp_path."""
    def run(node_id: str, *args: str, command: str = "federation") -> Result:
        for name, value in node_env(tmp_path, node_id).items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            return runner.invoke(app, [command, *args] if command else list(args))
        finally:
            get_settings.cache_clear()

    return run


def settings_of(tmp_path: Path, node_id: str) -> Settings:
    return Settings(data_dir=tmp_path / node_id, node={"id": node_id}, env="test")


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def failed(result: Result, code: str) -> str:
    assert result.exit_code == 1, result.output
    assert code in result.output
    return result.output


def write_jwk_of(ggzy: Run, node_id: str, path: Path) -> str:
    jwks = orjson.loads(ok(ggzy(node_id, "keys", "show", command="")))
    path.write_bytes(orjson.dumps(jwks))
    return str(jwks["keys"][0]["kid"])


@pytest.fixture
def federation(ggzy: Run, tmp_path: Path) -> Path:
    """Province root with the city added, serial 1 signed; returns the signed file."""
    ok(ggzy(PROVINCE, "init", "--name", "云南省公共资源交易"))
    write_jwk_of(ggzy, CITY, tmp_path / "city.jwk")
    ok(ggzy(PROVINCE, "add-node", "--id", CITY, "--parent", PROVINCE, "--name", "昭通市",
            "--endpoint", "http://530600.test", "--jwk", str(tmp_path / "city.jwk")))
    ok(ggzy(PROVINCE, "add-department", "--id", "11530600MB0000001A", "--name", "昭通市住房和城乡建设局",
            "--jurisdiction", CITY, "--industry", "住建", "--node", CITY))
    out = tmp_path / "directory-1.json"
    assert "signed serial 1" in ok(ggzy(PROVINCE, "sign", "--out", str(out), "--valid-days", "30"))
    return out


def sign_as(key: SigningKey, source: Path, target: Path, **changes: Any) -> Path:
    document = orjson.loads(source.read_bytes())
    del document["sig"]
    target.write_bytes(orjson.dumps(sign_directory({**document, **changes}, key)))
    return target


class TestRootWorkflow:
    def test_init_pins_this_node_as_root(self, ggzy: Run, tmp_path: Path) -> None:
        output = ok(ggzy(PROVINCE, "init", "--name", "云南"))
        key = load_identity(settings_of(tmp_path, PROVINCE)).key
        assert key.kid in output
        draft = orjson.loads((tmp_path / PROVINCE / "federation" / "draft.json").read_bytes())
        assert (draft["root"], draft["serial"]) == (PROVINCE, 0)
        assert draft["nodes"][0]["keys"][0]["jwk"]["kid"] == key.kid
        assert orjson.loads((tmp_path / PROVINCE / "federation" / "root.jwk").read_bytes())["kid"] == key.kid
        failed(ggzy(PROVINCE, "init", "--name", "云南"), "federation.draft_invalid")
        ok(ggzy(PROVINCE, "init", "--name", "云南", "--force"))

    def test_sign_show_and_serve(self, ggzy: Run, federation: Path, tmp_path: Path) -> None:
        shown = ok(ggzy(PROVINCE, "show", str(federation)))
        assert "serial 1" in shown
        assert "verified" in shown
        assert "昭通市住房和城乡建设局" in shown
        assert shown.count(" valid") >= 2
        held = directory_file(settings_of(tmp_path, PROVINCE))
        assert held.read_bytes() == federation.read_bytes()
        assert "serial 1" in ok(ggzy(PROVINCE, "show"))

    def test_each_signature_takes_the_next_serial(self, ggzy: Run, federation: Path, tmp_path: Path) -> None:
        out = tmp_path / "directory-2.json"
        ok(ggzy(PROVINCE, "sign", "--out", str(out)))
        assert orjson.loads(out.read_bytes())["serial"] == 2
        # A draft restored from an old backup still signs above what the node serves.
        draft = tmp_path / PROVINCE / "federation" / "draft.json"
        draft.write_bytes(draft.read_bytes().replace(b'"serial": 2', b'"serial": 0'))
        ok(ggzy(PROVINCE, "sign", "--out", str(out)))
        assert orjson.loads(out.read_bytes())["serial"] == 3

    def test_only_the_root_signs(self, ggzy: Run, federation: Path, tmp_path: Path) -> None:
        (tmp_path / CITY / "federation").mkdir(parents=True)
        shutil.copy(tmp_path / PROVINCE / "federation" / "draft.json", tmp_path / CITY / "federation")
        failed(ggzy(CITY, "sign", "--out", str(tmp_path / "x.json")), "federation.not_root")
        assert not (tmp_path / "x.json").exists()

    def test_add_node_mistakes_are_refused_where_made(self, ggzy: Run, federation: Path, tmp_path: Path
                                                      ) -> None:
        county_jwk = tmp_path / "county.jwk"
        county_jwk.write_bytes(orjson.dumps(SigningKey.generate().public.to_jwk()))
        out = failed(ggzy(PROVINCE, "add-node", "--id", COUNTY, "--parent", "530700", "--name", "鲁甸县",
                          "--endpoint", "http://530621.test", "--jwk", str(county_jwk)), "directory.invalid")
        assert "/nodes/2/parent" in out
        failed(ggzy(PROVINCE, "add-node", "--id", COUNTY, "--parent", CITY, "--name", "鲁甸县",
                    "--endpoint", "http://530621.test", "--jwk", str(tmp_path / "city.jwk")),
               "is listed more than once")
        failed(ggzy(PROVINCE, "add-node", "--id", COUNTY, "--parent", CITY, "--name", "x"), "exactly one of")
        failed(ggzy(PROVINCE, "add-node", "--id", COUNTY, "--parent", CITY, "--name", "x",
                    "--jwk", str(tmp_path / "missing.jwk")), "federation.fetch_failed")
        (tmp_path / "bad.jwk").write_text("{not json")
        failed(ggzy(PROVINCE, "add-node", "--id", COUNTY, "--parent", CITY, "--name", "x",
                    "--jwk", str(tmp_path / "bad.jwk")), "is not JSON")
        (tmp_path / "empty.jwk").write_text('{"keys": []}')
        failed(ggzy(PROVINCE, "add-node", "--id", COUNTY, "--parent", CITY, "--name", "x",
                    "--jwk", str(tmp_path / "empty.jwk")), "holds no key")
        failed(ggzy(PROVINCE, "add-department", "--id", "d", "--name", "n", "--jurisdiction", COUNTY,
                    "--industry", "水利", "--node", COUNTY), "/departments/1/node")

    def test_rotation_and_revocation(self, ggzy: Run, federation: Path, tmp_path: Path) -> None:
        new_key = SigningKey.generate()
        (tmp_path / "new.jwk").write_bytes(orjson.dumps(new_key.public.to_jwk()))
        old_kid = write_jwk_of(ggzy, CITY, tmp_path / "city.jwk")
        ok(ggzy(PROVINCE, "add-node", "--id", CITY, "--parent", PROVINCE, "--name", "昭通市",
                "--endpoint", "http://530600.test", "--jwk", str(tmp_path / "new.jwk")))
        ok(ggzy(PROVINCE, "revoke-key", "--kid", old_kid, "--reason", "retired"))
        failed(ggzy(PROVINCE, "revoke-key", "--kid", old_kid, "--reason", "again"), "already revoked")
        failed(ggzy(PROVINCE, "revoke-key", "--kid", "no-such-kid", "--reason", "typo"), "not listed")
        out = tmp_path / "directory-2.json"
        ok(ggzy(PROVINCE, "sign", "--out", str(out)))
        directory = load_directory(settings_of(tmp_path, PROVINCE), datetime.now(UTC))
        assert [key.key.kid for key in directory.node(CITY).keys] == [old_kid, new_key.kid]
        assert directory.is_revoked(old_kid)
        assert [key.kid for key in directory.node_keyring(CITY, datetime.now(UTC))] == [new_key.kid]
        shown = ok(ggzy(PROVINCE, "show", str(out)))
        assert "REVOKED" in shown
        assert "retired" in shown

    def test_add_node_from_its_url(self, ggzy: Run, federation: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
        county_key = SigningKey.generate()
        answers = {"http://530621.test/api/v1/node": {"id": COUNTY},
                   "http://530621.test/api/v1/node/keys": {"keys": [county_key.public.to_jwk()]},
                   "http://530622.test/api/v1/node": {"id": COUNTY},
                   "http://530622.test/api/v1/node/keys": {"keys": [SigningKey.generate().public.to_jwk()]}}

        def fake_get(url: str, **_: Any) -> httpx.Response:
            request = httpx.Request("GET", url)
            if url not in answers:
                return httpx.Response(404, request=request)
            return httpx.Response(200, content=orjson.dumps(answers[url]), request=request)

        monkeypatch.setattr(federation_cli.httpx, "get", fake_get)
        out = ok(ggzy(PROVINCE, "add-node", "--id", COUNTY, "--parent", CITY, "--name", "鲁甸县",
                      "--url", "http://530621.test/"))
        assert county_key.kid in out
        draft = orjson.loads((tmp_path / PROVINCE / "federation" / "draft.json").read_bytes())
        assert draft["nodes"][2]["endpoint"] == "http://530621.test/"
        failed(ggzy(PROVINCE, "add-node", "--id", "530622", "--parent", CITY, "--name", "x",
                    "--url", "http://530622.test"), "is node '530621', not 530622")
        failed(ggzy(PROVINCE, "add-node", "--id", "530623", "--parent", CITY, "--name", "x",
                    "--url", "http://530623.test"), "federation.fetch_failed")


class TestMemberWorkflow:
    @pytest.fixture
    def city(self, ggzy: Run, federation: Path, tmp_path: Path) -> Path:
        """The city with the province root pinned and serial 1 held; returns the province's root JWK file."""
        root_jwk = tmp_path / PROVINCE / "federation" / "root.jwk"
        assert "pinned root key" in ok(ggzy(CITY, "pin-root", "--jwk", str(root_jwk)))
        assert "accepted: 云南省公共资源交易 serial 1" in ok(ggzy(CITY, "fetch", "--source", str(federation)))
        return root_jwk

    def next_directory(self, ggzy: Run, tmp_path: Path, serial: int) -> Path:
        out = tmp_path / f"directory-{serial}.json"
        ok(ggzy(PROVINCE, "add-department", "--id", f"dep-{serial}", "--name", "昭通市水利局",
                "--jurisdiction", CITY, "--industry", "水利", "--node", CITY))
        ok(ggzy(PROVINCE, "sign", "--out", str(out), "--valid-days", "10"))
        assert orjson.loads(out.read_bytes())["serial"] == serial
        return out

    def held_serial(self, tmp_path: Path) -> int:
        return int(load_directory(settings_of(tmp_path, CITY), datetime.now(UTC)).serial)

    def test_refresh_accepts_newer_and_refuses_older(self, ggzy: Run, city: Path, federation: Path,
                                                     tmp_path: Path) -> None:
        second = self.next_directory(ggzy, tmp_path, 2)
        assert "accepted" in ok(ggzy(CITY, "fetch", "--source", str(second)))
        assert self.held_serial(tmp_path) == 2
        out = failed(ggzy(CITY, "fetch", "--source", str(federation)), "directory.stale")
        assert "keeping 云南省公共资源交易 serial 2" in out
        assert "unchanged" in ok(ggzy(CITY, "fetch", "--source", str(second)))
        assert directory_file(settings_of(tmp_path, CITY)).read_bytes() == second.read_bytes()

    def test_refuses_a_wrong_root(self, ggzy: Run, city: Path, federation: Path, tmp_path: Path) -> None:
        rogue = sign_as(SigningKey.generate(), federation, tmp_path / "rogue.json", serial=9)
        failed(ggzy(CITY, "fetch", "--source", str(rogue)), "directory.untrusted_signer")
        assert self.held_serial(tmp_path) == 1

    def test_refuses_an_expired_directory(self, ggzy: Run, city: Path, federation: Path, tmp_path: Path
                                          ) -> None:
        root_key = load_identity(settings_of(tmp_path, PROVINCE)).key
        past = datetime.now(UTC) - timedelta(days=3)
        stale = sign_as(root_key, federation, tmp_path / "old.json", serial=9, issued_at=rfc3339(past),
                        expires_at=rfc3339(past + timedelta(days=1)))
        failed(ggzy(CITY, "fetch", "--source", str(stale)), "directory.expired")
        assert self.held_serial(tmp_path) == 1

    def test_refuses_same_serial_other_content_and_other_federation(
            self, ggzy: Run, city: Path, federation: Path, tmp_path: Path) -> None:
        root_key = load_identity(settings_of(tmp_path, PROVINCE)).key
        twin = sign_as(root_key, federation, tmp_path / "twin.json", departments=[])
        failed(ggzy(CITY, "fetch", "--source", str(twin)), "directory.conflicting_serial")
        foreign = sign_as(root_key, federation, tmp_path / "foreign.json", serial=5, federation="四川")
        failed(ggzy(CITY, "fetch", "--source", str(foreign)), "directory.other_federation")
        failed(ggzy(CITY, "fetch", "--source", str(tmp_path / "none.json")), "federation.fetch_failed")
        (tmp_path / "junk.json").write_text("<html>")
        failed(ggzy(CITY, "fetch", "--source", str(tmp_path / "junk.json")), "directory.invalid")

    def test_fetch_from_the_directory_url(self, ggzy: Run, city: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
        second = self.next_directory(ggzy, tmp_path, 2)
        served = {"http://530000.test/api/v1/federation/directory": second.read_bytes()}

        def fake_get(url: str, **_: Any) -> httpx.Response:
            status = 200 if url in served else 503
            return httpx.Response(status, content=served.get(url, b""), request=httpx.Request("GET", url))

        monkeypatch.setattr(federation_cli.httpx, "get", fake_get)
        monkeypatch.setenv("GATEWAY_FEDERATION__DIRECTORY_URL", "http://530000.test/api/v1/federation/directory")
        assert "accepted" in ok(ggzy(CITY, "fetch"))
        assert self.held_serial(tmp_path) == 2
        failed(ggzy(CITY, "fetch", "--source", "http://530000.test/elsewhere"), "federation.fetch_failed")

    def test_fetch_needs_a_source(self, ggzy: Run, tmp_path: Path) -> None:
        result = ggzy(CITY, "fetch")
        assert result.exit_code == 2
        assert "DIRECTORY_URL" in result.output

    def test_fetch_needs_a_pinned_root(self, ggzy: Run, federation: Path) -> None:
        failed(ggzy(COUNTY, "fetch", "--source", str(federation)), "federation.root_not_pinned")

    def test_pinning_another_root_needs_replace(self, ggzy: Run, city: Path, tmp_path: Path) -> None:
        other = tmp_path / "other.jwk"
        other.write_bytes(orjson.dumps(SigningKey.generate("SM2").public.to_jwk()))
        failed(ggzy(CITY, "pin-root", "--jwk", str(other)), "federation.root_already_pinned")
        ok(ggzy(CITY, "pin-root", "--jwk", str(city)))
        assert "(SM2)" in ok(ggzy(CITY, "pin-root", "--jwk", str(other), "--replace"))
        # The held directory no longer verifies against the new root.
        failed(ggzy(CITY, "show"), "directory.untrusted_signer")
        failed(ggzy(CITY, "pin-root", "--jwk", str(tmp_path / "city.jwk").replace("city", "nothing")),
               "federation.fetch_failed")

    def test_show_with_an_explicit_root(self, ggzy: Run, federation: Path, city: Path, tmp_path: Path
                                        ) -> None:
        assert "serial 1" in ok(ggzy(COUNTY, "show", str(federation), "--root", str(city)))
        failed(ggzy(COUNTY, "show", str(federation), "--root", str(tmp_path / "city.jwk")),
               "directory.untrusted_signer")
        failed(ggzy(COUNTY, "show", str(federation)), "federation.root_not_pinned")
        two = tmp_path / "two.jwk"
        two.write_bytes(orjson.dumps({"keys": [SigningKey.generate().public.to_jwk()] * 2}))
        failed(ggzy(COUNTY, "show", str(federation), "--root", str(two)), "holds 2 keys")
