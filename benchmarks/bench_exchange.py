"""Exchange benchmark: envelopes delivered and receipted between two nodes on loopback, and the latency
from ingest at the county to presence in the province log, through the city, at an offered load.

Nodes are real `ggzy serve` processes (tests/integration/federation.py), each with its own SQLite
database and its in-process relay (or PostgreSQL / Celery on Redis when GGZY_TEST_POSTGRES_URL /
GGZY_TEST_REDIS_URL are set, as in the tests).

Throughput: the county holds `--records` envelopes for the province, which is down; the province
comes back and the county's relay drains the backlog. Measured from the first receipt to the last,
as deliveries marked DELIVERED by a verified receipt in the county's database.

Latency: records are ingested at the county at `--rate` per second (a batch every 100 ms) for
`--seconds`; the latency of each is the province's append time minus the county's, both read from
their logs (one clock: the same machine).

Run: .venv/bin/python -m benchmarks.bench_exchange [--records 10000] [--rate 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.harness import Row, print_table
from gateway.store.engine import make_engine
from gateway.store.models import LogLeaf
from gateway.store.models.exchange import DELIVERED, Delivery
from tests.gateway.conftest import award
from tests.integration.federation import COUNTY, PROVINCE, FederationNode, running_federation, wait_for

INGEST_BATCH = 2000


def records(start: int, count: int) -> list[dict[str, Any]]:
    base = award(0)
    items = []
    for n in range(start, start + count):
        item = copy.deepcopy(base)
        item["payload"]["bid_section_code"] = f"{base['payload']['tender_project_code']}{n:07d}"
        items.append(item)
    return items


def delivered(node: FederationNode, target: str) -> int:
    engine = make_engine(node.db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Delivery).where(
                Delivery.target_node == target, Delivery.status == DELIVERED)).scalar_one())
    finally:
        engine.dispose()


def append_times(node: FederationNode, ids: Sequence[str]) -> dict[str, datetime]:
    engine = make_engine(node.db_url)
    found: dict[str, datetime] = {}
    try:
        with engine.connect() as conn:
            for start in range(0, len(ids), 900):
                rows = conn.execute(select(LogLeaf.envelope_id, LogLeaf.received_at)
                                    .where(LogLeaf.envelope_id.in_(ids[start : start + 900])))
                found.update((row.envelope_id, row.received_at) for row in rows)
    finally:
        engine.dispose()
    return found


def throughput(tmp: Path, n: int) -> tuple[float, float]:
    """(envelopes/s delivered and receipted county → province, envelopes/s ingested at the county)."""
    with running_federation(tmp / "pair", members=(PROVINCE, COUNTY)) as federation:
        county, province = federation[COUNTY], federation[PROVINCE]
        province.stop()
        started = time.perf_counter()
        for start in range(0, n, INGEST_BATCH):
            county.ingest(records(start, min(INGEST_BATCH, n - start)))
        ingest_rate = n / (time.perf_counter() - started)
        province.start()
        wait_for(lambda: delivered(county, PROVINCE) > 0, timeout=120, what="the first receipt",
                 interval=0.05)
        first_at, first = time.perf_counter(), delivered(county, PROVINCE)
        wait_for(lambda: delivered(county, PROVINCE) >= n, timeout=600, what=f"{n} receipts", interval=0.1)
        rate = (n - first) / (time.perf_counter() - first_at)
        held = province.envelope_ids()
        if len(held) != n:
            raise AssertionError(f"the province holds {len(held)} of {n} records")
    return rate, ingest_rate


def latency(tmp: Path, rate: int, seconds: int) -> tuple[float, float, float, int]:
    """(p50 s, p99 s, max s, records) from ingest at the county to the province log, via the city."""
    with running_federation(tmp / "chain") as federation:
        county, province = federation[COUNTY], federation[PROVINCE]
        per_tick = max(1, rate // 10)
        ids: list[str] = []
        lag: list[float] = []

        def offer() -> None:
            started = time.monotonic()
            for tick in range(seconds * 10):
                due = started + tick / 10
                time.sleep(max(0.0, due - time.monotonic()))
                lag.append(time.monotonic() - due)
                result = county.ingest(records(tick * per_tick, per_tick))
                ids.extend(r["id"] for r in result["results"] if r["status"] == "accepted")

        sender = threading.Thread(target=offer)
        sender.start()
        sender.join()
        wait_for(lambda: len(append_times(province, ids)) == len(ids), timeout=300,
                 what=f"{len(ids)} records at the province", interval=0.5)
        at_county, at_province = append_times(county, ids), append_times(province, ids)
        if max(lag) > 1.0:
            print(f"note: the load generator fell {max(lag):.1f} s behind its schedule")
    delays = sorted((at_province[i] - at_county[i]).total_seconds() for i in ids)
    p50 = statistics.median(delays)
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    return p50, p99, delays[-1], len(delays)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000, help="backlog drained for the throughput")
    parser.add_argument("--rate", type=int, default=500, help="offered load for the latency, records/s")
    parser.add_argument("--seconds", type=int, default=10, help="how long the load is offered")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        rate, ingest_rate = throughput(tmp, args.records)
        p50, p99, worst, count = latency(tmp, args.rate, args.seconds)
    print_table(
        f"Exchange benchmark: {args.records} envelopes county → province (2 processes, loopback, SQLite)",
        [Row("delivered + receipted", rate, "ingest at the county", ingest_rate, "≥ 3,000/s")],
    )
    print(f"\nLatency county → city → province at {args.rate}/s offered for {args.seconds} s "
          f"({count} records)")
    print(f"{'p50':<8} {p50 * 1000:>8,.0f} ms")
    print(f"{'p99':<8} {p99 * 1000:>8,.0f} ms   target < 2,000 ms")
    print(f"{'max':<8} {worst * 1000:>8,.0f} ms")


if __name__ == "__main__":
    main()
