"""Pull: a node reads what a peer routed to it, from its cursor, and takes it exactly as a push."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from gateway.cli.pull import peer_id, pull_until_caught_up
from gateway.services.identity import NodeIdentity
from gateway.services.inbox import ExchangeRequestError, check_request, receive_envelopes
from gateway.services.pull import (
    PULL_STREAM,
    FeedPage,
    PullError,
    cursor_of,
    fetch_page,
    routed_feed,
    take_page,
)
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.models import InboxReceipt, LogLeaf
from gateway.store.repositories.inbox import InboxRepository
from signing.directory import Directory
from signing.keys import SigningKey
from signing.receipt import verify_receipt
from tests.conftest import FIXED_NOW
from tests.gateway.test_exchange_api import (
    body_of,
    county_identity,
    peer_headers,
    province_identity,
    serving_city,
    session_of,
)
from tests.gateway.test_inbox import CITY, COUNTY, PROVINCE, build_directory, count, leaf, leaves

SERVER = "http://testserver"


@pytest.fixture(scope="module")
def directory(node_key: SigningKey) -> Directory:
    return build_directory(node_key.public)


@pytest.fixture
def peer_client(settings: Settings, node: NodeIdentity, directory: Directory) -> Iterator[TestClient]:
    with serving_city(settings, node, directory) as client:
        yield client


@pytest.fixture
def province_db(tmp_path: Path, sqlite_template: Path) -> Iterator[sessionmaker[Session]]:
    """The pulling province's own database (the city serves from the test's database)."""
    path = tmp_path / "province.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def city_with_records(peer_client: TestClient) -> tuple[TestClient, list[bytes]]:
    """The city after the county pushed 5 records: each routed on to the province."""
    batch = leaves(5)
    resp = peer_client.post("/api/v1/exchange/envelopes", content=body_of(batch),
                            headers=peer_headers(county_identity()))
    assert resp.status_code == 200
    return peer_client, batch


def pull_page(client: TestClient, sessions: sessionmaker[Session], directory: Directory, *, limit: int = 1000
              ) -> FeedPage:
    node = province_identity()
    with sessions() as db:
        after = cursor_of(db, CITY) - 1
    page = fetch_page(client, base_url=SERVER, node=node, peer=CITY, after=after, now=FIXED_NOW, limit=limit)
    with sessions() as db, db.begin():
        take_page(db, node=node, directory=directory, peer=CITY, page=page, now=FIXED_NOW)
    return page


class TestRoutedFeed:
    def test_pages_scan_index_ranges(self, city_with_records: tuple[TestClient, list[bytes]]) -> None:
        client, _ = city_with_records
        with session_of(client) as db:
            page = routed_feed(db, peer=PROVINCE, after=1, limit=2)
            assert [index for index, _ in page.lines] == [2, 3]
            assert page.next_after == 3
            assert not page.done
            assert routed_feed(db, peer=PROVINCE, after=3, limit=10).done
            assert routed_feed(db, peer=COUNTY, after=-1, limit=10).lines == []

    def test_past_the_end(self, city_with_records: tuple[TestClient, list[bytes]]) -> None:
        client, _ = city_with_records
        with session_of(client) as db:
            page = routed_feed(db, peer=PROVINCE, after=9, limit=10)
        assert (page.lines, page.next_after) == ([], 9)


class TestTakePage:
    def test_pulled_records_are_taken_as_pushed(self, city_with_records: tuple[TestClient, list[bytes]],
                                                province_db: sessionmaker[Session], directory: Directory
                                                ) -> None:
        client, batch = city_with_records
        page = pull_page(client, province_db, directory)
        assert page.done
        with province_db() as db:
            assert list(db.execute(select(LogLeaf.leaf).order_by(LogLeaf.idx)).scalars()) == batch
            receipts = db.execute(select(InboxReceipt.sender, InboxReceipt.receipt)).all()
            assert {sender for sender, _ in receipts} == {CITY}
            assert cursor_of(db, CITY) == 5
            # A later push of the same batch by the city gets the receipts the pull made, byte for byte.
            pushed, _ = receive_envelopes(db, node=province_identity(), directory=directory, sender=CITY,
                                          stream="records", first_seq=0, envelopes=batch, now=FIXED_NOW)
            assert sorted(pushed) == sorted(receipt for _, receipt in receipts)
        for receipt in pushed:
            assert verify_receipt(receipt, province_identity().keyring)["status"] == "accepted"

    def test_pulling_again_takes_nothing(self, city_with_records: tuple[TestClient, list[bytes]],
                                         province_db: sessionmaker[Session], directory: Directory) -> None:
        client, _ = city_with_records
        pull_page(client, province_db, directory)
        page = pull_page(client, province_db, directory)
        assert page.lines == []
        with province_db() as db:
            assert count(db, LogLeaf) == 5

    def test_page_by_page(self, city_with_records: tuple[TestClient, list[bytes]],
                          province_db: sessionmaker[Session], directory: Directory) -> None:
        client, _ = city_with_records
        pages = 0
        while not pull_page(client, province_db, directory, limit=2).done:
            pages += 1
        with province_db() as db:
            assert count(db, LogLeaf) == 5
            assert cursor_of(db, CITY) == 5
        assert pages == 2

    def test_lines_below_the_cursor_are_skipped(self, province_db: sessionmaker[Session],
                                                directory: Directory) -> None:
        page = FeedPage([(0, leaf(0)), (1, leaf(1))], next_after=1, log_size=2)
        with province_db() as db, db.begin():
            InboxRepository(db).set_next_seq(CITY, PULL_STREAM, 1, known=False, now=FIXED_NOW)
            counts = take_page(db, node=province_identity(), directory=directory, peer=CITY, page=page,
                               now=FIXED_NOW)
        assert dict(counts.statuses) == {"accepted": 1}
        assert counts.as_dict()["cursor"] == 2

    def test_refusals_are_receipted_and_recorded(self, province_db: sessionmaker[Session],
                                                 directory: Directory) -> None:
        forged = leaf(0).replace(b"40126800.00", b"1.00")
        page = FeedPage([(0, forged)], next_after=0, log_size=1)
        with province_db() as db, db.begin():
            counts = take_page(db, node=province_identity(), directory=directory, peer=CITY, page=page,
                               now=FIXED_NOW)
        assert dict(counts.statuses) == {"refused": 1}
        with province_db() as db:
            assert InboxRepository(db).count_refusals("exchange.bad_signature") == 1


class TestFetchPage:
    def test_refused_call_is_a_pull_error(self, peer_client: TestClient) -> None:
        stranger = NodeIdentity("530622", "", "", province_identity().key, province_identity().keyring)
        with pytest.raises(PullError) as caught:
            fetch_page(peer_client, base_url=SERVER, node=stranger, peer=CITY, after=-1, now=FIXED_NOW)
        assert caught.value.code == "exchange.pull_failed"
        assert "403: peer.key_mismatch" in caught.value.message

    def test_unreachable_peer(self) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        with httpx.Client(transport=httpx.MockTransport(refuse)) as client, pytest.raises(PullError):
            fetch_page(client, base_url="http://nowhere", node=province_identity(), peer=CITY, after=-1,
                       now=FIXED_NOW)

    def test_unreadable_page(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=b"not a feed\n")

        with httpx.Client(transport=httpx.MockTransport(answer)) as client, pytest.raises(PullError):
            fetch_page(client, base_url="http://peer", node=province_identity(), peer=CITY, after=-1,
                       now=FIXED_NOW)


class TestPullUntilCaughtUp:
    def test_reads_every_page_and_counts(self, city_with_records: tuple[TestClient, list[bytes]],
                                         province_db: sessionmaker[Session], directory: Directory,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
        client, _ = city_with_records
        monkeypatch.setattr("gateway.cli.pull.datetime", _FrozenDatetime)
        total = pull_until_caught_up(client, province_db, node=province_identity(), source=SERVER, limit=2,
                                     directory_at=lambda now: directory)
        assert total.as_dict() == {"pages": 3, "received": 5, "accepted": 5, "cursor": 5, "peer_log_size": 5}

    def test_peer_must_be_in_the_directory(self, province_db: sessionmaker[Session],
                                           directory: Directory) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={"id": "530699"})

        client = httpx.Client(transport=httpx.MockTransport(answer))
        with client, pytest.raises(PullError) as caught:
            pull_until_caught_up(client, province_db, node=province_identity(), source="http://peer",
                                 limit=10, directory_at=lambda now: directory)
        assert "530699" in caught.value.message

    @pytest.mark.parametrize("body", [b"[]", b"{}", b"not json"])
    def test_peer_id_needs_a_node_description(self, body: bytes) -> None:
        client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body)))
        with client, pytest.raises(PullError):
            peer_id(client, "http://peer")


class _FrozenDatetime:
    @staticmethod
    def now(tz: object = None) -> object:
        return FIXED_NOW


def test_pull_stream_is_one_push_cannot_use() -> None:
    with pytest.raises(ExchangeRequestError) as caught:
        check_request(stream=PULL_STREAM, first_seq=0, count=1)
    assert caught.value.code == "exchange.bad_request"
