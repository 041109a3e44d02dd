"""Complaints: intake and its validation, screening, the workflow of the competent department, the
sweep; on SQLite and PostgreSQL. Helpers here are shared by the routing and deadline tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gateway.services.auth import issue_token
from gateway.services.complaint_routing import default_routing
from gateway.services.complaint_sweep import ALERT_KIND, sweep_complaints
from gateway.services.identity import NodeIdentity
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.repositories.log import LogRepository
from tests.conftest import FIXED_NOW
from tests.gateway.conftest import example

COMPLAINTS, INGEST = "/api/v1/complaints", "/api/v1/ingest/standard"
COUNTY = "530621"
PROJECT = "A015306212411050001001"
RECEIVED = "2025-03-10T10:00:00+08:00"  # a Monday
Headers = dict[str, str]


def headers(node: NodeIdentity, role: str, subject: str, jurisdiction: str | None = None) -> Headers:
    token = issue_token(node, role=role, subject=subject, jurisdiction=jurisdiction, scopes=None,
                        ttl=timedelta(hours=1), now=FIXED_NOW)
    return {"Authorization": f"Bearer {token}"}


def department(node: NodeIdentity, code: str) -> Headers:
    """The token of a department: its subject is the department code, its jurisdiction the region."""
    return headers(node, "department", code, code.split(".")[0])


def project_item(code: str = PROJECT, region: str = COUNTY, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(example("tender.project"))
    payload.update(tender_project_code=code, region_code=region, **changes)
    return {"type": "tender.project", "jurisdiction": region, "payload": payload}


def complaint_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(example("complaint"))
    for name in ("complaint_id", "state", "data_timestamp", "competent_department", "accept_date",
                 "dealing_unit"):
        del body[name]
    body.update(received_at=RECEIVED, date_known="2025-03-03", objection_date="2025-03-04",
                objection_reply_date="2025-03-06", matter="evaluation_result")
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def ingest(client: TestClient, node: NodeIdentity, *items: dict[str, Any]) -> None:
    response = client.post(INGEST, json=list(items), headers=headers(node, "source", "source-test"))
    assert response.status_code == 201, response.text
    assert all(r["status"] == "accepted" for r in response.json()["results"])


def file(client: TestClient, node: NodeIdentity, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = client.post(COMPLAINTS, json=body, headers=headers(node, "source", "window"))
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def act(
    client: TestClient, who: Headers, complaint_id: str, status: int = 200, **body: Any
) -> dict[str, Any]:
    response = client.post(f"{COMPLAINTS}/{complaint_id}/actions", json=body, headers=who)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def envelope(client: TestClient, node: NodeIdentity, envelope_id: str) -> dict[str, Any]:
    reader = headers(node, "admin", "admin-test")
    response = client.get(f"/api/v1/records/{envelope_id}", headers=reader)
    assert response.status_code == 200
    result: dict[str, Any] = orjson.loads(response.content)
    return result


@pytest.fixture
def held(client: TestClient, node: NodeIdentity) -> TestClient:
    """A client of a node that holds the tender project complained about (交通, 鲁甸县)."""
    ingest(client, node, project_item())
    return client


JT = "530621.JT"


class TestIntake:
    def test_a_complaint_is_logged_and_routed_to_the_competent_department(self, held, node):
        case = file(held, node, complaint_body())
        assert (case["status"], case["stage"], case["state"]) == ("created", "routed", "routed")
        assert case["department"]["code"] == JT
        assert case["department"]["industry"] == "交通"
        assert case["deadlines"]["complaint.acceptance"]["due_at"] == "2025-03-14T00:00:00+08:00"
        receive, route = (envelope(held, node, eid) for eid in case["event_ids"])
        assert [receive["payload"]["action"], route["payload"]["action"]] == ["receive", "route"]
        assert route["payload"]["to_department"]["code"] == JT
        assert route["payload"]["due_at"] == case["due_at"]
        record = envelope(held, node, case["record_ids"][-1])
        assert (record["type"], record["jurisdiction"], record["payload"]["state"]) == (
            "complaint", COUNTY, "routed")
        assert held.get(f"{COMPLAINTS}/{case['complaint_id']}",
                        headers=department(node, JT)).json()["sequence"] == 2

    @pytest.mark.parametrize(("drop", "pointer"), [
        (("complainant", "address"), "/complainant/address"),
        (("complainant", "phone"), "/complainant/phone"),
    ])
    def test_missing_contact_elements_are_refused(self, held, node, drop, pointer):
        body = complaint_body()
        del body[drop[0]][drop[1]]
        body["complainant"].pop("email", None)
        problem = file(held, node, body, 422)
        assert problem["code"] == "complaint.missing_element"
        assert pointer in {e["pointer"] for e in problem["errors"]}

    def test_no_evidence_and_no_leads_is_refused(self, held, node):
        problem = file(held, node, complaint_body(evidence=None, leads=None), 422)
        assert problem["code"] == "complaint.missing_element"
        assert problem["errors"][0]["pointer"] == "/evidence"

    def test_schema_elements_are_required(self, held, node):
        problem = file(held, node, complaint_body(requests=[], facts=None), 422)
        assert problem["code"] == "complaint.invalid"
        assert len(problem["errors"]) >= 2

    def test_an_invalid_identifier_is_refused(self, held, node):
        body = complaint_body()
        body["complainant"]["code"] = "915301002194184526"  # check character off by one
        problem = file(held, node, body, 422)
        assert problem["code"] == "complaint.invalid"
        assert any(e["pointer"].startswith("/complainant/code") for e in problem["errors"])

    def test_an_unknown_project_is_refused(self, held, node):
        problem = file(held, node, complaint_body(tender_project_code="A015306212411050009999"), 422)
        assert problem["code"] == "complaint.unknown_project"

    def test_a_project_of_another_region_is_unknown_here(self, held, node):
        problem = file(held, node, complaint_body(region_code="530602"), 422)
        assert problem["code"] == "complaint.unknown_project"

    def test_members_the_gateway_sets_are_refused(self, held, node):
        problem = file(held, node, complaint_body(state="accepted"), 422)
        assert (problem["code"], problem["errors"][0]["pointer"]) == ("complaint.invalid", "/state")

    def test_a_receipt_in_the_future_is_refused(self, held, node):
        problem = file(held, node, complaint_body(received_at="2027-01-04T10:00:00+08:00"), 422)
        assert problem["errors"][0]["pointer"] == "/received_at"

    def test_nothing_is_kept_of_a_refused_complaint(self, held, node):
        file(held, node, complaint_body(leads=None, evidence=None), 422)
        listing = held.get(COMPLAINTS, headers=headers(node, "admin", "admin-test")).json()
        assert listing["items"] == []

    def test_a_read_only_role_cannot_file(self, held, node):
        response = held.post(COMPLAINTS, json=complaint_body(), headers=headers(node, "auditor", "a"))
        assert (response.status_code, response.json()["code"]) == (403, "auth.forbidden")


class TestScreening:
    def codes(self, client: TestClient, node: NodeIdentity, **changes: Any) -> list[str]:
        return [f["code"] for f in file(client, node, complaint_body(**changes))["screening"]]

    def test_a_clean_complaint_has_no_findings(self, held, node):
        assert self.codes(held, node) == []

    def test_time_barred_after_ten_days_not_counting_the_objection_reply(self, held, node):
        # Known 02-20, objection 02-21..02-24 not counted: day 10 lands on 03-06, so 03-10 is late.
        assert self.codes(held, node, date_known="2025-02-20", objection_date="2025-02-21",
                          objection_reply_date="2025-02-24") == ["time_barred"]

    def test_the_objection_reply_period_is_not_counted(self, held, node):
        # Known 02-26; without the 03-01..03-06 reply period day 10 would be 03-08 (rolled to 03-10).
        assert self.codes(held, node, date_known="2025-02-26", objection_date="2025-03-01",
                          objection_reply_date="2025-03-06") == []

    def test_objection_required_first(self, held, node):
        assert self.codes(held, node, objection_date=None, objection_reply_date=None) == [
            "objection_required"]

    def test_a_matter_without_prior_objection_rule_needs_none(self, held, node):
        assert self.codes(held, node, objection_date=None, objection_reply_date=None, matter="other") == []

    def test_government_procurement_needs_a_prior_challenge(self, held, node):
        ingest(held, node, project_item("G0153062125030001", trade_type="政府采购"))
        assert self.codes(held, node, trade_type="政府采购", tender_project_code="G0153062125030001",
                          bid_section_code=None, objection_date=None,
                          objection_reply_date=None) == ["no_prior_challenge"]

    def test_the_tenderer_itself_has_no_standing(self, held, node):
        tenderer = example("tender.project")["tenderer"]
        complainant = {**complaint_body()["complainant"], "code": tenderer["code"], "name": tenderer["name"]}
        assert "no_interest" in self.codes(held, node, complainant=complainant)

    def test_a_legal_person_needs_a_signed_and_sealed_letter(self, held, node):
        assert self.codes(held, node, letter=None) == ["legal_person_unsealed"]

    def test_a_natural_person_needs_a_signed_letter(self, held, node):
        person = {"name": "张三", "code_type": "id_card", "code": "530102198002294515",
                  "address": "昆明市", "phone": "13800000000"}
        assert self.codes(held, node, letter=None, complainant=person, standing="interested_party") == [
            "unsigned_or_no_contact"]


class TestWorkflow:
    def test_from_acceptance_to_publication(self, held, node):
        case = file(held, node, complaint_body())
        cid, jt = case["complaint_id"], department(node, JT)
        accepted = act(held, jt, cid, action="accept")
        assert accepted["stage"] == "accepted"
        assert accepted["due_step"] == "complaint.decision"
        investigating = act(held, jt, cid, action="investigate", suspend_tender=True)
        assert investigating["state"] == "investigating"
        decided = act(held, jt, cid, action="decide", decision="partly_upheld", handle_result="责令重新评标",
                      handle_basis="条例 第七十一条")
        assert (decided["stage"], decided["due_at"]) == ("decided", None)
        act(held, jt, cid, action="feedback", reason="处理决定书已送达投诉人并告知受理窗口")
        published = act(held, jt, cid, action="publish")
        assert (published["stage"], published["state"]) == ("published", "closed")
        actions = [envelope(held, node, eid)["payload"] for eid in published["event_ids"]]
        assert [e["action"] for e in actions] == [
            "receive", "route", "accept", "investigate", "decide", "feedback", "close"]
        assert [e["sequence"] for e in actions] == list(range(1, 8))
        assert all(e["actor"]["name"] for e in actions)
        assert "暂停招标投标活动" in actions[3]["reason"]
        final = envelope(held, node, published["record_ids"][-1])["payload"]
        assert (final["decision"], final["accept_date"], final["confined_action"]) == (
            "partly_upheld", "2025-03-10", "暂停招标投标活动")

    def test_the_published_result_masks_the_complainant(self, held, node):
        case = file(held, node, complaint_body())
        reader = headers(node, "department", JT, COUNTY)
        response = held.get(f"/api/v1/records/{case['record_ids'][-1]}", headers=reader)
        assert "complainant" in response.headers["X-Masked"]
        assert "13908700001" not in response.text
        assert "0871-65551234" not in response.text

    def test_an_illegal_transition_is_refused_and_nothing_is_recorded(self, held, node):
        case = file(held, node, complaint_body())
        problem = act(held, department(node, JT), case["complaint_id"], 409, action="decide",
                      decision="upheld", handle_result="x")
        assert problem["code"] == "complaint.illegal_transition"
        assert held.get(f"{COMPLAINTS}/{case['complaint_id']}",
                        headers=department(node, JT)).json()["sequence"] == 2

    def test_an_unknown_action_is_an_illegal_transition(self, held, node):
        case = file(held, node, complaint_body())
        problem = act(held, department(node, JT), case["complaint_id"], 409, action="approve")
        assert problem["code"] == "complaint.illegal_transition"

    @pytest.mark.parametrize("who", [
        lambda node: department(node, "530621.ZJ"),  # another department of the region
        lambda node: department(node, "530602.JT"),  # the same kind elsewhere
        lambda node: headers(node, "department", JT, "530600"),  # the right code, a wider region
        lambda node: headers(node, "admin", JT),
    ])
    def test_only_the_competent_department_acts(self, held, node, who: Callable[[NodeIdentity], Headers]):
        case = file(held, node, complaint_body())
        problem = act(held, who(node), case["complaint_id"], 403, action="accept")
        assert problem["code"] == "complaint.not_competent"

    def test_a_source_system_cannot_act(self, held, node):
        case = file(held, node, complaint_body())
        problem = act(held, headers(node, "source", "s"), case["complaint_id"], 403, action="accept")
        assert problem["code"] == "auth.forbidden"

    def test_an_unknown_complaint_is_not_found(self, held, node):
        problem = act(held, department(node, JT), "TS-530621-2025-none", 404, action="accept")
        assert problem["code"] == "complaint.not_found"

    @pytest.mark.parametrize("code", sorted(default_routing().reasons))
    def test_every_refusal_reason(self, held, node, code):
        case = file(held, node, complaint_body())
        refused = act(held, department(node, JT), case["complaint_id"], action="not_accept", reason_code=code,
                      reason="书面告知投诉人")
        assert (refused["stage"], refused["state"]) == ("not_accepted", "not_accepted")
        assert refused["due_at"] is None
        event = envelope(held, node, refused["event_ids"][-1])["payload"]
        assert event["reason"].startswith(f"{code}: ")
        assert event["reason"].endswith("书面告知投诉人")
        assert default_routing().reasons[code].source in event["reason"]

    def test_an_unknown_refusal_reason_is_refused(self, held, node):
        case = file(held, node, complaint_body())
        problem = act(held, department(node, JT), case["complaint_id"], 422, action="not_accept",
                      reason_code="because")
        assert problem["code"] == "complaint.unknown_reason"

    def test_referral_names_the_competent_department(self, held, node):
        case = file(held, node, complaint_body())
        referred = act(held, department(node, JT), case["complaint_id"], action="refer",
                       to={"kind": "财政", "region_code": COUNTY})
        assert (referred["stage"], referred["state"]) == ("referred", "closed")
        event = envelope(held, node, referred["event_ids"][-1])["payload"]
        assert event["to_department"]["code"] == "530621.CZ"
        assert event["reason"].startswith("not_competent")

    def test_withdrawal_needs_a_reason(self, held, node):
        case = file(held, node, complaint_body())
        problem = act(held, department(node, JT), case["complaint_id"], 422, action="withdraw")
        assert problem["code"] == "complaint.invalid"
        assert act(held, department(node, JT), case["complaint_id"], action="withdraw",
                   reason="投诉人撤回")["state"] == "withdrawn"


class TestSweep:
    def test_overdue_cases_are_escalated_once_and_listed(self, held, node, settings):
        late = file(held, node, complaint_body())  # acceptance due 2025-03-14
        fresh = file(held, node, complaint_body(bid_section_code="A015306212411050001001002",
                                                received_at="2025-03-11T09:00:00+08:00"))  # due 03-15
        engine = make_engine(settings.database_url)
        db: Session = make_session_factory(engine)()
        try:
            now = datetime(2025, 3, 14, 2, 0, tzinfo=UTC)  # 10:00 on 03-14, a Friday
            first = sweep_complaints(db, node=node, now=now)
            again = sweep_complaints(db, node=node, now=now)
            db.commit()
            alert = orjson.loads(LogRepository(db).get_by_envelope_id(first.alert_ids[0]).leaf)
        finally:
            db.close()
            engine.dispose()
        assert first.escalated == [late["complaint_id"]]
        assert first.due_soon == 1
        assert (again.escalated, again.overdue, again.due_soon) == ([], 0, 0)
        assert (alert["type"], alert["jurisdiction"]) == ("alert", "530600")  # the city above the county
        assert alert["payload"]["kind"] == ALERT_KIND
        assert alert["payload"]["subject_ids"] == [late["complaint_id"]]
        reader = department(node, JT)
        overdue = held.get(COMPLAINTS, params={"status": "overdue"}, headers=reader).json()["items"]
        due = held.get(COMPLAINTS, params={"status": "due"}, headers=reader).json()["items"]
        assert [c["complaint_id"] for c in overdue] == [late["complaint_id"]]
        assert [c["complaint_id"] for c in due] == [fresh["complaint_id"]]

    def test_a_reader_outside_the_region_sees_no_case(self, held, node):
        case = file(held, node, complaint_body())
        outsider = department(node, "530602.JT")
        assert held.get(COMPLAINTS, headers=outsider).json()["items"] == []
        response = held.get(f"{COMPLAINTS}/{case['complaint_id']}", headers=outsider)
        assert response.status_code == 404
