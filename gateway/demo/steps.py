"""The demo's exchange steps: start the federation, ingest the samples at the counties (with --chaos,
a county is killed half-way and restarted), follow every record to the nodes that must hold it with
the receivers' signed receipts, and audit the province as an audit body would.

Topology: the province 530000 (云南省) is the root, the city 530600 (昭通市) below it, and the counties
530621 (鲁甸县) and 530622 (巧家县) below the city. 鲁甸县 takes the provincial tender platform's and
the county centres' exports, 巧家县 the Credit China and construction-market ones.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gateway.demo import stores
from gateway.demo.launcher import DepartmentSpec, LaunchOptions, NodeSpec, launch
from gateway.demo.ledger import holders
from gateway.demo.node import json_of, wait_for
from gateway.demo.runner import DemoContext, Outcome, StepFailedError
from gateway.demo.samples import FamilyTally, Upload, uploads

PROVINCE, CITY, LUDIAN, QIAOJIA = "530000", "530600", "530621", "530622"
TOPOLOGY = (NodeSpec(PROVINCE, "云南省"), NodeSpec(CITY, "昭通市", PROVINCE),
            NodeSpec(LUDIAN, "鲁甸县", CITY), NodeSpec(QIAOJIA, "巧家县", CITY))
COUNTIES = (LUDIAN, QIAOJIA)
INTAKE = {LUDIAN: ("tender-platform", "county-center"), QIAOJIA: ("credit-china", "construction-market")}
CHAOS_NODE = LUDIAN
DEPARTMENTS = (
    DepartmentSpec(f"{QIAOJIA}.ZJ", "巧家县住房和城乡建设局", QIAOJIA, "住建", QIAOJIA),
    DepartmentSpec(f"{CITY}.ZJ", "昭通市住房和城乡建设局", CITY, "住建", CITY),
    DepartmentSpec(f"{LUDIAN}.ZJ", "鲁甸县住房和城乡建设局", LUDIAN, "住建", LUDIAN),
)
WORKFLOW_STEPS = ("complaint", "remote")
_VERIFIED = re.compile(r"records\s+(\d+) verified against checkpoint size (\d+)")


def start(ctx: DemoContext) -> Outcome:
    options = ctx.options
    workflows = not options.only or any(key in options.only for key in WORKFLOW_STEPS)
    launch_options = LaunchOptions(options.workdir / "federation", postgres_url=options.postgres_url,
                                   broker_url=options.broker_url,
                                   departments=DEPARTMENTS if workflows else ())
    ctx.federation = ctx.stack.enter_context(launch(TOPOLOGY, launch_options))
    store = "PostgreSQL, a database per node" if options.postgres_url else "SQLite, a file per node"
    relay = stores.broker_kind(options.broker_url)
    details = [f"{spec.node_id} {spec.name:<4} {ctx.fed[spec.node_id].base}  parent {spec.parent or '-'}"
               for spec in TOPOLOGY]
    details.append(f"directory signed by {PROVINCE}, pinned and fetched by the others; "
                   f"work dir {options.workdir}")
    return Outcome(f"{len(TOPOLOGY)} nodes; {store}; {relay}", details,
                   {"ports": {node_id: node.port for node_id, node in ctx.fed.nodes.items()}, "store": store,
                    "relay": relay})


def ingest(ctx: DemoContext) -> Outcome:
    """Every sample file to the ingest API of its county; with chaos, a county dies half-way."""
    plan = {county: [u for family in INTAKE[county] for u in uploads(family)] for county in COUNTIES}
    tallies: dict[str, FamilyTally] = {}
    chaos: list[str] = []
    if ctx.options.chaos:
        files = plan[CHAOS_NODE]
        cut = len(files) // 2
        _post(ctx, CHAOS_NODE, files[:cut], tallies)
        chaos = _kill_and_restart(ctx, CHAOS_NODE, files, cut, plan, tallies)
    else:
        for county in COUNTIES:
            _post(ctx, county, plan[county], tallies)
    problems = [line for tally in tallies.values() for line in tally.unexpected]
    if problems:
        raise StepFailedError("uploads not answered as expected:\n" + "\n".join(problems[:20]))
    quarantine = _quarantine(ctx)
    accepted = {county: ctx.log(county) for county in COUNTIES}
    for view in accepted.values():
        view.refresh()
    originated = [env for view in accepted.values() for env in view.originated().values()]
    by_family = Counter(env["adapter"].split("@")[0] for env in originated if env["type"] != "alert")
    alerts = sum(1 for env in originated if env["type"] == "alert")
    details = []
    for family, tally in sorted(tallies.items()):
        reasons = quarantine.get(family, Counter())
        codes = ", ".join(f"{code}×{n}" if n > 1 else code for code, n in sorted(reasons.items()))
        good = tally.files - tally.bad_files
        details.append(f"{family:<20} {good} files and {tally.bad_files} bad ones → "
                       f"{by_family.get(family, 0)} records accepted, {tally.duplicates} duplicates, "
                       f"{sum(reasons.values())} quarantined ({codes or 'none'})")
    if alerts:
        details.append(f"{alerts} alerts raised while ingesting (signed records too, they travel alike)")
    details.extend(chaos)
    total = {county: len(view.originated()) for county, view in accepted.items()}
    ctx.state["accepted"] = {county: dict(view.originated()) for county, view in accepted.items()}
    summary = ", ".join(f"{n} records accepted at {county}" for county, n in total.items())
    quarantined = sum(sum(c.values()) for c in quarantine.values())
    return Outcome(f"{summary}; {quarantined} items quarantined with reasons", details,
                   {"accepted": total, "by_family": dict(by_family), "alerts": alerts,
                    "quarantined": quarantined,
                    "quarantine_reasons": {f: dict(c) for f, c in quarantine.items()},
                    "duplicates": sum(t.duplicates for t in tallies.values())})


def _post(ctx: DemoContext, county: str, files: list[Upload], tallies: dict[str, FamilyTally]) -> None:
    node = ctx.fed[county]
    for upload in files:
        answer = node.ingest_file(upload.family, upload.path)
        tallies.setdefault(upload.family, FamilyTally()).add(upload, answer)


def _kill_and_restart(ctx: DemoContext, county: str, files: list[Upload], cut: int,
                      plan: dict[str, list[Upload]], tallies: dict[str, FamilyTally]) -> list[str]:
    """SIGKILL the county right after an upload (its deliveries in flight), let the other county go on
    meanwhile, restart it, let the source system send its last upload again, then the rest."""
    ctx.fed.kill(county)
    killed = time.monotonic()
    others = [c for c in COUNTIES if c != county]
    for other in others:
        _post(ctx, other, plan[other], tallies)
    ctx.fed.restart(county)
    down = time.monotonic() - killed
    resent = files[cut - 1]
    before = tallies[resent.family].duplicates
    _post(ctx, county, [resent], tallies)
    again = tallies[resent.family].duplicates - before
    tallies[resent.family].files -= 1  # the re-sent file is one file, not two
    tallies[resent.family].bad_files -= resent.bad
    _post(ctx, county, files[cut:], tallies)
    ctx.state["chaos"] = {"node": county, "after_files": cut, "down_seconds": round(down, 1)}
    return [f"chaos: {county} killed with SIGKILL after {cut}/{len(files)} files, restarted after "
            f"{down:.1f} s while {', '.join(others)} went on; the source re-sent its last upload "
            f"({resent.label}): {again} duplicate(s) answered, none logged twice"]


def _quarantine(ctx: DemoContext) -> dict[str, Counter[str]]:
    """Open quarantine items per source family and first reason code, from each county's API."""
    found: dict[str, Counter[str]] = {}
    for county in COUNTIES:
        node = ctx.fed[county]
        offset = 0
        while True:
            page = json_of(node.get("/api/v1/quarantine", headers=node.headers("admin"), limit=1000,
                                    offset=offset)).get("items", [])
            for item in page:
                code = (item.get("reasons") or [{}])[0].get("code", "?")
                found.setdefault(item["adapter"].split("@")[0], Counter())[code] += 1
            if len(page) < 1000:
                break
            offset += len(page)
    return found


def arrivals(ctx: DemoContext) -> Outcome:
    """Wait until every record accepted at a county is held, once, by every node the routing rules send
    it to, and every delivery of every node is receipted by its receiver."""
    directory = ctx.fed.directory()
    accepted: dict[str, dict[str, Any]] = {eid: env for by_county in ctx.state["accepted"].values()
                                           for eid, env in by_county.items()}
    expected: dict[str, set[str]] = {node_id: set() for node_id in ctx.fed.nodes}
    for envelope_id, envelope in accepted.items():
        for node_id in holders(envelope, directory):
            expected[node_id].add(envelope_id)
    book = ctx.book()

    def settled() -> bool:
        if not all(ctx.log(n).refresh() and ctx.log(n).holds(ids) for n, ids in expected.items()):
            return False
        return all(book.count(node_id).settled for node_id in ctx.fed.nodes)

    def progress() -> str:
        return "; ".join(f"{n}: {len(ids & ctx.log(n).seen.keys())}/{len(ids)} held, "
                         f"{book.count(n).pending} deliveries pending" for n, ids in expected.items())

    wait_for(settled, timeout=ctx.options.arrival_timeout, interval=0.5, on_fail=progress,
             what="every record at the nodes that must hold it and every delivery receipted")
    details: list[str] = []
    figures: dict[str, dict[str, int]] = {"held": {}, "receipts": {}, "duplicates": {}}
    stayed = sum(1 for env_id in accepted if {accepted[env_id]["origin"]} == _holders_of(env_id, expected))
    for node_id in ctx.fed.nodes:
        view, count = ctx.log(node_id), book.count(node_id, directory)
        duplicates = view.duplicates()
        if duplicates or count.failed or count.problems:
            raise StepFailedError(f"{node_id}: {len(duplicates)} envelope ids logged twice {duplicates[:3]}, "
                                  f"{count.failed} deliveries failed, receipts: {count.problems[:3]}")
        figures["held"][node_id] = len(expected[node_id])
        figures["receipts"][node_id] = count.receipts_verified
        figures["duplicates"][node_id] = len(duplicates)
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(count.receipt_statuses.items()))
        details.append(f"{node_id} log {view.size:>4} entries, {len(expected[node_id]):>4} of the counties' "
                       f"records held once each; sent {count.delivered} deliveries, "
                       f"{count.receipts_verified} signed receipts verified ({statuses or 'none'})")
    ctx.state["expected"] = expected
    details.append(f"{stayed} records of regions no node of this federation covers stay at the county "
                   f"that took them (Henan, Hubei, …)")
    return Outcome(f"{len(accepted)} county records settled: {figures['held'][CITY]} at {CITY}, "
                   f"{figures['held'][PROVINCE]} at {PROVINCE}; {sum(figures['receipts'].values())} receipts "
                   f"verified; 0 duplicates", details, figures)


def _holders_of(envelope_id: str, expected: dict[str, set[str]]) -> set[str]:
    return {node_id for node_id, ids in expected.items() if envelope_id in ids}


def audit(ctx: DemoContext) -> Outcome:
    """An audit body's full pull of the province feed, then `ggzy verify` of every node's log."""
    province = ctx.fed[PROVINCE]
    auditor = province.token("auditor", "records:read", "pii:read", subject="云南省审计厅",
                             jurisdiction=PROVINCE)
    lines = province.feed(headers={"Authorization": f"Bearer {auditor}"})
    types = Counter(line["envelope"]["type"] for line in lines)
    if [line["index"] for line in lines] != list(range(len(lines))):
        raise StepFailedError("the province feed is not dense from index 0")
    with ThreadPoolExecutor(max_workers=len(ctx.fed.nodes)) as pool:  # each check is its own process
        runs = {node_id: pool.submit(ctx.fed.verify, node_id, auditor if node_id == PROVINCE else None)
                for node_id in ctx.fed.nodes}
    results = {node_id: run.result() for node_id, run in runs.items()}
    details, verified = [], {}
    for node_id, done in results.items():
        match = _VERIFIED.search(done.stdout)
        if done.returncode != 0 or match is None:
            raise StepFailedError(f"ggzy verify of {node_id} exited {done.returncode}:\n"
                                  f"{done.stdout}{done.stderr}")
        verified[node_id] = int(match.group(1))
        details.append(f"{node_id} ggzy verify: {match.group(1)} records, every signature, the order, "
                       f"the root and the checkpoint: OK")
    top = ", ".join(f"{name} {n}" for name, n in types.most_common(6))
    details.insert(0, f"auditor pull of {PROVINCE}: {len(lines)} lines, dense from index 0 ({top}, …); the "
                      f"pull itself is logged as access.event records")
    return Outcome(f"{len(lines)} records pulled; {sum(verified.values())} records verified on "
                   f"{len(verified)} logs: OK", details, {"pulled": len(lines), "verified": verified})
