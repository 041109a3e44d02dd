"""Complaint intake + routing throughput, and the deadline sweep over many open cases.

Intake runs the whole path per complaint (validation, project lookup, screening, routing, deadline,
two signed records and an event per step in the log). The sweep runs over `--cases` open cases in the
`complaints` index, of which 1 % are newly overdue (each escalated with an alert record in the log)
and 2 % due soon; the target is the sweep under 5 s on one core.

Run: .venv/bin/python -m benchmarks.bench_complaints [--intake 1000] [--cases 100000]
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from benchmarks.harness import Row, pin_to_one_core, print_table
from config.settings import Settings
from gateway.cli.setup import open_session, prepare_node
from gateway.services.auth import ROLE_SCOPES, Principal
from gateway.services.complaint_intake import file_complaint
from gateway.services.complaint_sweep import sweep_complaints
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.store.models import ComplaintCase

EXAMPLES = Path(__file__).resolve().parents[1] / "tests" / "schemas" / "examples"
COUNTY = "530621"
NOW = datetime(2025, 3, 20, 2, tzinfo=UTC)
BATCH = 500


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))
    return loaded


def complaint(n: int) -> dict[str, Any]:
    body = example("complaint")
    for name in ("complaint_id", "state", "data_timestamp", "competent_department", "accept_date",
                 "dealing_unit"):
        del body[name]
    body.update(received_at="2025-03-18T10:00:00+08:00", date_known="2025-03-14", objection_date="2025-03-15",
                objection_reply_date="2025-03-17", matter="evaluation_result",
                bid_section_code=f"{body['tender_project_code']}{n:06d}")
    return body


def intake(settings: Settings, node: NodeIdentity, n: int) -> float:
    window = Principal("bench", "source", ROLE_SCOPES["source"], node.node_id, "bench")
    with open_session(settings) as db:
        project = {"type": "tender.project", "jurisdiction": COUNTY, "payload": example("tender.project")}
        ingest_standard(db, items=[project], node=node, source_system="bench", now=NOW)
    bodies = [complaint(i) for i in range(n)]
    started = time.perf_counter()
    for start in range(0, n, BATCH):
        with open_session(settings) as db:
            for body in bodies[start : start + BATCH]:
                file_complaint(db, node=node, principal=window, body=body, now=NOW)
    return n / (time.perf_counter() - started)


def open_cases(settings: Settings, n: int) -> None:
    """`n` open cases straight into the index: 1 % past due at NOW, 2 % due within the next day."""
    payload = example("complaint")
    rows = []
    for i in range(n):
        if i % 100 == 0:
            due = NOW - timedelta(hours=1)
        elif i % 100 in (1, 2):
            due = NOW + timedelta(hours=20)
        else:
            due = NOW + timedelta(days=10 + i % 20)
        rows.append({
            "complaint_id": f"TS-{COUNTY}-2025-b{i:07d}", "jurisdiction": COUNTY, "trade_type": "工程建设",
            "stage": "routed", "department_code": f"{COUNTY}.JT", "department_kind": "交通",
            "department_region": COUNTY, "matter_key": f"{i:064x}", "received_at": NOW,
            "first_received_at": NOW, "accepted_at": None, "due_at": due, "due_step": "complaint.acceptance",
            "due_status": "", "escalated_at": None, "deadlines": {}, "pauses": [], "extensions": [],
            "flags": [], "screening": [], "payload": copy.deepcopy(payload), "version_at": NOW,
            "sequence": 2, "record_ids": [], "event_ids": [], "updated_at": NOW,
        })
    with open_session(settings) as db:
        for start in range(0, n, 10_000):
            db.execute(insert(ComplaintCase), rows[start : start + 10_000])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--intake", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    print(pin_to_one_core())
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", data_dir=Path(tmp) / "var", node={"id": "530600", "name": "bench"})
        node = prepare_node(settings)
        intake_rate = intake(settings, node, args.intake)
        open_cases(settings, args.cases)
        with open_session(settings) as db:
            started = time.perf_counter()
            result = sweep_complaints(db, node=node, now=NOW)
            sweep_seconds = time.perf_counter() - started
    print_table(f"complaints (SQLite; intake {args.intake:,}, sweep over {args.cases:,} open cases)", [
        Row("intake + routing (complaints)", intake_rate, "-", None, "-"),
        Row("sweep (open cases)", args.cases / sweep_seconds, "-", None, "< 5 s for 100,000"),
    ])
    print(f"sweep: {sweep_seconds:.2f} s; overdue {result.overdue:,} (escalated {len(result.escalated):,}, "
          f"{len(result.alert_ids):,} alerts), due soon {result.due_soon:,}")


if __name__ == "__main__":
    main()
