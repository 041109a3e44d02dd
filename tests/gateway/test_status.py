"""`node_status` and `ggzy status` on a node with real state: a county node whose outbox holds waiting,
retrying and refused deliveries for two destinations, obligations and complaints past and near their
deadlines, and a quarantined input; then the outbox drained."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from config.settings import CONFIG_DIR, get_settings
from gateway.cli.main import app as cli
from gateway.services.complaint_intake import file_complaint
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.services.obligations import Duty, create_with_due, fulfil
from gateway.services.status import node_status, status_text
from gateway.store.models.exchange import Outbox
from gateway.store.repositories.log import LogRepository
from signing.directory import Directory
from signing.keys import Keyring, SigningKey
from sync import publish
from sync.delivery import DeliveryReport, deliver
from sync.routing import load_rules
from sync.transport import TransportError
from tests.conftest import FIXED_NOW
from tests.gateway.conftest import award
from tests.gateway.test_complaint_deadlines import WINDOW
from tests.gateway.test_complaints import PROJECT, complaint_body, project_item
from tests.gateway.test_inbox import CITY, COUNTY, COUNTY_KEY, PROVINCE, ROOT_KEY, build_directory
from tests.gateway.test_remote_evaluation import HOST_DEPT, KUNMING_DEPT, SESSION
from tests.sync.fake_receiver import FakeReceiver

# FIXED_NOW is Sunday 2026-11-22 10:00 in China; the status is read on Wednesday 11-25 at 10:00.
STATUS_AT = FIXED_NOW + timedelta(days=3)
SECOND_TRY_AT = FIXED_NOW + timedelta(minutes=10)
LAST_INGEST_AT = FIXED_NOW + timedelta(hours=1)
DUE_SOON_OBLIGATION = STATUS_AT + timedelta(days=1)
KUNMING_DISTRICT = "530102"  # no node of its own and in another branch: the county sends it to the province
runner = CliRunner()


@dataclass
class BusyNode:
    """What was built, for the figures the tests expect, and the peers that answered."""

    log_size: int
    refused: str  # the envelope the city refused for good
    directory: Directory
    receivers: dict[str, FakeReceiver]


COUNTY_NODE = NodeIdentity(COUNTY, "鲁甸县节点", f"http://{COUNTY}.test", COUNTY_KEY,
                           Keyring([COUNTY_KEY.public]))


def build_busy_node(db: Session, *, node: NodeIdentity, city_key: SigningKey) -> BusyNode:
    """The state, committed (so the CLI and the app, on connections of their own, see it). Leaves the
    exchange wired to route: the caller resets it (`sync.publish.reset`)."""
    directory = build_directory(city_key.public)  # province ← city (the `node` fixture's key) ← county
    rules = load_rules(CONFIG_DIR / "routing.json")
    city = FakeReceiver(CITY, city_key, sender=COUNTY)
    receivers = {CITY: city, PROVINCE: FakeReceiver(PROVINCE, ROOT_KEY, sender=COUNTY)}
    # Without a directory nothing is routed: the workflow records stay here, the outbox holds the awards.
    publish.configure(publisher=None, directory=lambda now: None, rules=rules)
    workflow = _obligations(db, node) + _complaints(db, node)
    quarantined = ingest_standard(db, items=[{"type": "tender.award", "jurisdiction": COUNTY, "payload": {}}],
                                  node=COUNTY_NODE, source_system="test", now=FIXED_NOW)
    assert [o.status for o in quarantined] == ["quarantined"]
    publish.configure(publisher=None, directory=lambda now: directory, rules=rules)
    first = _awards(db, 3, start=0, at=FIXED_NOW)
    city.refuse[first[0]] = "exchange.invalid_payload"
    report = send(db, city, directory, FIXED_NOW)
    assert (report.delivered, report.failed) == (2, 1)
    _awards(db, 2, start=3, at=SECOND_TRY_AT)
    city.script = [TransportError("connection refused")]
    assert send(db, city, directory, SECOND_TRY_AT).retrying == 2
    _awards(db, 1, start=5, at=LAST_INGEST_AT)
    _awards(db, 2, start=6, at=LAST_INGEST_AT, jurisdiction=KUNMING_DISTRICT)
    db.commit()
    return BusyNode(log_size=workflow + 8, refused=first[0], directory=directory, receivers=receivers)


def drain(db: Session, busy: BusyNode) -> None:
    """Deliver everything still waiting, as the relay would at STATUS_AT."""
    assert send(db, busy.receivers[CITY], busy.directory, STATUS_AT).delivered == 3
    assert send(db, busy.receivers[PROVINCE], busy.directory, STATUS_AT).delivered == 2
    db.commit()


@pytest.fixture
def busy(db: Session, node: NodeIdentity, node_key: SigningKey) -> Iterator[BusyNode]:
    try:
        yield build_busy_node(db, node=node, city_key=node_key)
    finally:
        publish.reset()


def send(db: Session, receiver: FakeReceiver, directory: Directory, now: datetime) -> DeliveryReport:
    outbox_id = db.execute(select(Outbox.id).where(Outbox.target_node == receiver.node_id)).scalar_one()
    return deliver(db, outbox_id=outbox_id, transport=receiver, directory=directory, node_id=COUNTY, now=now,
                   rng=random.Random(7))


def _awards(db: Session, n: int, *, start: int, at: datetime, jurisdiction: str = COUNTY) -> list[str]:
    items = [award(start + i, jurisdiction=jurisdiction) for i in range(n)]
    outcomes = ingest_standard(db, items=items, node=COUNTY_NODE, source_system="test", now=at)
    assert [o.status for o in outcomes] == ["accepted"] * n
    return [o.id or "" for o in outcomes]


def _obligations(db: Session, node: NodeIdentity) -> int:
    """Open: one overdue, one due soon, one due later; and an overdue one met late (not counted)."""
    dues = {"overdue": STATUS_AT - timedelta(days=1), "soon": DUE_SOON_OBLIGATION,
            "later": STATUS_AT + timedelta(days=5), "met": STATUS_AT - timedelta(days=2)}
    rows = {name: create_with_due(
        db, node=node, due_at=due, rule_id="test.rule", rule_source="测试规则", now=FIXED_NOW,
        duty=Duty(kind="copy", debtor=HOST_DEPT, creditor=KUNMING_DEPT, subject_type="remote_evaluation",
                  subject_id=SESSION, triggered_at=FIXED_NOW, discriminator=name))
        for name, due in dues.items()}
    fulfil(db, node=node, obligation_id=rows["met"].obligation_id, fulfilled_at=STATUS_AT, now=FIXED_NOW)
    return len(dues) + 1


def _complaints(db: Session, node: NodeIdentity) -> int:
    """Three routed complaints awaiting acceptance (3 working days): received 2025-03-10 (overdue),
    Sunday 2026-11-22 (due Thursday 00:00, before the end of the next working day: due soon) and
    Wednesday 11-25 (due 12-01: neither)."""
    ingest_standard(db, items=[project_item()], node=node, source_system="test", now=FIXED_NOW)
    logged = 1
    received = ("2025-03-10T10:00:00+08:00", "2026-11-22T10:00:00+08:00", "2026-11-25T09:00:00+08:00")
    for n, when in enumerate(received):
        body = complaint_body(received_at=when, bid_section_code=f"{PROJECT}00{n + 1}")
        case = file_complaint(db, node=node, principal=WINDOW, body=body,
                              now=max(datetime.fromisoformat(when), FIXED_NOW))
        assert case["stage"] == "routed"
        logged += len(case["record_ids"]) + len(case["event_ids"])
    return logged


def waiting(undelivered: int, retrying: int, failed: int, since: datetime | None) -> dict[str, Any]:
    return {"undelivered": undelivered, "retrying": retrying, "failed": failed,
            "oldest_undelivered_at": since.isoformat() if since else None,
            "oldest_undelivered_seconds": (STATUS_AT - since).total_seconds() if since else None}


BUSY_OUTBOX = {
    **waiting(5, 2, 1, SECOND_TRY_AT),
    "destinations": {CITY: waiting(3, 2, 1, SECOND_TRY_AT), PROVINCE: waiting(2, 0, 0, LAST_INGEST_AT)},
}


class TestNodeStatus:
    def test_an_empty_node(self, db: Session) -> None:
        assert node_status(db, now=STATUS_AT) == {
            "now": STATUS_AT.isoformat(), "log_size": 0, "checkpoint_size": None, "checkpoint_at": None,
            "checkpoint_age_seconds": None, "quarantine_open": 0,
            "outbox": {**waiting(0, 0, 0, None), "destinations": {}},
            "obligations": {"overdue": 0, "due_soon": 0}, "complaints": {"overdue": 0, "due_soon": 0},
        }

    def test_a_busy_node(self, db: Session, busy: BusyNode) -> None:
        leaves = LogRepository(db).list_leaves(start=0, limit=1000)
        types = Counter(orjson.loads(leaf)["type"] for _, leaf in leaves)
        assert types["tender.award"] == 8
        assert busy.log_size == sum(types.values())
        assert node_status(db, now=STATUS_AT) == {
            "now": STATUS_AT.isoformat(), "log_size": busy.log_size, "checkpoint_size": busy.log_size,
            "checkpoint_at": LAST_INGEST_AT.isoformat(),
            "checkpoint_age_seconds": (STATUS_AT - LAST_INGEST_AT).total_seconds(), "quarantine_open": 1,
            "outbox": BUSY_OUTBOX,
            "obligations": {"overdue": 1, "due_soon": 1}, "complaints": {"overdue": 1, "due_soon": 1},
        }

    def test_an_obligation_is_overdue_from_its_due_time_on(self, db: Session, busy: BusyNode) -> None:
        before = node_status(db, now=DUE_SOON_OBLIGATION - timedelta(seconds=1))
        assert before["obligations"] == {"overdue": 1, "due_soon": 1}
        assert node_status(db, now=DUE_SOON_OBLIGATION)["obligations"] == {"overdue": 2, "due_soon": 0}

    def test_complaints_follow_the_sweeps_due_soon_day(self, db: Session, busy: BusyNode) -> None:
        # On Sunday the case due Thursday 00:00 is not yet due soon (the threshold is Tuesday 00:00).
        assert node_status(db, now=FIXED_NOW)["complaints"] == {"overdue": 1, "due_soon": 0}
        # Thursday 00:00: that case is overdue; the one due 12-01 is not yet near.
        thursday = datetime.fromisoformat("2026-11-26T00:00:00+08:00")
        assert node_status(db, now=thursday)["complaints"] == {"overdue": 2, "due_soon": 0}

    def test_delivering_the_outbox_empties_it(self, db: Session, busy: BusyNode) -> None:
        drain(db, busy)
        assert node_status(db, now=STATUS_AT)["outbox"] == {
            **waiting(0, 0, 1, None),
            "destinations": {CITY: waiting(0, 0, 1, None), PROVINCE: waiting(0, 0, 0, None)},
        }
        assert busy.refused not in busy.receivers[CITY].appended  # the refused one stays stopped

    def test_now_defaults_to_the_current_time(self, db: Session) -> None:
        before = datetime.now(FIXED_NOW.tzinfo)
        read = datetime.fromisoformat(node_status(db)["now"])
        assert before <= read <= datetime.now(FIXED_NOW.tzinfo)


@pytest.fixture
def node_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[None]:
    """`ggzy` run where the node's data lives: the test database of the tier."""
    for name, value in {"GATEWAY_DATA_DIR": str(tmp_path / "var"), "GATEWAY_DB__URL": db_url,
                        "GATEWAY_NODE__ID": COUNTY, "GATEWAY_ENV": "test"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def ggzy_status(*options: str) -> str:
    result = runner.invoke(cli, ["status", "--now", STATUS_AT.isoformat(), *options])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.usefixtures("node_env")
class TestStatusCommand:
    def test_json_by_default(self, db: Session, busy: BusyNode) -> None:
        shown = orjson.loads(ggzy_status())
        assert shown == node_status(db, now=STATUS_AT)
        assert shown["outbox"] == BUSY_OUTBOX
        assert (shown["obligations"], shown["complaints"]) == ({"overdue": 1, "due_soon": 1},) * 2

    def test_a_short_table_with_text(self, busy: BusyNode) -> None:
        lines = ggzy_status("--text").splitlines()
        assert lines[:1] + lines[3:] == [
            f"status at       {STATUS_AT.isoformat()}",
            "quarantine      1 open",
            "obligations     1 overdue, 1 due soon",
            "complaints      1 overdue, 1 due soon",
            "outbox          5 waiting (2 retrying), 1 failed, oldest waiting "
            "2026-11-22T02:10:00+00:00 (2d 23h)",
            "  destination   waiting  retrying  failed  oldest waiting",
            "  530000              2         0       0  2026-11-22T03:00:00+00:00 (2d 23h)",
            "  530600              3         2       1  2026-11-22T02:10:00+00:00 (2d 23h)",
        ]
        assert lines[1] == f"log size        {busy.log_size}"
        assert lines[2] == f"checkpoint      {busy.log_size} at {LAST_INGEST_AT.isoformat()} (2d 23h ago)"

    def test_the_depth_drops_to_zero_once_delivered(self, db: Session, busy: BusyNode) -> None:
        drain(db, busy)
        destinations = orjson.loads(ggzy_status())["outbox"]["destinations"]
        assert {node: d["undelivered"] for node, d in destinations.items()} == {CITY: 0, PROVINCE: 0}

    @pytest.mark.parametrize("bad", ["2026-11-25T10:00:00", "yesterday"])
    def test_a_time_without_offset_is_refused(self, bad: str) -> None:
        result = runner.invoke(cli, ["status", "--now", bad])
        assert result.exit_code == 2
        assert "--now" in result.output

    def test_the_service_table_of_an_empty_node(self, db: Session) -> None:
        assert status_text(node_status(db, now=STATUS_AT)).splitlines()[-1] == (
            "outbox          0 waiting (0 retrying), 0 failed, oldest waiting -")
