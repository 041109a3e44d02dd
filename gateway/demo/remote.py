"""The demo's remote evaluation (远程异地评标): the city hosts a session with guest venues at both
counties; a guest reports misconduct at its own node; the host investigates and concludes with a
finding about that guest's expert, which owes the guest's department a copy within 7 working days
(云发改交易监督〔2020〕972号 六(十二)); the host posts the copy, and the guest node's signed receipt of
it fulfils the duty at the host.

Cross-node contract: the session travels to every guest venue's node, a guest's event to the host,
and the copy to the guest's node, whose receipt the host keeps.
"""

from __future__ import annotations

import hashlib
from typing import Any

from gateway.demo.cases import PROJECT, SECTION, WAIT, appears, checked, department_headers, digest
from gateway.demo.node import LocalNode, json_of, wait_for
from gateway.demo.runner import DemoContext, Outcome, StepFailedError
from gateway.demo.steps import CITY, LUDIAN, QIAOJIA

SESSION = "YCYD-2026-530600-0001"
INVESTIGATION = "DC-530600-2026-001"
MISCONDUCT_EXPERT = 2  # seated at the 鲁甸 venue


def expert(n: int) -> str:
    """An expert as the keyed hash the records carry (never an ID number)."""
    return "hmac-sha256:" + hashlib.sha256(f"demo-expert-{n}".encode()).hexdigest()


def venue_department(region: str, name: str) -> dict[str, str]:
    return {"name": name, "code": f"{region}.ZJ", "region_code": region, "industry": "住建"}


HOST = venue_department(CITY, "昭通市住房和城乡建设局")
GUESTS = {LUDIAN: venue_department(LUDIAN, "鲁甸县住房和城乡建设局"),
          QIAOJIA: venue_department(QIAOJIA, "巧家县住房和城乡建设局")}


def event(kind: str, when: str, dept: dict[str, str], **fields: Any) -> dict[str, Any]:
    actor = {"name": dept["name"], "department_code": dept["code"], "region_code": dept["region_code"]}
    return {"event": {"kind": kind, "occurred_at": f"2026-11-{when}:00+08:00", "actor": actor, **fields}}


def session_body() -> dict[str, Any]:
    venues = [{"venue_code": f"V{dept['region_code']}", "name": f"{dept['name']}评标室",
               "region_code": dept["region_code"], "supervisory_department": dept}
              for dept in (HOST, *GUESTS.values())]
    seats: list[dict[str, Any]] = [{"expert_id": expert(n), "venue_code": venue["venue_code"],
                                    "seat_no": f"A0{n}"} for n, venue in enumerate(venues, start=1)]
    seats[0]["is_chairman"] = True
    return {"session_id": SESSION, "tender_project_code": PROJECT, "bid_section_codes": [SECTION],
            "host": venues[0], "guests": venues[1:], "seats": seats, "status": "planned",
            "scheduled_start": "2026-11-16T09:00:00+08:00"}


def remote(ctx: DemoContext) -> Outcome:
    host, guest = ctx.fed[CITY], ctx.fed[LUDIAN]
    at_host = department_headers(host, HOST["code"])
    at_guest = department_headers(guest, GUESTS[LUDIAN]["code"])
    checked(host.post("/api/v1/remote-evaluations", session_body(), headers=at_host), f"session at {CITY}")
    base = f"/api/v1/remote-evaluations/{SESSION}"
    appears(guest, base, at_guest, f"session {SESSION} to reach the guest node {LUDIAN}")
    report = event("misconduct", "16T11:00", GUESTS[LUDIAN], expert_id=expert(MISCONDUCT_EXPERT),
                   description="专家评标期间使用手机")
    checked(guest.post(f"{base}/events", report, headers=at_guest), f"misconduct report at {LUDIAN}")
    wait_for(lambda: _has_event(host, base, at_host, "misconduct"), timeout=WAIT, interval=0.5,
             what=f"the guest's misconduct report to reach the host {CITY}")
    concluded = _investigate(host, base, at_host)
    owed = concluded.get("obligations_created", [])
    if len(owed) != 1:
        raise StepFailedError(f"the conclusion owes {owed} copies, not one to {LUDIAN}")
    letter = [{"digest": digest("调查结论.pdf"), "title": "调查结论.pdf"}]
    copy = event("copy", "18T10:00", HOST, investigation_id=INVESTIGATION, from_department=HOST,
                 to_department=GUESTS[LUDIAN], documents=letter)
    checked(host.post(f"{base}/events", copy, headers=at_host), f"copy at {CITY}")
    duty = _fulfilled(host, at_host, owed[0])
    rule = f"{duty['record'].get('rule_id', '?')}, {duty['record'].get('rule_source', '')}"
    timing = "LATE" if duty["late"] else "on time"
    details = [f"session {SESSION} hosted by {CITY} with guest venues at {LUDIAN} and {QIAOJIA}; misconduct "
               f"reported at {LUDIAN}, investigated and concluded at {CITY}",
               f"copy to {LUDIAN}: due {str(duty['due_at'])[:10]} (7 working days: {rule}); fulfilled "
               f"{str(duty['fulfilled_at'])[:19]} by {LUDIAN}'s signed receipt, {timing}"]
    return Outcome(f"copy duty met {timing} by the guest node's receipt", details,
                   {"obligation_id": duty["obligation_id"], "due_at": duty["due_at"], "late": duty["late"]})


def _has_event(node: LocalNode, path: str, headers: dict[str, str], kind: str) -> bool:
    return kind in {e.get("kind") for e in json_of(node.get(path, headers=headers)).get("events", [])}


def _investigate(host: LocalNode, base: str, headers: dict[str, str]) -> dict[str, Any]:
    """Open, find against the guest's expert, conclude: the conclusion creates the copy duty."""
    steps = (event("investigation_opened", "16T14:00", HOST, investigation_id=INVESTIGATION),
             event("investigation_finding", "16T15:00", HOST, investigation_id=INVESTIGATION,
                   expert_id=expert(MISCONDUCT_EXPERT), description="违规使用通讯工具属实"),
             event("investigation_concluded", "17T16:30", HOST, investigation_id=INVESTIGATION,
                   description="调查结束"))
    answer: dict[str, Any] = {}
    for body in steps:
        resp = host.post(f"{base}/events", body, headers=headers)
        answer = checked(resp, f"{body['event']['kind']} at {CITY}")
    return answer


def _fulfilled(host: LocalNode, headers: dict[str, str], obligation_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def met() -> bool:
        items = json_of(host.get("/api/v1/obligations", headers=headers, status="fulfilled")).get("items", [])
        found[:] = [item for item in items if item["obligation_id"] == obligation_id]
        return bool(found)

    wait_for(met, timeout=WAIT, interval=0.5, what=f"the copy duty to be fulfilled by {LUDIAN}'s receipt")
    return found[0]
