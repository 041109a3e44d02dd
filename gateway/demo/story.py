"""The demo in order: its named steps and `run_demo`, which the `ggzy demo` command and the tests call."""

from __future__ import annotations

from gateway.demo.cases import complaint
from gateway.demo.remote import remote
from gateway.demo.runner import DemoOptions, DemoResult, Echo, Step, run_steps
from gateway.demo.steps import CHAOS_NODE, arrivals, audit, ingest, start


def demo_steps(options: DemoOptions) -> list[Step]:
    ingest_title = "ingest the bundled samples of every source family at the counties"
    if options.chaos:
        ingest_title += f", killing {CHAOS_NODE} half-way (--chaos)"
    return [
        Step("start", "start the federation: province, city, two counties", start),
        Step("ingest", ingest_title, ingest, ("start",)),
        Step("arrivals", "records arrive verified at the city and the province, every delivery receipted",
             arrivals, ("ingest",)),
        Step("complaint", "a complaint filed at 530621 about a project of 530622, followed to its decision",
             complaint, ("ingest",)),
        Step("remote", "a remote evaluation through its 7-working-day copy", remote, ("start",)),
        Step("audit", "an auditor's full pull of the province and `ggzy verify` of every log", audit,
             ("start",)),
    ]


def run_demo(options: DemoOptions, echo: Echo) -> DemoResult:
    return run_steps(demo_steps(options), options, echo)
