"""Obligations: due dates from the rules over holidays and make-up workdays, fulfilment on time and
late, the sweep (due soon, overdue → escalation and alert), listing, and the audit feed."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.services.obligation_watch import list_obligations, supervising_level, sweep_obligations
from gateway.services.obligations import Duty, create_obligation, fulfil, fulfil_by_receipt
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.remote_evaluation import ObligationRepository
from schemas.errors import GatewayError
from tests.gateway.test_remote_evaluation import (
    DALI,
    DALI_DEPT,
    HOST,
    HOST_DEPT,
    INVESTIGATION,
    KUNMING,
    KUNMING_DEPT,
    SESSION,
    Steps,
    at,
    document,
    event,
    expert,
    finding,
    opened,
    refused,
    session_payload,
)


@pytest.fixture
def steps(db: Session, node: NodeIdentity) -> Steps:
    return Steps(db, node)


def copy_duty(steps: Steps, day: str) -> str:
    steps.register(scheduled_start=f"{day}T09:00:00+08:00")
    (duty_id,) = steps.conclude_on(day).obligations_created
    return duty_id


def stored_types(db: Session) -> list[str]:
    return [orjson.loads(leaf)["type"] for _, leaf in LogRepository(db).list_leaves(start=0, limit=10_000)]


class TestCopyDeadlines:
    @pytest.mark.parametrize(("concluded", "due"), [
        # 2025 National Day: 10-01..08 off, Sunday 09-28 and Saturday 10-11 worked.
        ("2025-09-29", "2025-10-16T00:00:00+08:00"),
        # 2025 Spring Festival: 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 worked.
        ("2025-01-24", "2025-02-11T00:00:00+08:00"),
        # 2026 Spring Festival: 02-15..23 off, Saturdays 02-14 and 02-28 worked.
        ("2026-02-12", "2026-03-01T00:00:00+08:00"),
        # 2026 National Day: 10-01..07 off, Saturday 10-10 worked.
        ("2026-09-30", "2026-10-16T00:00:00+08:00"),
    ])
    def test_seven_working_days_over_holidays(self, steps: Steps, db: Session, concluded: str,
                                              due: str) -> None:
        row = ObligationRepository(db).get(copy_duty(steps, concluded))
        assert row is not None
        assert row.due_at == at(due)
        assert row.payload["due_at"] == due.replace(":00+08:00", ":00.000000+08:00")

    def test_a_conclusion_in_a_year_without_calendar_data_fails_closed(
        self, steps: Steps, db: Session
    ) -> None:
        steps.register()
        steps.record(opened("2026-11-24T09:00:00+08:00"))
        steps.record(finding("2026-11-24T10:00:00+08:00", 2))
        with pytest.raises(GatewayError) as caught:
            steps.record(event("investigation_concluded", "2027-01-05T10:00:00+08:00",
                               investigation_id=INVESTIGATION))
        assert caught.value.code == "calendar.no_data"
        assert ObligationRepository(db).of_subject(SESSION) == []

    def test_a_count_running_into_a_year_without_data_fails_closed(self, steps: Steps) -> None:
        steps.register(scheduled_start="2026-12-28T09:00:00+08:00")
        with pytest.raises(GatewayError) as caught:
            steps.conclude_on("2026-12-28")
        assert caught.value.code == "calendar.no_data"

    def test_no_rule_binding_the_jurisdiction_is_refused(self, db: Session, node: NodeIdentity) -> None:
        duty = Duty(kind="copy", debtor={**HOST_DEPT, "region_code": "440100"}, creditor=KUNMING_DEPT,
                    subject_type="remote_evaluation", subject_id=SESSION,
                    triggered_at=at("2026-11-23T10:00:00+08:00"))
        with pytest.raises(GatewayError) as caught:
            create_obligation(db, node=node, duty=duty, step="remote_evaluation.result_copy",
                              rules_jurisdiction="440100", now=at("2026-11-23T10:00:00+08:00"))
        assert caught.value.code == "obligation.no_rule"


class TestFulfilment:
    def test_the_copy_is_met_by_the_guest_nodes_receipt_only(
        self, steps: Steps, db: Session, node: NodeIdentity
    ) -> None:
        duty_id = copy_duty(steps, "2026-11-24")
        copy = steps.copy_to(KUNMING_DEPT, "2026-11-25T10:00:00+08:00")
        assert copy.jurisdiction == KUNMING
        # The province relays the copy across branches: its receipt does not meet the duty.
        assert fulfil_by_receipt(db, node=node, envelope_id=copy.envelope_id, receiver="530000",
                                 receipt_time=at("2026-11-25T10:01:00+08:00"), now=steps.tick()) == []
        met = fulfil_by_receipt(db, node=node, envelope_id=copy.envelope_id, receiver=KUNMING,
                                receipt_time=at("2026-11-25T10:02:00+08:00"), now=steps.tick())
        assert [row.obligation_id for row in met] == [duty_id]
        assert (met[0].late, met[0].payload["fulfilled_by_sequence"]) == (False, copy.sequence)

    def test_letters_are_answered_as_obligations(self, steps: Steps, db: Session) -> None:
        steps.register()
        letter = event("assistance_letter", "2026-11-24T09:00:00+08:00", from_department=HOST_DEPT,
                       to_department=DALI_DEPT, subject="协助调查函", documents=document("函告.pdf"))
        refused("remote.answer_by_required", steps.record, dict(letter))
        sent = steps.record(letter, answer_by="2026-11-30")
        assert sent.jurisdiction == DALI
        refused("remote.unknown_letter", steps.record, event(
            "assistance_answer", "2026-11-25T09:00:00+08:00", DALI_DEPT, from_department=DALI_DEPT,
            to_department=HOST_DEPT, answers_sequence=99, documents=document("复函.pdf")), acting=DALI)
        answer = steps.record(event("assistance_answer", "2026-12-01T09:00:00+08:00", DALI_DEPT,
                                    from_department=DALI_DEPT, to_department=HOST_DEPT,
                                    answers_sequence=sent.sequence, documents=document("复函.pdf")),
                              acting=DALI)
        assert answer.obligations_fulfilled == sent.obligations_created
        row = ObligationRepository(db).get(sent.obligations_created[0])
        assert row is not None
        assert row.late is True

    def test_a_late_copy_is_recorded_late_and_signed(
        self, steps: Steps, db: Session, node: NodeIdentity
    ) -> None:
        duty_id = copy_duty(steps, "2026-11-24")  # due 2026-12-04 00:00
        copy = steps.copy_to(KUNMING_DEPT, "2026-11-25T10:00:00+08:00")
        (met,) = fulfil_by_receipt(db, node=node, envelope_id=copy.envelope_id, receiver=KUNMING,
                                   receipt_time=at("2026-12-04T00:00:00+08:00"), now=steps.tick())
        assert (met.obligation_id, met.status, met.late) == (duty_id, "fulfilled", True)
        stored = LogRepository(db).get_by_envelope_id(met.envelope_id)
        assert stored is not None
        assert orjson.loads(stored.leaf)["payload"]["late"] is True

    def test_fulfilling_twice_keeps_the_first(self, steps: Steps, db: Session, node: NodeIdentity) -> None:
        duty_id = copy_duty(steps, "2026-11-24")
        first = fulfil(db, node=node, obligation_id=duty_id, fulfilled_at=at("2026-11-26T10:00:00+08:00"),
                       now=steps.tick())
        again = fulfil(db, node=node, obligation_id=duty_id, fulfilled_at=at("2026-12-20T10:00:00+08:00"),
                       now=steps.tick())
        assert again.fulfilled_at == first.fulfilled_at
        assert again.late is False

    def test_an_unknown_obligation_is_refused(self, db: Session, node: NodeIdentity) -> None:
        with pytest.raises(GatewayError) as caught:
            fulfil(db, node=node, obligation_id="OB-none", fulfilled_at=at("2026-11-26T10:00:00+08:00"),
                   now=at("2026-11-26T10:00:00+08:00"))
        assert caught.value.code == "obligation.not_found"


class TestSweep:
    def test_guest_node_down_past_the_deadline(self, steps: Steps, db: Session, node: NodeIdentity) -> None:
        duty_id = copy_duty(steps, "2026-11-24")  # due 2026-12-04 00:00 China time
        copy = steps.copy_to(KUNMING_DEPT, "2026-11-25T10:00:00+08:00")
        soon = sweep_obligations(db, node=node, now=at("2026-12-02T12:00:00+08:00"))
        assert (soon.due_soon, soon.overdue) == ([duty_id], [])
        overdue = sweep_obligations(db, node=node, now=at("2026-12-04T00:00:00+08:00"))
        assert (overdue.overdue, overdue.escalated) == ([duty_id], [duty_id])
        again = sweep_obligations(db, node=node, now=at("2026-12-05T09:00:00+08:00"))
        assert (again.overdue, again.escalated) == ([duty_id], [])  # escalated once
        row = ObligationRepository(db).get(duty_id)
        assert row is not None
        assert row.escalated_to == "530000"
        listed = list_obligations(db, status="overdue", prefix="53", now=at("2026-12-05T09:00:00+08:00"))
        assert [r.obligation_id for r in listed] == [duty_id]
        (met,) = fulfil_by_receipt(db, node=node, envelope_id=copy.envelope_id, receiver=KUNMING,
                                   receipt_time=at("2026-12-07T09:30:00+08:00"), now=steps.tick())
        assert met.late is True
        later = at("2026-12-08T09:00:00+08:00")
        assert list_obligations(db, status="overdue", prefix="53", now=later) == []
        fulfilled = list_obligations(db, status="fulfilled", prefix="5301", now=later)
        assert [r.obligation_id for r in fulfilled] == [duty_id]
        assert stored_types(db).count("alert") == 2  # due soon, then overdue

    def test_alerts_name_the_duty_and_go_to_the_supervising_level(self, steps: Steps, db: Session,
                                                                 node: NodeIdentity) -> None:
        duty_id = copy_duty(steps, "2026-11-24")
        sweep_obligations(db, node=node, now=at("2026-12-10T00:00:00+08:00"), due_soon=timedelta(0))
        leaves = LogRepository(db).list_leaves(start=0, limit=10_000, code_prefix="", record_types=["alert"])
        (alert,) = [orjson.loads(leaf) for _, leaf in leaves]
        assert alert["jurisdiction"] == "530000"
        assert alert["payload"]["kind"] == "obligation.overdue"
        assert duty_id in alert["payload"]["subject_ids"]

    @pytest.mark.parametrize(("region", "level"), [("530702", "530700"), ("530700", "530000"),
                                                   ("530000", "530000")])
    def test_supervising_level(self, region: str, level: str) -> None:
        assert supervising_level(region) == level


class TestApi:
    def test_obligations_and_alerts_in_lists_and_feeds(self, client: TestClient, token, app) -> None:
        host = token("department", HOST)
        created = client.post("/api/v1/remote-evaluations", json=session_payload(), headers=host)
        assert created.status_code == 201
        base = f"/api/v1/remote-evaluations/{SESSION}/events"
        actor = {"name": HOST_DEPT["name"], "region_code": HOST}
        for kind, extra in (("investigation_opened", {}),
                            ("investigation_finding", {"expert_id": expert(2), "description": "违规"}),
                            ("investigation_concluded", {})):
            body = {"kind": kind, "occurred_at": "2026-11-10T10:00:00+08:00", "actor": actor,
                    "investigation_id": "I1", **extra}
            assert client.post(base, json={"event": body}, headers=host).status_code == 201
        with app.state.session_factory() as db:  # the app's clock is 2026-11-22: the duty is overdue
            report = sweep_obligations(db, node=app.state.node, now=at("2026-11-22T10:00:00+08:00"))
            db.commit()
        assert len(report.escalated) == 1
        auditor = token("auditor", "530000")
        def listed(status: str) -> list[dict]:
            params = {"status": status}
            return client.get("/api/v1/obligations", params=params, headers=auditor).json()["items"]

        assert [item["overdue"] for item in listed("overdue")] == [True]
        assert listed("due") == []
        outside = client.get("/api/v1/obligations", params={"status": "overdue"},
                             headers=token("auditor", "440000")).json()["items"]
        assert outside == []
        bad = client.get("/api/v1/obligations", params={"status": "late"}, headers=auditor)
        assert bad.status_code == 422
        feed = client.get("/api/v1/feed", params={"type": ["obligation", "alert"]}, headers=auditor)
        kinds = [orjson.loads(line)["envelope"]["type"] for line in feed.text.splitlines() if line]
        assert kinds == ["obligation", "alert"]
