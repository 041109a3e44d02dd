"""Remote off-site evaluation end to end (issue 6): four nodes as separate processes on loopback.

The host city 530600 registers a session with guest venues in 530300 and 530100 (other branches of
the province 530000); both guest nodes take it in and their signed receipts acknowledge it. A guest
reports misconduct at its own node; the host investigates and concludes with findings about that
guest's experts; exactly that guest gets the copy (抄送), and its receipt meets the 7-working-day duty
on time, while the other guest gets nothing. With a guest node down past the due time, the copy duty
turns overdue and is escalated (an `obligation.overdue` alert to the province), a relay's receipt
does not meet it, and the guest's receipt once it is back meets it late, recorded as late. Auditors
find the obligation versions and the alert in the feeds. SQLite per node, and PostgreSQL per node
when GGZY_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from gateway.demo.launcher import LaunchOptions, launch, wait_for
from gateway.services.deadline_rules import DuePolicy
from gateway.services.remote_investigation import COPY_STEP
from gateway.store.models.exchange import DELIVERED
from tests.conftest import POSTGRES_ENV, service_unavailable
from tests.integration.remote_flow import (
    ARRIVAL,
    EVENTS,
    HOST,
    KUNMING,
    PROVINCE,
    QUJING,
    TICK_ENV,
    TOPOLOGY,
    RemoteFlow,
    at,
    copy_event,
    event,
    expert,
    now_china,
    session_payload,
)

pytestmark = pytest.mark.slow
GUESTS = (QUJING, KUNMING)
TICKS = 3.0  # seconds: three workflow ticks (GATEWAY_WORKFLOW__TICK_INTERVAL=PT1S)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def flow(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteFlow]:
    postgres_url = ""
    if request.param == "postgresql":
        postgres_url = os.environ.get(POSTGRES_ENV, "")
        if not postgres_url:
            service_unavailable(f"PostgreSQL tier off: set {POSTGRES_ENV} to run the nodes on PostgreSQL")
    options = LaunchOptions(tmp_path_factory.mktemp(f"remote-{request.param}"), postgres_url=postgres_url,
                            extra_env=TICK_ENV)
    with launch(TOPOLOGY, options) as federation:
        yield RemoteFlow(federation)


def copy_due(concluded: datetime) -> datetime:
    """The copy duty's due time as the host's rules compute it (7 working days, DESIGN §5 calendar)."""
    return DuePolicy.default().deadline(COPY_STEP, jurisdiction=HOST, start=concluded).due


def register_acknowledged(flow: RemoteFlow, session_id: str, start: datetime) -> None:
    """Registered at the host; held by both guest nodes; acknowledged by each one's signed receipt."""
    envelope_id = flow.register(session_payload(session_id, start))
    for guest in GUESTS:
        wait_for(lambda guest=guest: flow.holds(guest, session_id), timeout=ARRIVAL,  # type: ignore[misc]
                 what=f"session {session_id} at {guest}")

    def acknowledged() -> bool:
        acks = flow.view(HOST, session_id).json()["acknowledgements"]
        return all(ack["delivery"] == DELIVERED and ack["receipt"] is not None for ack in acks)

    wait_for(acknowledged, timeout=ARRIVAL, what=f"both guests' receipts of {session_id}",
             on_fail=lambda: str(flow.view(HOST, session_id).json()["acknowledgements"]))
    acks = flow.view(HOST, session_id).json()["acknowledgements"]
    assert {ack["region_code"]: ack["node"] for ack in acks} == {QUJING: QUJING, KUNMING: KUNMING}
    for ack in acks:
        fields = flow.verified_receipt(HOST, envelope_id, ack["node"])  # the guest node's own key
        assert fields["status"] == "accepted"
        assert {k: v for k, v in ack["receipt"].items() if k != "sig"} == fields


def investigate(flow: RemoteFlow, session_id: str, investigation_id: str, experts: tuple[int, ...],
                opened_at: datetime, concluded_at: datetime) -> dict[str, Any]:
    """The host opens an investigation, records a finding per expert, concludes; the conclusion."""
    flow.record(HOST, session_id, event("investigation_opened", opened_at, investigation_id=investigation_id))
    for n in experts:
        flow.record(HOST, session_id, event("investigation_finding", opened_at + timedelta(minutes=n),
                                            investigation_id=investigation_id, expert_id=expert(n),
                                            description="评标期间私下接触投标人"))
    return flow.record(HOST, session_id, event("investigation_concluded", concluded_at,
                                               investigation_id=investigation_id, description="调查结束"))


def settled(flow: RemoteFlow, envelope_id: str, *senders: str) -> bool:
    """Every delivery of the envelope from `senders` has its receipt: nothing of it is in flight."""
    for sender in senders:
        found = flow.deliveries(sender, envelope_id)
        if not found or any(status != DELIVERED for status, _ in found.values()):
            return False
    return True


class TestCopyOnTime:
    def test_only_the_involved_guest_gets_the_copy_receipted_in_time(self, flow: RemoteFlow) -> None:
        session_id = "YCYD-2026-530600-0101"
        began = now_china() - timedelta(hours=3)
        register_acknowledged(flow, session_id, began)

        reported = flow.record(QUJING, session_id, event("misconduct", began + timedelta(hours=1), QUJING,
                                                         expert_id=expert(3), description="专家使用手机"))
        assert reported["jurisdiction"] == QUJING
        wait_for(lambda: "misconduct" in flow.event_kinds(HOST, session_id), timeout=ARRIVAL,
                 what="the guest's misconduct report at the host")
        (listed,) = [e for e in flow.view(HOST, session_id).json()["events"] if e["kind"] == "misconduct"]
        assert (listed["jurisdiction"], listed["envelope_id"]) == (QUJING, reported["envelope_id"])

        concluded_at = now_china() - timedelta(minutes=5)
        concluded = investigate(flow, session_id, "DC-530600-2026-101", (1, 3), began + timedelta(hours=2),
                                concluded_at)  # a host expert and a 曲靖 expert
        (duty_id,) = concluded["obligations_created"]
        due = flow.wait_obligation("due", duty_id, "the copy duty in the host's due list")
        assert (due["kind"], due["record"]["creditor"]["region_code"]) == ("copy", QUJING)
        assert at(due["due_at"]) == copy_due(concluded_at) > now_china()
        owed = [o for o in flow.view(HOST, session_id).json()["obligations"] if o["kind"] == "copy"]
        assert [o["creditor"]["region_code"] for o in owed] == [QUJING]  # nothing owed to 昆明

        refused = flow.fed[HOST].post(EVENTS.format(session_id),
                                      {"event": copy_event("DC-530600-2026-101", KUNMING, now_china())},
                                      headers=flow.dept(HOST))
        assert (refused.status_code, refused.json()["code"]) == (422, "remote.no_experts_there")
        copy = flow.record(HOST, session_id, copy_event("DC-530600-2026-101", QUJING, now_china()))
        assert copy["jurisdiction"] == QUJING

        met = flow.wait_obligation("fulfilled", duty_id, "the copy duty met by 曲靖's receipt")
        receipt = flow.verified_receipt(HOST, copy["envelope_id"], QUJING)
        assert met["late"] is False
        assert at(met["fulfilled_at"]) == at(receipt["received_at"]) < at(met["due_at"])
        assert met["record"]["fulfilled_by_sequence"] == copy["sequence"]
        assert [c["id"] for c in flow.copies_held(QUJING, session_id)] == [copy["envelope_id"]]
        assert "copy" in flow.event_kinds(QUJING, session_id)

        # The other guest gets nothing: once every hop of the copy has its receipt, none went to 昆明.
        wait_for(lambda: settled(flow, copy["envelope_id"], HOST, PROVINCE), timeout=ARRIVAL,
                 what="every delivery of the copy receipted")
        for sender in (HOST, PROVINCE):
            assert KUNMING not in flow.deliveries(sender, copy["envelope_id"])
        assert flow.copies_held(KUNMING, session_id) == []
        assert not flow.holds_envelope(KUNMING, copy["envelope_id"])
        assert "copy" not in flow.event_kinds(KUNMING, session_id)


class TestCopyLate:
    def test_a_guest_down_past_the_due_time_is_copied_late_and_escalated(self, flow: RemoteFlow) -> None:
        session_id = "YCYD-2026-530600-0102"
        began = at("2026-10-19T09:00:00+08:00")
        register_acknowledged(flow, session_id, began)
        flow.fed.kill(KUNMING)
        concluded_at = at("2026-10-20T16:00:00+08:00")
        concluded = investigate(flow, session_id, "DC-530600-2026-102", (5,), at("2026-10-20T09:00:00+08:00"),
                                concluded_at)  # a 昆明 expert
        (duty_id,) = concluded["obligations_created"]
        due_at = copy_due(concluded_at)
        assert due_at == at("2026-10-30T00:00:00+08:00") < now_china()

        copy = flow.record(HOST, session_id, copy_event("DC-530600-2026-102", KUNMING, now_china()))
        overdue = flow.wait_obligation("overdue", duty_id, "the copy duty overdue while 昆明 is down")
        assert (overdue["overdue"], at(overdue["due_at"])) == (True, due_at)
        wait_for(lambda: (flow.obligation("overdue", duty_id) or {}).get("escalated_to") == PROVINCE,
                 timeout=ARRIVAL, what="the overdue copy duty escalated to the province")
        (alert,) = [a for a in flow.envelopes(HOST, "alert") if a["payload"]["kind"] == "obligation.overdue"
                    and a["payload"]["details"]["obligation_id"] == duty_id]
        assert (alert["jurisdiction"], alert["payload"]["details"]["escalated_to"]) == (PROVINCE, PROVINCE)

        # The province relays the copy and receipts it: a relay's receipt meets nothing.
        wait_for(lambda: flow.holds_envelope(PROVINCE, copy["envelope_id"]), timeout=ARRIVAL,
                 what="the copy at the province")
        wait_for(lambda: flow.deliveries(HOST, copy["envelope_id"])[PROVINCE][0] == DELIVERED,
                 timeout=ARRIVAL, what="the province's receipt of the copy at the host",
                 on_fail=lambda: str(flow.deliveries(HOST, copy["envelope_id"])))
        time.sleep(TICKS)  # a duty a relay met would be met by the next tick; let several run
        assert flow.obligation("overdue", duty_id) is not None
        assert flow.deliveries(HOST, copy["envelope_id"])[KUNMING][0] != DELIVERED

        flow.fed.restart(KUNMING)
        met = flow.wait_obligation("fulfilled", duty_id, "the copy duty met late once 昆明 is back")
        receipt = flow.verified_receipt(HOST, copy["envelope_id"], KUNMING)
        assert met["late"] is True
        assert at(met["fulfilled_at"]) == at(receipt["received_at"]) > due_at
        assert [c["id"] for c in flow.copies_held(KUNMING, session_id)] == [copy["envelope_id"]]

        self.check_audit_feeds(flow, duty_id, alert["id"])

    @staticmethod
    def check_audit_feeds(flow: RemoteFlow, duty_id: str, alert_id: str) -> None:
        """The host's auditor reads every version of the duty; the province's auditors, at the host and
        at the province, read the escalation alert (it concerns the province) and the duty."""
        versions = [o["payload"] for o in flow.envelopes(HOST, "obligation", flow.auditor(HOST, HOST))
                    if o["payload"]["obligation_id"] == duty_id]
        assert [(v["status"], v.get("late")) for v in versions] == [("open", None), ("fulfilled", True)]
        assert alert_id not in {a["id"] for a in flow.envelopes(HOST, "alert", flow.auditor(HOST, HOST))}
        assert alert_id in {a["id"] for a in flow.envelopes(HOST, "alert", flow.auditor(HOST, PROVINCE))}

        def at_province() -> bool:
            reader = flow.auditor(PROVINCE, PROVINCE)
            alerts = {a["id"] for a in flow.envelopes(PROVINCE, "alert", reader)}
            duties = [o["payload"]["status"] for o in flow.envelopes(PROVINCE, "obligation", reader)
                      if o["payload"]["obligation_id"] == duty_id]
            return alert_id in alerts and duties == ["open", "fulfilled"]

        wait_for(at_province, timeout=ARRIVAL, what="the duty's versions and its alert in the province feed")
