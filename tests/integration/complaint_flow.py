"""A complaint's journey across a local federation, for the end-to-end tests: the scenarios, the calls
a complaint window and a department make, what a node holds, and an independent deadline oracle.

A scenario is one federation (`gateway.demo.launcher` topology) with a filing county under one city
and the node of the project's city under another; the complaint about the project is filed at the
county, which does not hold the project. The oracle counts working days with the `holidays` package
(never schemas.workdays) for the amounts of the rule files under config/deadlines, read here as plain
JSON: the strictest rule of the project's region and its ancestors wins, as the rules' README says.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import CONFIG_DIR
from gateway.demo.launcher import LocalNode, NodeSpec, wait_for
from gateway.store.engine import make_engine
from gateway.store.models.exchange import Delivery
from schemas.deadlines import CHINA_TZ
from tests.gateway.conftest import example

COMPLAINTS = "/api/v1/complaints"
ACCEPTANCE, DECISION = "complaint.acceptance", "complaint.decision"
TRADE_TYPE, INDUSTRY, DEPARTMENT = "工程建设", "住建", "ZJ"
PROJECT_NAME = "城区排水管网改造工程施工招标"
# Seconds a record may take from one node to another on a busy machine (the relay retries in seconds).
TRAVEL = 30.0
# `holidays` extrapolates years after its data without their make-up workdays: only these are used.
ORACLE_YEARS = range(2024, 2027)
_ORACLE = holidays.China(years=ORACLE_YEARS)
Headers = dict[str, str]


@dataclass(frozen=True)
class Scenario:
    """A federation, the county where the complaint is filed, and the project's city node and region."""

    name: str
    topology: tuple[NodeSpec, ...]
    filing: str
    competent: str
    project_region: str
    project_code: str
    # The approver the decision rule names, when it may be extended at all (config/deadlines).
    extension_approver: str | None

    @property
    def department_code(self) -> str:
        return f"{self.project_region}.{DEPARTMENT}"


YUNNAN = Scenario(
    name="yunnan",
    topology=(NodeSpec("530000", "云南省节点"), NodeSpec("530600", "昭通市节点", "530000"),
              NodeSpec("530621", "鲁甸县节点", "530600"), NodeSpec("530300", "曲靖市节点", "530000")),
    filing="530621", competent="530300", project_region="530302",
    project_code="A015303022609010001001", extension_approver=None,
)
# 麻城 (421181) is the one region whose decision rule may be extended (麻公管委〔2022〕2号, 监管办主要负责人);
# it has no node of its own, so the node of 黄冈市 covers it, as 曲靖市 covers 麒麟区 above.
HUBEI = Scenario(
    name="hubei",
    topology=(NodeSpec("420000", "湖北省节点"), NodeSpec("420200", "黄石市节点", "420000"),
              NodeSpec("420222", "阳新县节点", "420200"), NodeSpec("421100", "黄冈市节点", "420000")),
    filing="420222", competent="421100", project_region="421181",
    project_code="A014211812609010001001", extension_approver="监管办主要负责人",
)


# The independent oracle ------------------------------------------------------------------------------

def oracle_is_working_day(day: date) -> bool:
    if day.year not in ORACLE_YEARS:
        raise ValueError(f"the oracle has no data for {day.year}")
    return bool(_ORACLE.is_working_day(day))


def oracle_add_workdays(start: date, amount: int) -> date:
    """The `amount`-th working day after `start` (the start day excluded), by `holidays.China`."""
    day = start
    while amount:
        day += timedelta(days=1)
        amount -= oracle_is_working_day(day)
    return day


def rule_amount(step: str, region: str, trade_type: str = TRADE_TYPE, *, on: date) -> int:
    """The working days the strictest rule in force gives for `step` in `region` (rule files as data)."""
    amounts = []
    for path in sorted((CONFIG_DIR / "deadlines").glob("*.json")):
        for rule in json.loads(path.read_text("utf-8"))["rules"]:
            scope = rule["jurisdiction_region_code"]
            if (rule["procedure_step"], rule["unit"]) != (step, "working_day"):
                continue
            if rule["trade_type"] not in (trade_type, "*") or not _covers(scope, region):
                continue
            if not _in_force(rule, on):
                continue
            amounts.append(int(rule["amount"]))
    if not amounts:
        raise LookupError(f"no working-day rule times {step} in {region}")
    return min(amounts)


def oracle_due_at(start: date, amount: int) -> str:
    """The due time a node states for a period ending at 24:00 of its last working day."""
    last = oracle_add_workdays(start, amount)
    return datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ).isoformat()


def _covers(scope: str, region: str) -> bool:
    if scope == "000000":
        return True
    significant = scope.rstrip("0")
    significant += "0" * (len(significant) % 2)  # whole levels: 53 / 5303 / 530302
    return region.startswith(significant)


def _in_force(rule: Mapping[str, Any], on: date) -> bool:
    start, end = rule.get("effective_from"), rule.get("effective_to")
    started = start is None or date.fromisoformat(start) <= on
    return started and (end is None or on <= date.fromisoformat(end))


# What the window files and the department does ---------------------------------------------------------

def project_item(scenario: Scenario) -> dict[str, Any]:
    """The tender.project the complaint is about, as the city's source system sends it."""
    payload = copy.deepcopy(example("tender.project"))
    payload.update(tender_project_code=scenario.project_code, region_code=scenario.project_region,
                   tender_project_industries_type=INDUSTRY, tender_project_name=PROJECT_NAME)
    payload["tenderer"] = {**payload["tenderer"], "region_code": scenario.project_region}
    return {"type": "tender.project", "jurisdiction": scenario.project_region, "payload": payload}


def complaint_body(scenario: Scenario, received: datetime, *, section: int = 1) -> dict[str, Any]:
    """A complete 投诉书 about the scenario's project (one matter per section), received at `received`;
    known three days before, its 异议 answered the day before, so it is in time."""
    body = copy.deepcopy(example("complaint"))
    for name in ("complaint_id", "state", "data_timestamp", "competent_department", "accept_date",
                 "dealing_unit"):
        del body[name]
    day = received.astimezone(CHINA_TZ).date()
    before = {n: (day - timedelta(days=n)).isoformat() for n in (1, 2, 3)}
    body.update(
        received_at=received.isoformat(), region_code=scenario.project_region,
        tender_project_code=scenario.project_code, bid_section_code=f"{scenario.project_code}{section:03d}",
        date_known=before[3], objection_date=before[2], objection_reply_date=before[1],
        matter="evaluation_result", tender_project_name=PROJECT_NAME,
        industry=INDUSTRY,  # the county does not hold the project: the window names its trade
    )
    return body


def window(node: LocalNode) -> Headers:
    return node.headers("source", subject="complaint-window")


def department(node: LocalNode, scenario: Scenario) -> Headers:
    """The competent department's token, issued by `node`: subject the code, jurisdiction its region."""
    return node.headers("department", subject=scenario.department_code, jurisdiction=scenario.project_region)


def file_complaint(node: LocalNode, body: Mapping[str, Any]) -> dict[str, Any]:
    resp = node.post(COMPLAINTS, body, headers=window(node))
    assert resp.status_code == 201, resp.text
    view: dict[str, Any] = resp.json()
    return view


def act(node: LocalNode, who: Headers, complaint_id: str, status: int = 200, **body: Any) -> dict[str, Any]:
    resp = node.post(f"{COMPLAINTS}/{complaint_id}/actions", body, headers=who)
    assert resp.status_code == status, resp.text
    result: dict[str, Any] = resp.json()
    return result


def view_of(node: LocalNode, complaint_id: str, headers: Headers | None = None) -> dict[str, Any] | None:
    """The node's view of the case, None while it holds none."""
    resp = node.get(f"{COMPLAINTS}/{complaint_id}", headers=headers)
    if resp.status_code == 404:
        return None
    resp.raise_for_status()
    view: dict[str, Any] = resp.json()
    return view


def current_view(node: LocalNode, complaint_id: str, headers: Headers | None = None) -> dict[str, Any]:
    view = view_of(node, complaint_id, headers)
    assert view is not None, f"{node.node_id} holds no complaint {complaint_id}"
    return view


def wait_for_view(node: LocalNode, complaint_id: str, condition: Callable[[dict[str, Any]], bool], *,
                  what: str, headers: Headers | None = None, timeout: float = TRAVEL) -> dict[str, Any]:
    """Poll the node's view until `condition` holds; the last view seen is in the timeout's message."""
    seen: list[dict[str, Any] | None] = [None]

    def holds() -> bool:
        seen[0] = view_of(node, complaint_id, headers)
        return seen[0] is not None and condition(seen[0])

    wait_for(holds, timeout=timeout, what=f"{what} at {node.node_id}",
             on_fail=lambda: f"last view {json.dumps(seen[0], ensure_ascii=False)[:1500]}")
    assert seen[0] is not None
    return seen[0]


def record(node: LocalNode, envelope_id: str) -> dict[str, Any]:
    resp = node.get(f"/api/v1/records/{envelope_id}")
    resp.raise_for_status()
    envelope: dict[str, Any] = resp.json()
    return envelope


def deliveries(node: LocalNode, envelope_ids: list[str], target: str) -> dict[str, Delivery]:
    """The node's delivery rows of the envelopes to `target` (its outbox), by envelope id."""
    engine = make_engine(node.db_url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            rows = db.scalars(select(Delivery).where(Delivery.envelope_id.in_(envelope_ids),
                                                     Delivery.target_node == target))
            return {row.envelope_id: row for row in rows}
    finally:
        engine.dispose()
