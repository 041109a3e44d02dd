"""One settings object for a node, read from GATEWAY_* environment variables (nested with __)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class DbSettings(BaseModel):
    # Empty means: SQLite file under <data_dir>/node.db (the embedded default).
    url: str = ""
    echo: bool = False


class BrokerSettings(BaseModel):
    # Empty means: in-process relay, no broker.
    url: str = ""
    # Redis redelivers an unacknowledged task after this long; retry countdowns stay below it.
    visibility_timeout: timedelta = timedelta(hours=1)
    # Empty means: ggzy.sync.<node id>, so nodes sharing a broker never take each other's tasks.
    queue: str = ""


class SyncSettings(BaseModel):
    """The exchange's sending side: routing, batches, retries, the sweeper and the in-process relay."""

    routing_path: Path = CONFIG_DIR / "routing.json"
    batch_size: int = Field(default=1000, ge=1, le=1000)
    request_timeout: timedelta = timedelta(seconds=30)
    backoff_base: timedelta = timedelta(seconds=2)
    backoff_max: timedelta = timedelta(minutes=10)
    sweep_interval: timedelta = timedelta(seconds=30)
    # Peers reached only through files (one-way gateways): the relay never calls them.
    file_only_peers: list[str] = Field(default_factory=list)


class WorkflowSettings(BaseModel):
    """The workflows' periodic work (duties met by receipts, obligation and complaint sweeps)."""

    tick_interval: timedelta = timedelta(seconds=60)


class SigningSettings(BaseModel):
    alg: str = "EdDSA"
    # Empty means: <data_dir>/keys/node.key, generated on first start.
    key_path: str = ""
    key_passphrase: SecretStr = SecretStr("")


class AuthSettings(BaseModel):
    token_ttl: timedelta = timedelta(hours=8)
    peer_token_max_ttl: timedelta = timedelta(minutes=5)
    # Dev/test only: lets `ggzy serve` run with no token (placeholder refused in prod).
    allow_anonymous_read: bool = False


class FederationSettings(BaseModel):
    # Empty means: <data_dir>/federation/root.jwk (`ggzy federation pin-root`, or `init` on the root).
    root_jwk_path: str = ""
    # Usually the parent's .../api/v1/federation/directory; empty: this node is not refreshed.
    directory_url: str = ""
    refresh_interval: timedelta = timedelta(minutes=15)


# Public on purpose, like the adapters' development key: hashes made with it identify nobody real.
DEV_ID_HASH_KEY = "ggzy-gateway development pseudonymisation key; never use in production"
MIN_ID_HASH_KEY_BYTES = 16


class AdapterSettings(BaseModel):
    # HMAC-SHA256 key for personal ID numbers ("hmac-sha256:<hex>"): shared by every node of a federation,
    # so one person gets one pseudonym everywhere. The development default is refused in prod.
    id_hash_key: SecretStr = SecretStr(DEV_ID_HASH_KEY)
    # The county-center column mapping document (adapters.county_center_mapping).
    county_mapping_path: Path = CONFIG_DIR / "mappings" / "county-center.json"


class NodeSettings(BaseModel):
    id: str = "530000"
    name: str = "ggzy-node"
    endpoint: str = "http://127.0.0.1:8000"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_nested_delimiter="__", extra="ignore")

    env: Environment = Environment.DEV
    data_dir: Path = Path("var")
    node: NodeSettings = Field(default_factory=NodeSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    workflow: WorkflowSettings = Field(default_factory=WorkflowSettings)
    signing: SigningSettings = Field(default_factory=SigningSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    federation: FederationSettings = Field(default_factory=FederationSettings)
    adapters: AdapterSettings = Field(default_factory=AdapterSettings)
    max_body_bytes: int = 64 * 1024 * 1024
    max_batch_records: int = 50_000
    log_json: bool = False

    @model_validator(mode="after")
    def _refuse_dev_shortcuts_in_prod(self) -> Settings:
        if self.env is Environment.PROD:
            if self.auth.allow_anonymous_read:
                raise ValueError("auth.allow_anonymous_read is for dev and test only")
            if not self.db.url:
                raise ValueError("db.url must be set in prod (the SQLite default is for dev and test)")
            key = self.adapters.id_hash_key.get_secret_value()
            if key == DEV_ID_HASH_KEY or len(key.encode()) < MIN_ID_HASH_KEY_BYTES:
                raise ValueError(f"adapters.id_hash_key must be this federation's own key (at least "
                                 f"{MIN_ID_HASH_KEY_BYTES} bytes) in prod; the default is for dev and test")
        return self

    @property
    def database_url(self) -> str:
        return self.db.url or f"sqlite:///{(self.data_dir / 'node.db').as_posix()}"

    @property
    def key_file(self) -> Path:
        return Path(self.signing.key_path) if self.signing.key_path else self.data_dir / "keys" / "node.key"

    @property
    def federation_dir(self) -> Path:
        """Where the node keeps the federation directory it holds, its draft and the pinned root key."""
        return self.data_dir / "federation"

    @property
    def directory_file(self) -> Path:
        return self.federation_dir / "directory.json"

    @property
    def root_jwk_file(self) -> Path:
        root = self.federation.root_jwk_path
        return Path(root) if root else self.federation_dir / "root.jwk"


@lru_cache
def get_settings() -> Settings:
    return Settings()
