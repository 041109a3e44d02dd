"""Remote off-site evaluation on one node: sessions, events from both sides, investigations and the
copy duty, refusals with their codes, and the HTTP API. SQLite and PostgreSQL tiers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.services.remote_evaluation import record_event, register_session, session_view
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.remote_evaluation import ObligationRepository
from schemas.errors import GatewayError

HOST, KUNMING, DALI = "530700", "530100", "532900"
SESSION = "YCYD-2026-530700-0007"
INVESTIGATION = "DC-530700-2026-001"


def expert(n: int) -> str:
    return "hmac-sha256:" + hashlib.sha256(f"expert-{n}".encode()).hexdigest()


def department(region: str, name: str) -> dict[str, Any]:
    return {"name": name, "code": f"11{region}MB0000000X", "region_code": region, "industry": "住建"}


HOST_DEPT = department(HOST, "丽江市住房和城乡建设局")
KUNMING_DEPT = department(KUNMING, "昆明市住房和城乡建设局")
DALI_DEPT = department(DALI, "大理白族自治州住房和城乡建设局")


def venue(code: str, region: str, dept: dict[str, Any]) -> dict[str, Any]:
    return {"venue_code": code, "name": f"{dept['name']}评标室{code}", "region_code": region,
            "supervisory_department": dept}


def session_payload(seats: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "session_id": SESSION, "tender_project_code": "A015307022611050001001",
        "bid_section_codes": ["A015307022611050001001001"],
        "host": venue("LJ-01", HOST, HOST_DEPT),
        "guests": [venue("KM-11", KUNMING, KUNMING_DEPT), venue("DL-02", DALI, DALI_DEPT)],
        "seats": seats if seats is not None else [
            {"expert_id": expert(1), "venue_code": "LJ-01", "seat_no": "A01", "is_chairman": True},
            {"expert_id": expert(2), "venue_code": "KM-11", "seat_no": "B07"},
            {"expert_id": expert(3), "venue_code": "DL-02", "seat_no": "C03"},
        ],
        "scheduled_start": "2026-11-23T09:00:00+08:00", "status": "planned",
    }


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def actor(dept: dict[str, Any]) -> dict[str, Any]:
    return {"name": dept["name"], "department_code": dept["code"], "region_code": dept["region_code"]}


def event(kind: str, occurred_at: str, dept: dict[str, Any] = HOST_DEPT, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "occurred_at": occurred_at, "actor": actor(dept), **fields}


def opened(when: str) -> dict[str, Any]:
    return event("investigation_opened", when, investigation_id=INVESTIGATION)


def finding(when: str, n: int) -> dict[str, Any]:
    return event("investigation_finding", when, investigation_id=INVESTIGATION, expert_id=expert(n),
                 description="私下接触投标人")


def document(name: str) -> list[dict[str, Any]]:
    return [{"digest": "sha256:" + hashlib.sha256(name.encode()).hexdigest(), "title": name}]


class Steps:
    """Drives one session through the service layer, each step at its own clock time."""

    def __init__(self, db: Session, node: NodeIdentity) -> None:
        self.db, self.node = db, node
        self.now = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def register(self, **overrides: Any) -> None:
        register_session(self.db, node=self.node, session={**session_payload(), **overrides},
                         acting_region=HOST, now=self.tick())

    def record(self, body: dict[str, Any], acting: str | None = HOST, answer_by: str | None = None):
        return record_event(self.db, node=self.node, session_id=SESSION, event=body, acting_region=acting,
                            now=self.tick(), answer_by=answer_by)

    def conclude_on(self, day: str, experts: tuple[int, ...] = (2,)):
        self.record(opened(f"{day}T09:00:00+08:00"))
        for n in experts:
            self.record(finding(f"{day}T10:00:00+08:00", n))
        return self.record(event("investigation_concluded", f"{day}T16:30:00+08:00",
                                 investigation_id=INVESTIGATION, description="调查结束"))

    def copy_to(self, dept: dict[str, Any], when: str):
        return self.record(event("copy", when, investigation_id=INVESTIGATION, from_department=HOST_DEPT,
                                 to_department=dept, documents=document("调查结论.pdf")))


@pytest.fixture
def steps(db: Session, node: NodeIdentity) -> Steps:
    return Steps(db, node)


def refused(code: str, call, *args: Any, **kwargs: Any) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


class TestSessions:
    def test_registration_is_a_signed_record_of_the_host(self, steps: Steps, db: Session) -> None:
        steps.register()
        view = session_view(db, session_id=SESSION, reader_region=KUNMING)
        stored = LogRepository(db).get_by_envelope_id(view["envelope_id"])
        assert stored is not None
        assert stored.jurisdiction == HOST
        assert {seat["region_code"] for seat in view["seats"]} == {HOST, KUNMING, DALI}

    def test_one_expert_in_two_venues_is_refused(self, steps: Steps) -> None:
        seats = [{"expert_id": expert(1), "venue_code": "LJ-01", "seat_no": "A01"},
                 {"expert_id": expert(1), "venue_code": "KM-11", "seat_no": "B01"}]
        error = refused("remote.expert_in_two_venues", steps.register, seats=seats)
        assert error.details[0]["pointer"] == "/seats/1/expert_id"

    def test_a_seat_at_an_unknown_venue_is_refused(self, steps: Steps) -> None:
        refused("remote.unknown_venue", steps.register,
                seats=[{"expert_id": expert(1), "venue_code": "XX-99", "seat_no": "A01"}])

    def test_a_guest_cannot_register_and_a_session_registers_once(self, steps: Steps, db: Session,
                                                                  node: NodeIdentity) -> None:
        refused("remote.not_host", register_session, db, node=node, session=session_payload(),
                acting_region=KUNMING, now=steps.tick())
        steps.register()
        refused("remote.session_exists", steps.register)

    def test_experts_travel_as_keyed_hashes_only(self, steps: Steps) -> None:
        seats = [{"expert_id": "53070219800101001X", "venue_code": "LJ-01", "seat_no": "A01"}]
        refused("record.invalid", steps.register, seats=seats)

    def test_outside_readers_do_not_see_the_session(self, steps: Steps, db: Session) -> None:
        steps.register()
        refused("record.not_found", session_view, db, session_id=SESSION, reader_region="440100")


class TestEvents:
    def test_unknown_session_is_refused(self, steps: Steps, db: Session, node: NodeIdentity) -> None:
        refused("remote.unknown_session", record_event, db, node=node, session_id="NOPE", acting_region=HOST,
                event=event("misconduct", "2026-11-23T10:00:00+08:00", description="x"), now=steps.tick())

    @pytest.mark.parametrize("when", ["2026-11-23T10:00:00", "yesterday"])
    def test_an_event_without_an_aware_time_is_refused(self, steps: Steps, when: str) -> None:
        steps.register()
        refused("remote.event_invalid", steps.record, event("misconduct", when, description="x"))

    def test_check_in_of_an_unknown_expert_is_refused(self, steps: Steps) -> None:
        steps.register()
        refused("remote.unknown_expert", steps.record, event(
            "check_in", "2026-11-23T08:30:00+08:00", KUNMING_DEPT, venue_code="KM-11", expert_id=expert(9)),
            acting=KUNMING)

    def test_check_in_at_another_venue_than_the_seat_is_refused(self, steps: Steps) -> None:
        steps.register()
        refused("remote.wrong_venue", steps.record, event(
            "check_in", "2026-11-23T08:30:00+08:00", KUNMING_DEPT, venue_code="KM-11", expert_id=expert(3)),
            acting=KUNMING)

    def test_guest_misconduct_report_concerns_the_guest_venue(self, steps: Steps) -> None:
        steps.register()
        result = steps.record(event("misconduct", "2026-11-23T11:00:00+08:00", KUNMING_DEPT,
                                    expert_id=expert(2), description="专家使用手机"), acting=KUNMING)
        assert (result.sequence, result.jurisdiction) == (1, KUNMING)

    def test_a_guest_reports_only_from_its_own_venue(self, steps: Steps) -> None:
        steps.register()
        refused("remote.wrong_venue", steps.record, event(
            "misconduct", "2026-11-23T11:00:00+08:00", KUNMING_DEPT, venue_code="DL-02", description="x"),
            acting=KUNMING)

    @pytest.mark.parametrize(("phase_start", "end", "exceeded"), [
        ("2026-11-23T07:00:00+08:00", "2026-11-23T08:59:00+08:00", False),  # before the start: 2 h
        ("2026-11-23T07:00:00+08:00", "2026-11-23T09:00:00+08:00", True),
        ("2026-11-23T10:00:00+08:00", "2026-11-23T13:59:00+08:00", False),  # during: 4 h
        ("2026-11-23T10:00:00+08:00", "2026-11-23T14:00:00+08:00", True),
    ])
    def test_faults_are_measured_against_the_2_and_4_hour_rules(
        self, steps: Steps, phase_start: str, end: str, exceeded: bool
    ) -> None:
        steps.register()
        steps.record(event("fault_start", phase_start, venue_code="KM-11", fault_id="F1",
                           description="视频中断"))
        result = steps.record(event("fault_end", end, venue_code="KM-11", fault_id="F1"))
        assert result.fault is not None
        assert result.fault["exceeded"] is exceeded
        expected = "fault_before_start" if phase_start < "2026-11-23T09" else "fault_during_evaluation"
        assert result.fault["rule_id"] == f"yn.lijiang.remote_evaluation.{expected}"

    def test_the_end_of_a_fault_never_started_is_refused(self, steps: Steps) -> None:
        steps.register()
        refused("remote.unknown_fault", steps.record,
                event("fault_end", "2026-11-23T10:00:00+08:00", venue_code="KM-11", fault_id="F9"))

    def test_handover_meets_the_five_working_day_duty(self, steps: Steps, db: Session) -> None:
        steps.register()
        done = steps.record(event("report_completed", "2026-11-23T17:00:00+08:00",
                                  documents=document("评标报告.pdf")))
        assert len(done.obligations_created) == 2
        due = ObligationRepository(db).get(done.obligations_created[0])
        assert due is not None
        assert due.due_at == at("2026-12-01T00:00:00+08:00")
        handed = steps.record(event("handover", "2026-11-27T10:00:00+08:00", KUNMING_DEPT,
                                    documents=document("纸质原件及音视频.zip")), acting=KUNMING)
        assert len(handed.obligations_fulfilled) == 1
        met = ObligationRepository(db).get(handed.obligations_fulfilled[0])
        assert met is not None
        assert (met.status, met.late) == ("fulfilled", False)
        assert met.payload["debtor"]["region_code"] == KUNMING


class TestInvestigations:
    def test_only_the_host_concludes(self, steps: Steps) -> None:
        steps.register()
        steps.record(opened("2026-11-24T09:00:00+08:00"))
        refused("remote.not_host", steps.record, event(
            "investigation_concluded", "2026-11-25T09:00:00+08:00", KUNMING_DEPT,
            investigation_id=INVESTIGATION), acting=KUNMING)

    def test_a_finding_about_an_unknown_expert_is_refused(self, steps: Steps) -> None:
        steps.register()
        steps.record(opened("2026-11-24T09:00:00+08:00"))
        refused("remote.unknown_expert", steps.record, finding("2026-11-24T10:00:00+08:00", 42))

    def test_conclusion_owes_one_copy_to_the_involved_guest_only(self, steps: Steps, db: Session) -> None:
        steps.register()
        concluded = steps.conclude_on("2026-11-24", experts=(1, 2))  # host expert and a 昆明 expert
        assert len(concluded.obligations_created) == 1
        duty = ObligationRepository(db).get(concluded.obligations_created[0])
        assert duty is not None
        assert duty.creditor_region == KUNMING
        assert duty.kind == "copy"
        assert duty.payload["rule_id"] == "yn.remote_evaluation.result_copy"
        assert duty.payload["rule_source"] == "云发改交易监督〔2020〕972号 六(十二)"
        refused("remote.no_experts_there", steps.copy_to, DALI_DEPT, "2026-11-25T10:00:00+08:00")

    def test_a_conclusion_without_guest_experts_owes_nothing(self, steps: Steps) -> None:
        steps.register()
        assert steps.conclude_on("2026-11-24", experts=(1,)).obligations_created == []
        refused("remote.no_experts_there", steps.copy_to, KUNMING_DEPT, "2026-11-25T10:00:00+08:00")


class TestApi:
    def test_session_events_and_feed_over_http(self, client: TestClient, token) -> None:
        host, guest = token("department", HOST), token("department", KUNMING)
        resp = client.post("/api/v1/remote-evaluations", json=session_payload(), headers=host)
        assert resp.status_code == 201, resp.text
        base = f"/api/v1/remote-evaluations/{SESSION}/events"
        misconduct = event("misconduct", "2026-11-23T11:00:00+08:00", KUNMING_DEPT, description="违规")
        assert client.post(base, json={"event": misconduct}, headers=guest).status_code == 201
        for body in (event("investigation_opened", "2026-11-23T14:00:00+08:00", investigation_id="I1"),
                     event("investigation_finding", "2026-11-23T15:00:00+08:00", investigation_id="I1",
                           expert_id=expert(2), description="违规属实")):
            assert client.post(base, json={"event": body}, headers=host).status_code == 201
        conclude = event("investigation_concluded", "2026-11-23T16:00:00+08:00", investigation_id="I1")
        resp = client.post(base, json={"event": conclude}, headers=guest)
        assert (resp.status_code, resp.json()["code"]) == (403, "remote.not_host")
        resp = client.post(base, json={"event": conclude}, headers=host)
        assert resp.status_code == 201
        assert len(resp.json()["obligations_created"]) == 1
        resp = client.post("/api/v1/remote-evaluations/NOPE/events", json={"event": conclude}, headers=host)
        assert (resp.status_code, resp.json()["code"]) == (404, "remote.unknown_session")
        view = client.get(f"/api/v1/remote-evaluations/{SESSION}", headers=guest).json()
        assert [e["kind"] for e in view["events"]][-1] == "investigation_concluded"
        listed = client.get("/api/v1/obligations", params={"status": "due", "jurisdiction": KUNMING},
                            headers=token("auditor", "530000")).json()["items"]
        assert [item["record"]["creditor"]["region_code"] for item in listed] == [KUNMING]
        feed = client.get("/api/v1/feed", headers=token("auditor", "530000"))
        types = [orjson.loads(line)["envelope"]["type"] for line in feed.text.splitlines() if line]
        assert {"remote_evaluation", "remote_evaluation.event", "obligation"} <= set(types)

    def test_auditors_cannot_write_events(self, client: TestClient, token) -> None:
        auditor = token("auditor", HOST)
        resp = client.post("/api/v1/remote-evaluations", json=session_payload(), headers=auditor)
        assert (resp.status_code, resp.json()["code"]) == (403, "auth.forbidden")
