"""The demo's complaint across nodes: filed at one county about a project of the other, followed to
its decision (and the helpers the workflow steps share).

Cross-node contract: a complaint record travels to the node of its competent department, which holds
the case under the same complaint_id; the department acts there, and every status change travels back
to the filing node, whose GET /api/v1/complaints/{id} then shows the same stage.

Dates are those of the sample data (the 巧家 school tender's candidate list was published on
2025-09-10), so the deadlines fall in years the working-day calendar covers.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from gateway.demo.node import LocalNode, json_of, wait_for
from gateway.demo.runner import DemoContext, Outcome, StepFailedError
from gateway.demo.steps import LUDIAN, QIAOJIA

# 巧家县白鹤滩镇移民安置点配套学校建设项目施工招标 (tender-platform sample 05, region 530622)
PROJECT = "A015306222508140005001"
SECTION = f"{PROJECT}001"
COMPLAINANT = {"name": "昆明滇中路桥工程有限公司", "code_type": "uscc", "code": "915301002194184525",
               "role": "投标人", "region_code": "530100", "address": "云南省昆明市盘龙区北京路1088号",
               "phone": "0871-65551234"}
WAIT = 120.0  # seconds for a record to reach another node on a loaded machine


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def checked(resp: httpx.Response, what: str, *statuses: int) -> dict[str, Any]:
    if resp.status_code not in (statuses or (200, 201)):
        raise StepFailedError(f"{what}: HTTP {resp.status_code} {resp.text[:400]}")
    return json_of(resp)


def department_headers(node: LocalNode, code: str) -> dict[str, str]:
    """A department's token: subject its code `<region>.<kind>`, jurisdiction its region."""
    return node.headers("department", subject=code, jurisdiction=code.split(".")[0])


def appears(node: LocalNode, path: str, headers: dict[str, str], what: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def there() -> bool:
        try:
            resp = node.get(path, headers=headers)
        except httpx.TransportError:
            return False
        if resp.status_code == 200:
            found.update(json_of(resp))
        return resp.status_code == 200

    wait_for(there, timeout=WAIT, interval=0.5, what=what)
    return found


def complaint(ctx: DemoContext) -> Outcome:
    filing, competent = ctx.fed[LUDIAN], ctx.fed[QIAOJIA]
    listing = checked(filing.get("/api/v1/records", type="tender.project", jurisdiction=QIAOJIA),
                       f"tender projects of {QIAOJIA} at {LUDIAN}")
    projects = [item["payload"] for item in listing.get("items", []) if item["payload"].get(
        "tender_project_code") == PROJECT]
    if not projects:
        raise StepFailedError(f"{LUDIAN} does not hold the tender project {PROJECT} of {QIAOJIA}")
    project = projects[-1]
    case = checked(filing.post("/api/v1/complaints", _complaint_body(project),
                                headers=filing.headers("source", subject="鲁甸县公共资源交易中心投诉窗口")),
                    f"filing at {LUDIAN}")
    complaint_id, department = case["complaint_id"], (case.get("department") or {}).get("code", "")
    if not department.startswith(QIAOJIA):
        raise StepFailedError(f"routed to {department or 'no department'}, not a department of {QIAOJIA}")
    details = [f"filed at {LUDIAN} as {complaint_id}; 属地管理、分类负责 → {department} "
               f"({case['department'].get('name', '')}); screening: "
               f"{', '.join(f['code'] for f in case.get('screening', [])) or 'nothing found'}"]
    path = f"/api/v1/complaints/{complaint_id}"
    officer = department_headers(competent, department)
    appears(competent, path, officer, f"complaint {complaint_id} to reach {QIAOJIA}")
    checked(competent.post(f"{path}/actions", {"action": "accept", "reason": "投诉材料齐全，予以受理"},
                            headers=officer), f"accept at {QIAOJIA}")
    decided = checked(competent.post(f"{path}/actions", {
        "action": "decide", "decision": "partly_upheld", "handle_result": "责令招标人重新组织评标",
        "handle_basis": "招标投标法实施条例 第七十一条"}, headers=officer), f"decide at {QIAOJIA}")
    details.append(f"{QIAOJIA} holds the case; {department} accepted and decided: stage {decided['stage']}")
    for step, deadline in sorted({**case.get("deadlines", {}), **decided.get("deadlines", {})}.items()):
        ceiling_rule = deadline.get("ceiling_rule_id")
        stricter = deadline.get("ceiling_due_at") and ceiling_rule != deadline.get("rule_id")
        ceiling = f"; legal ceiling {deadline['ceiling_due_at'][:10]} ({deadline['ceiling_source']})" \
            if stricter else ""
        due = str(deadline.get("due_at", "?"))[:10]
        details.append(f"{step}: due {due} by {deadline.get('rule_id', '?')} "
                       f"({deadline.get('source', deadline.get('message', ''))}){ceiling}")
    reader = filing.reader_headers()
    wait_for(lambda: json_of(filing.get(path, headers=reader)).get("stage") == decided["stage"], timeout=WAIT,
             interval=0.5, what=f"the decision on {complaint_id} to reach the filing node {LUDIAN}")
    details.append(f"{LUDIAN} (filing node) shows the same stage: {decided['stage']}")
    return Outcome(f"{complaint_id}: filed at {LUDIAN}, decided at {QIAOJIA} by {department}", details,
                   {"complaint_id": complaint_id, "department": department, "stage": decided["stage"],
                    "deadlines": decided.get("deadlines", {})})


def _complaint_body(project: dict[str, Any]) -> dict[str, Any]:
    agency = project.get("tender_agency") or {}
    respondents = [{**project["tenderer"], "address": "云南省昭通市巧家县", "phone": "0870-7121234"}]
    if agency.get("code"):
        respondents.append({**agency, "phone": "0874-3125678"})
    return {
        "received_at": "2025-09-15T10:00:00+08:00", "channel": "in_person",
        "trade_type": project["trade_type"],
        "region_code": project["region_code"], "complainant": COMPLAINANT, "standing": "bidder",
        "respondents": respondents, "tender_project_code": PROJECT,
        "tender_project_name": project["tender_project_name"], "bid_section_code": SECTION,
        "facts": "评标委员会对我公司技术标评分畸低，排名与综合得分不符。", "requests": ["责令重新评标"],
        "grounds": "《中华人民共和国招标投标法实施条例》第五十一条", "leads": "评标录像可证明评分过程",
        "evidence": [{"digest": digest("异议答复函.pdf"), "title": "异议答复函.pdf"}],
        "letter": {"digest": digest("投诉书.pdf"), "title": "投诉书.pdf", "media_type": "application/pdf"},
        "date_known": "2025-09-10", "objection_date": "2025-09-11", "objection_reply_date": "2025-09-12",
        "matter": "evaluation_result",
    }
