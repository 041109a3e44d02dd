"""What workers read on their own: the held directory files, the node key, the log origin they sign as."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from config.settings import Settings
from gateway.services.federation import directory_file, root_file
from gateway.services.identity import NodeIdentity
from signing.keys import SigningKey
from sync.alert import log_origin
from sync.context import DirectoryFiles, load_node_key
from tests.conftest import FIXED_NOW
from tests.sync.conftest import COUNTY, PROVINCE, MakeDirectory
from tests.sync.servers import hold_directory


@pytest.fixture
def county_settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "county", node={"id": COUNTY})


class TestDirectoryFiles:
    def test_same_files_as_the_gateway(self, county_settings: Settings, tmp_path: Path) -> None:
        files = DirectoryFiles(county_settings)
        assert (files.directory_path, files.root_path) == (directory_file(county_settings),
                                                           root_file(county_settings))
        pinned = county_settings.model_copy(update={"federation": county_settings.federation.model_copy(
            update={"root_jwk_path": str(tmp_path / "elsewhere.jwk")})})
        assert DirectoryFiles(pinned).root_path == root_file(pinned)

    def test_held_and_verified(self, county_settings: Settings, make_directory: MakeDirectory,
                               keys: dict[str, SigningKey]) -> None:
        files = DirectoryFiles(county_settings)
        assert files.current(FIXED_NOW) is None  # nothing held yet
        hold_directory(county_settings.data_dir, make_directory(serial=3), keys[PROVINCE].public)
        held = files.current(FIXED_NOW)
        assert held is not None
        assert held.serial == 3
        assert files.current(FIXED_NOW) is held  # verified once per change
        hold_directory(county_settings.data_dir, make_directory(serial=4), keys[PROVINCE].public)
        os.utime(files.directory_path, ns=(1, 1))  # a new stamp even within the clock's resolution
        renewed = files.current(FIXED_NOW)
        assert renewed is not None
        assert renewed.serial == 4

    def test_untrusted_or_expired_is_not_used(self, county_settings: Settings, make_directory: MakeDirectory,
                                              keys: dict[str, SigningKey]) -> None:
        files = DirectoryFiles(county_settings)
        hold_directory(county_settings.data_dir, make_directory(), keys[COUNTY].public)  # wrong root pinned
        assert files.current(FIXED_NOW) is None
        hold_directory(county_settings.data_dir, make_directory(), keys[PROVINCE].public)
        assert files.current(FIXED_NOW + timedelta(days=31)) is None  # expired
        files.directory_path.write_bytes(b"{broken")
        assert files.current(FIXED_NOW) is None

    def test_tampered_directory_is_not_used(self, county_settings: Settings, make_directory: MakeDirectory,
                                            keys: dict[str, SigningKey]) -> None:
        hold_directory(county_settings.data_dir, make_directory(), keys[PROVINCE].public)
        files = DirectoryFiles(county_settings)
        document = orjson.loads(files.directory_path.read_bytes())
        document["serial"] = 99
        files.directory_path.write_bytes(orjson.dumps(document))
        assert files.current(FIXED_NOW) is None


class TestNodeKey:
    def test_the_key_ggzy_serve_wrote(self, county_settings: Settings, keys: dict[str, SigningKey]) -> None:
        county_settings.key_file.parent.mkdir(parents=True)
        county_settings.key_file.write_bytes(keys[COUNTY].to_pem())
        assert load_node_key(county_settings).kid == keys[COUNTY].kid

    def test_a_worker_never_makes_a_key(self, county_settings: Settings) -> None:
        with pytest.raises(Exception, match="no node key") as caught:
            load_node_key(county_settings)
        assert getattr(caught.value, "code", "") == "sync.node_key_missing"
        assert not county_settings.key_file.exists()


class TestLogOrigin:
    def test_same_origin_as_the_node(self, county: NodeIdentity) -> None:
        assert log_origin(county.node_id) == county.origin
