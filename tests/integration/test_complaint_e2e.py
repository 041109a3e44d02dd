"""Issue 5 acceptance, end to end: nodes as separate processes on loopback, each with its own database.

A complaint filed at a county node about a project of another city travels, as signed envelopes, straight
to the node of that city, which keeps the case for the competent department there (住建 of the project's
region): accepted, extended with the configured approval where the rules allow one, investigated,
decided, fed back and published. The county node follows every status change and ends with the same
history; it refuses to act itself. Deadlines, at the competent node and as stated back to the county,
equal an independent oracle (`holidays.China`) over 2024–2026, around the Spring Festival and National
Day breaks and their make-up workdays.

Two federations: 云南 (the county 鲁甸 of 昭通市, the project in 麒麟区 of 曲靖市), where the national
decision limit admits no extension, and 湖北 (the county 阳新 of 黄石市, the project in 麻城 under the
node of 黄冈市), whose local rule does with the approval of 监管办主要负责人. Each runs on SQLite with the
in-process relay; on PostgreSQL when GGZY_TEST_POSTGRES_URL is set; and with Celery workers (and beat)
on Redis when GGZY_TEST_REDIS_URL is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson
import pytest

from gateway.demo.launcher import LaunchOptions, LocalFederation, LocalNode, launch, wait_for
from gateway.store.models.exchange import DELIVERED
from schemas.deadlines import CHINA_TZ
from signing.keys import Keyring, PublicKey
from signing.receipt import verify_receipt
from tests.integration.complaint_flow import (
    ACCEPTANCE,
    DECISION,
    HUBEI,
    INDUSTRY,
    YUNNAN,
    Scenario,
    act,
    complaint_body,
    current_view,
    deliveries,
    department,
    file_complaint,
    oracle_due_at,
    oracle_is_working_day,
    project_item,
    record,
    rule_amount,
    wait_for_view,
)
from tests.integration.federation import POSTGRES_ENV, REDIS_ENV

pytestmark = pytest.mark.slow
HANDLED_ELSEWHERE, NOT_COMPETENT = "handled_elsewhere", "complaint.not_competent"
# Received on the Monday before National Day 2026: both deadlines run across the break and its make-up
# Saturday, and the decision (even extended) still falls in 2026, the last year with calendar data.
RECEIVED = datetime(2026, 9, 28, 10, tzinfo=CHINA_TZ)
# Received just before each Spring Festival and National Day break of 2024–2026: the periods cross
# the break, and a short one ends on its make-up Sunday or Saturday.
AROUND_THE_BREAKS = [date(2024, 2, 8), date(2025, 1, 24), date(2026, 2, 13),
                     date(2024, 9, 27), date(2025, 9, 26), date(2026, 9, 18)]
APPROVAL = [{"digest": "sha256:" + "ab" * 32, "title": "延期审批表.pdf"}]
EXTENDED_AMOUNT = 25  # working days, within the national ceiling of 30
# Where the nodes keep their data and what relays: SQLite and the in-process relay and ticker (the embedded
# default), PostgreSQL, and Celery workers with beat on Redis (on PostgreSQL too when it is given).
TIERS = [pytest.param("sqlite", id="sqlite"),
         pytest.param("postgres", id="postgres", marks=pytest.mark.skipif(
             not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set: no PostgreSQL tier")),
         pytest.param("celery", id="celery", marks=pytest.mark.skipif(
             not os.environ.get(REDIS_ENV), reason=f"{REDIS_ENV} is not set: no Celery tier"))]


@pytest.fixture(scope="module", params=[YUNNAN, HUBEI], ids=lambda scenario: scenario.name)
def scenario(request: pytest.FixtureRequest) -> Scenario:
    found: Scenario = request.param
    return found


@pytest.fixture(scope="module", params=TIERS)
def federation(request: pytest.FixtureRequest, scenario: Scenario,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalFederation]:
    """The scenario's nodes, each a `ggzy serve` with its own database; the project held by its city."""
    tier = request.param
    postgres = os.environ.get(POSTGRES_ENV, "") if tier in ("postgres", "celery") else ""
    broker = os.environ.get(REDIS_ENV, "") if tier == "celery" else ""
    options = LaunchOptions(workdir=tmp_path_factory.mktemp(f"complaints-{scenario.name}"),
                            environment="test", postgres_url=postgres, broker_url=broker,
                            extra_env={"GATEWAY_WORKFLOW__TICK_INTERVAL": "PT1S"})
    with launch(list(scenario.topology), options) as running:
        result = running[scenario.competent].ingest([project_item(scenario)])
        assert [r["status"] for r in result["results"]] == ["accepted"]
        yield running


def start_of(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def oracle_deadline(scenario: Scenario, step: str, received: date, amount: int | None = None) -> str:
    return oracle_due_at(received, amount or rule_amount(step, scenario.project_region, on=received))


def followed(filing: LocalNode, competent_view: dict[str, Any], what: str) -> dict[str, Any]:
    """Wait until the filing node shows the competent node's stage, state and history."""
    keys = ("stage", "state", "sequence", "event_ids")
    expected = {key: competent_view[key] for key in keys}
    return wait_for_view(filing, competent_view["complaint_id"],
                         lambda view: {key: view[key] for key in keys} == expected, what=what)


class TestComplaintAcrossCities:
    def test_filed_at_a_county_handled_by_the_citys_department_and_followed(
        self, federation: LocalFederation, scenario: Scenario
    ) -> None:
        filing, competent = federation[scenario.filing], federation[scenario.competent]
        received = start_of(RECEIVED)
        filed = file_complaint(filing, complaint_body(scenario, RECEIVED))
        cid = filed["complaint_id"]

        # The county routes it to 住建 of the project's region and hands it over: no clock runs there.
        assert (filed["status"], filed["stage"], filed["state"]) == ("created", "routed", "routed")
        assert filed["department"]["code"] == scenario.department_code
        assert (filed["department"]["region_code"], filed["department"]["industry"]) == (
            scenario.project_region, INDUSTRY)
        assert filed["flags"] == [HANDLED_ELSEWHERE]
        assert (filed["due_step"], filed["due_at"]) == (None, None)
        # The feedback deadline it stated when forwarding (972号 §四) is the oracle's.
        assert filed["deadlines"][ACCEPTANCE]["due_at"] == oracle_deadline(scenario, ACCEPTANCE, received)

        # The city's node opens the case for its department, screened against the project it holds.
        dept = department(competent, scenario)
        held = wait_for_view(competent, cid, lambda view: view["event_ids"] == filed["event_ids"],
                             headers=dept, what="the forwarded case and its history")
        assert (held["stage"], held["flags"], held["screening"]) == ("routed", [], [])
        assert held["department"] == filed["department"]
        assert held["due_step"] == ACCEPTANCE
        assert held["due_at"] == held["deadlines"][ACCEPTANCE]["due_at"] == oracle_deadline(
            scenario, ACCEPTANCE, received)
        assert_sent_straight(federation, scenario, [*filed["record_ids"], *filed["event_ids"]])

        # Only the competent node acts: the county refuses even the competent department's token.
        refused = act(filing, department(filing, scenario), cid, 403, action="accept")
        assert refused["code"] == NOT_COMPETENT
        other = competent.headers("department", subject=f"{scenario.project_region}.JT",
                                  jurisdiction=scenario.project_region)
        assert act(competent, other, cid, 403, action="accept")["code"] == NOT_COMPETENT

        accepted = act(competent, dept, cid, action="accept")
        assert (accepted["stage"], accepted["due_step"]) == ("accepted", DECISION)
        assert accepted["due_at"] == oracle_deadline(scenario, DECISION, received)
        followed(filing, accepted, "the acceptance")
        if datetime.fromisoformat(accepted["due_at"]) <= datetime.now(CHINA_TZ):
            # Only the competent node runs the clock: its sweep marks the case, the county's skips it.
            wait_for_view(competent, cid, lambda view: view["due_status"] == "overdue", headers=dept,
                          what="the sweep of the overdue decision")
            assert current_view(filing, cid)["due_status"] == ""

        last = self.extend(federation, scenario, cid, accepted)
        investigating = act(competent, dept, cid, action="investigate", suspend_tender=True,
                            reason="调取保函平台系统日志")
        assert investigating["stage"] == "investigating"
        assert investigating["due_at"] == last["due_at"]
        followed(filing, investigating, "the investigation")
        decided = act(competent, dept, cid, action="decide", decision="upheld", handle_result="责令重新评标",
                      handle_basis="招标投标法实施条例 第七十一条")
        assert (decided["stage"], decided["due_at"]) == ("decided", None)
        followed(filing, decided, "the decision")
        act(competent, dept, cid, action="feedback", reason="处理决定书已送达投诉人并告知受理窗口")
        published = act(competent, dept, cid, action="publish")
        final = followed(filing, published, "the publication")

        extended = ["extend"] if scenario.extension_approver else []
        assert_same_history(filing, competent, final, published,
                            ["accept", *extended, "investigate", "decide", "feedback", "close"])
        assert (final["state"], final["department"]) == ("closed", published["department"])
        assert (final["flags"], final["due_at"], final["due_status"]) == ([HANDLED_ELSEWHERE], None, "")

    def extend(self, federation: LocalFederation, scenario: Scenario, cid: str,
               accepted: dict[str, Any]) -> dict[str, Any]:
        """Extend the decision deadline with the approval the rules name; where they name none, the
        extension is refused and nothing is recorded."""
        filing, competent = federation[scenario.filing], federation[scenario.competent]
        dept = department(competent, scenario)
        approver = {"name": "李主任", "role": scenario.extension_approver or "主要负责人"}
        body: dict[str, Any] = {"action": "extend", "reason": "案情复杂，需调取第三方平台数据",
                                "documents": APPROVAL, "new_amount": EXTENDED_AMOUNT, "approver": approver}
        if scenario.extension_approver is None:
            refused = act(competent, dept, cid, 422, **body)
            assert refused["code"] == "deadline.extension_not_allowed"
            assert current_view(competent, cid, dept)["sequence"] == accepted["sequence"]
            return accepted
        extended = act(competent, dept, cid, **body)
        due = oracle_deadline(scenario, DECISION, start_of(RECEIVED), EXTENDED_AMOUNT)
        assert (extended["stage"], extended["due_at"]) == ("accepted", due)
        assert extended["deadlines"][DECISION]["extended"] is True
        assert extended["extensions"] == [
            {"step": DECISION, "approved_by": scenario.extension_approver, "new_amount": EXTENDED_AMOUNT}]
        seen = followed(filing, extended, "the extension")
        assert seen["deadlines"]["stated_by_competent_node"] == {
            "action": "extend", "due_at": due, "sequence": extended["sequence"]}
        return extended

    def test_deadlines_around_the_breaks_of_2024_to_2026(
        self, federation: LocalFederation, scenario: Scenario
    ) -> None:
        filing, competent = federation[scenario.filing], federation[scenario.competent]
        dept = department(competent, scenario)
        filed = [file_complaint(filing, complaint_body(scenario, datetime.combine(day, time(16), CHINA_TZ),
                                                       section=10 + n))["complaint_id"]
                 for n, day in enumerate(AROUND_THE_BREAKS)]
        for cid, day in zip(filed, AROUND_THE_BREAKS, strict=True):
            held = wait_for_view(competent, cid, lambda _: True, headers=dept, what="the forwarded case")
            assert held["deadlines"][ACCEPTANCE]["due_at"] == oracle_deadline(scenario, ACCEPTANCE, day), day
            accepted = act(competent, dept, cid, action="accept")
            decision = oracle_deadline(scenario, DECISION, day)
            assert accepted["deadlines"][DECISION]["due_at"] == accepted["due_at"] == decision, day
            assert make_up_workdays(day, date.fromisoformat(decision[:10])), day  # the table is meaningful
            followed(filing, accepted, f"the acceptance of the complaint received {day}")


def make_up_workdays(first: date, last: date) -> list[date]:
    """Weekend days the oracle counts as working days, between two dates."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() >= 5 and oracle_is_working_day(day)]


def assert_sent_straight(federation: LocalFederation, scenario: Scenario, envelope_ids: list[str]) -> None:
    """The county delivered the complaint's envelopes to the competent node itself, and keeps that
    node's signed receipt of each."""
    filing = federation[scenario.filing]
    jwks = orjson.loads(federation.jwks_file(scenario.competent).read_bytes())["keys"]
    ring = Keyring([PublicKey.from_jwk(jwk) for jwk in jwks])
    rows: dict[str, Any] = {}

    def all_delivered() -> bool:
        rows.update(deliveries(filing, envelope_ids, scenario.competent))
        return len(rows) == len(envelope_ids) and all(row.status == DELIVERED for row in rows.values())

    wait_for(all_delivered, timeout=30, what="the deliveries to the competent node",
             on_fail=lambda: str({k: v.status for k, v in rows.items()}))
    for envelope_id, row in rows.items():
        receipt = verify_receipt(row.receipt, ring)
        assert (receipt["envelope_id"], receipt["receiver"], receipt["sender"]) == (
            envelope_id, scenario.competent, scenario.filing)
        assert receipt["status"] in ("accepted", "duplicate")


def assert_same_history(filing: LocalNode, competent: LocalNode, final: dict[str, Any],
                        published: dict[str, Any], competent_actions: list[str]) -> None:
    """The same events in sequence order at both nodes: the county's receipt and routing, then the
    competent department's steps; and the competent node's last version of the complaint."""
    assert final["event_ids"] == published["event_ids"]
    events = [record(filing, event_id) for event_id in final["event_ids"]]
    assert [event["payload"]["sequence"] for event in events] == list(range(1, len(events) + 1))
    assert [(event["origin"], event["payload"]["action"]) for event in events] == [
        (filing.node_id, "receive"), (filing.node_id, "route"),
        *((competent.node_id, action) for action in competent_actions)]
    assert published["record_ids"][-1] in final["record_ids"]
    last = record(filing, published["record_ids"][-1])
    assert (last["origin"], last["payload"]["state"]) == (competent.node_id, "closed")
