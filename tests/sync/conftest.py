"""Exchange fixtures: a signed five-node federation, a county node that sends, a fake city that receives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import CONFIG_DIR
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.store.models.exchange import Delivery
from signing.directory import Directory, rfc3339, sign_directory, verify_directory
from signing.keys import Keyring, SigningKey
from sync import publish
from sync.routing import RoutingRules, load_rules
from tests.conftest import FIXED_NOW
from tests.gateway.conftest import award
from tests.sync.fake_receiver import FakeReceiver

PROVINCE, CITY, COUNTY = "530000", "530600", "530621"
OTHER_CITY, OTHER_COUNTY = "530100", "530102"
PARENTS = {PROVINCE: None, CITY: PROVINCE, COUNTY: CITY, OTHER_CITY: PROVINCE, OTHER_COUNTY: OTHER_CITY}
MakeDirectory = Callable[..., Directory]


@pytest.fixture(scope="session")
def keys() -> dict[str, SigningKey]:
    return {node_id: SigningKey.generate() for node_id in PARENTS}


@pytest.fixture(scope="session")
def make_directory(keys: dict[str, SigningKey]) -> MakeDirectory:
    def make(endpoints: dict[str, str] | None = None, *, serial: int = 1, now: datetime = FIXED_NOW,
             without: set[str] | None = None) -> Directory:
        year, day = timedelta(days=365), timedelta(days=1)
        document = {
            "v": 1, "federation": "云南省公共资源交易", "root": PROVINCE, "serial": serial,
            "issued_at": rfc3339(now - day), "expires_at": rfc3339(now + 30 * day),
            "nodes": [{"id": node_id, "parent": parent, "name": f"节点{node_id}",
                       "endpoint": (endpoints or {}).get(node_id, f"http://{node_id}.test"),
                       "keys": [{"jwk": keys[node_id].public.to_jwk(), "not_before": rfc3339(now - year),
                                 "not_after": rfc3339(now + year)}]}
                      for node_id, parent in PARENTS.items() if node_id not in (without or set())],
            "revoked_keys": [], "departments": [],
        }
        return verify_directory(sign_directory(document, keys[PROVINCE]), keys[PROVINCE].public, now=now)

    return make


@pytest.fixture(scope="session")
def directory(make_directory: MakeDirectory) -> Directory:
    return make_directory()


@pytest.fixture(scope="session")
def rules() -> RoutingRules:
    return load_rules(CONFIG_DIR / "routing.json")


@pytest.fixture
def county(keys: dict[str, SigningKey]) -> NodeIdentity:
    key = keys[COUNTY]
    return NodeIdentity(node_id=COUNTY, name="鲁甸县节点", endpoint=f"http://{COUNTY}.test", key=key,
                        keyring=Keyring([key.public]))


@pytest.fixture
def city(keys: dict[str, SigningKey]) -> FakeReceiver:
    return FakeReceiver(CITY, keys[CITY], sender=COUNTY)


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[list[int], float | None]] = []

    def publish(self, outbox_ids: Any, *, countdown: float | None = None) -> None:
        self.published.append((sorted(outbox_ids), countdown))

    @property
    def ids(self) -> list[int]:
        return sorted({i for ids, _ in self.published for i in ids})


@pytest.fixture
def publisher(directory: Directory, rules: RoutingRules) -> Iterator[RecordingPublisher]:
    """The process wired to route with `directory` and to record what it publishes."""
    recording = RecordingPublisher()
    publish.configure(publisher=recording, directory=lambda now: directory, rules=rules)
    yield recording
    publish.reset()


@pytest.fixture
def ingest(county: NodeIdentity, publisher: RecordingPublisher) -> Callable[..., list[str]]:
    """Accept `n` awards of the county (or of `jurisdiction`) at the county node; their envelope ids."""

    def run(db: Session, n: int, *, start: int = 0, jurisdiction: str = COUNTY, now: datetime = FIXED_NOW
            ) -> list[str]:
        items = [award(start + i, jurisdiction=jurisdiction) for i in range(n)]
        outcomes = ingest_standard(db, items=items, node=county, source_system="test", now=now)
        assert all(o.status == "accepted" for o in outcomes), [o.as_dict() for o in outcomes]
        return [o.id or "" for o in outcomes]

    return run


def deliveries(db: Session, target: str = CITY) -> list[Delivery]:
    db.expire_all()
    return list(db.execute(select(Delivery).where(Delivery.target_node == target)
                           .order_by(Delivery.stream, Delivery.seq)).scalars())
