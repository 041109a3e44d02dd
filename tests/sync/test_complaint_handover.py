"""Complaints between nodes, in process: the node covering the competent department opens a
forwarded case; a department's transfer to a department another node covers hands the case over
(and sends it straight there); the receiving node's acceptance period runs from the transfer.
The same flow across real node processes: tests/integration/test_complaint_e2e.py."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.services.auth import Principal
from gateway.services.complaint_actions import act
from gateway.services.complaint_exchange import FLAG_HANDLED_ELSEWHERE, take_received
from gateway.services.complaint_intake import file_complaint
from gateway.services.complaints import ComplaintNotFoundError, NotCompetentError, get_case
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.store.models.exchange import Delivery
from signing.directory import Directory
from signing.keys import Keyring, SigningKey
from sync import publish
from sync.routing import RoutingRules
from tests.conftest import FIXED_NOW
from tests.gateway.conftest import example
from tests.gateway.test_complaints import complaint_body, project_item
from tests.sync.conftest import CITY, OTHER_COUNTY

UNCOVERED = "530602"  # 昭阳区: no node of its own, so the city's node handles its complaints
PROJECT = "A015306022411050001001"


@pytest.fixture
def wired(directory: Directory, rules: RoutingRules) -> Iterator[Directory]:
    publish.configure(publisher=None, directory=lambda at: directory, rules=rules)
    yield directory
    publish.reset()


def principal(role: str, subject: str, jurisdiction: str | None) -> Principal:
    scopes = frozenset({"records:write", "complaints:write", "records:read"})
    return Principal(role=role, subject=subject, jurisdiction=jurisdiction, scopes=scopes, token_id="t")


def filed_here(db: Session, node: NodeIdentity) -> dict[str, Any]:
    ingest_standard(db, items=[project_item(PROJECT, UNCOVERED)], node=node, source_system="test",
                    now=FIXED_NOW)
    body = complaint_body(tender_project_code=PROJECT, region_code=UNCOVERED)
    return file_complaint(db, node=node, principal=principal("source", "window", None), body=body,
                          now=FIXED_NOW)


class TestTransferToAnotherNode:
    def test_the_case_is_handed_over_and_sent_straight_to_the_new_node(
        self, db: Session, node: NodeIdentity, wired: Directory
    ) -> None:
        view = filed_here(db, node)
        assert (view["department"]["region_code"], view["flags"]) == (UNCOVERED, [])
        assert view["due_at"] is not None  # handled here: the clock runs here
        here = principal("department", view["department"]["code"], UNCOVERED)
        later = FIXED_NOW + timedelta(hours=2)
        moved = act(db, node=node, principal=here, complaint_id=view["complaint_id"], now=later,
                    body={"action": "route", "to": {"kind": "交通", "region_code": OTHER_COUNTY},
                          "reason": "属交通运输行业，转交"})
        assert moved["department"]["region_code"] == OTHER_COUNTY
        assert FLAG_HANDLED_ELSEWHERE in moved["flags"]
        assert moved["due_at"] is None
        sent = db.execute(select(Delivery.envelope_id).where(Delivery.target_node == OTHER_COUNTY)).scalars()
        assert set(moved["record_ids"][-1:] + moved["event_ids"][-1:]) <= set(sent)
        with pytest.raises(NotCompetentError):  # the old department acts no more here
            act(db, node=node, principal=here, complaint_id=view["complaint_id"], now=later,
                body={"action": "accept"})

    def test_the_new_node_runs_the_acceptance_period_from_the_transfer(
        self, db: Session, wired: Directory
    ) -> None:
        key = SigningKey.generate()
        receiver = NodeIdentity(OTHER_COUNTY, "节点", "", key, Keyring([key.public]))
        department = {"name": "530102 交通运输主管部门", "code": f"{OTHER_COUNTY}.JT",
                      "region_code": OTHER_COUNTY, "industry": "交通"}
        version = copy.deepcopy(example("complaint"))
        version.update(complaint_id="TS-530602-2025-000000000001", region_code=OTHER_COUNTY, state="routed",
                       received_at="2025-03-10T10:00:00+08:00", data_timestamp="2025-03-20T09:00:01+08:00",
                       competent_department=department)
        for name in ("accept_date", "decision", "handle_result", "handle_basis", "handle_date"):
            version.pop(name, None)
        event = copy.deepcopy(example("complaint.event"))
        event.update(complaint_id=version["complaint_id"], sequence=3, action="route", state="routed",
                     occurred_at="2025-03-20T09:00:00+08:00", to_department=department,
                     actor={"name": "昭阳区住建局", "role": "department", "region_code": UNCOVERED})
        envelopes = [("v" * 32, {"type": "complaint", "jurisdiction": OTHER_COUNTY, "payload": version}),
                     ("e" * 32, {"type": "complaint.event", "jurisdiction": OTHER_COUNTY, "payload": event})]
        take_received(db, node=receiver, directory=wired, envelopes=envelopes[:1], now=FIXED_NOW)
        case = get_case(db, version["complaint_id"])
        from_filing = case.due_at
        assert case.stage == "routed"
        assert case.department_code == department["code"]
        assert case.flags == ["project_not_held"]
        assert from_filing is not None
        take_received(db, node=receiver, directory=wired, envelopes=envelopes[1:], now=FIXED_NOW)
        assert case.received_at == datetime.fromisoformat(event["occurred_at"])
        assert case.due_at is not None
        assert case.due_at > from_filing
        assert case.event_ids == ["e" * 32]
        assert case.sequence == 3

    def test_a_node_that_covers_no_party_opens_nothing(self, db: Session, wired: Directory) -> None:
        key = SigningKey.generate()
        bystander = NodeIdentity(CITY, "节点", "", key, Keyring([key.public]))
        version = copy.deepcopy(example("complaint"))
        version["competent_department"] = {**version["competent_department"], "region_code": OTHER_COUNTY}
        arriving = {"type": "complaint", "jurisdiction": "530621", "payload": version}
        take_received(db, node=bystander, directory=wired, now=FIXED_NOW, envelopes=[("v" * 32, arriving)])
        with pytest.raises(ComplaintNotFoundError):
            get_case(db, version["complaint_id"])
