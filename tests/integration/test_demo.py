"""`ggzy demo` as a smoke test: the runner the command uses, in this process, over a real federation of
four node processes (PostgreSQL databases and Celery workers on Redis when the test tier provides
them). The plain run and the --chaos run (a county SIGKILLed half-way through its ingest) both end
with every record held once by every node the routing rules send it to, receipted and verified.

The runner's own rules (skipping what a failed step's successors need, the exit code) and the
command's refusals are checked without processes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.main import app
from gateway.demo.runner import DemoOptions, DemoResult, Outcome, Step, StepFailedError, run_steps
from gateway.demo.steps import CHAOS_NODE, CITY, COUNTIES, PROVINCE
from gateway.demo.story import run_demo
from tests.integration.federation import POSTGRES_ENV, REDIS_ENV

# What the bundled samples give (config/samples/*/README.md); alerts raised on ingest may add to it.
SAMPLE_RECORDS = {"tender-platform": 157, "county-center": 190, "credit-china": 62, "construction-market": 86}
BAD_FILES = 39
SOME_REASONS = {"xml.external_entity", "xml.entity_expansion", "encoding.undetectable", "file.empty",
                "identifier.uscc.check_digit", "credit.no_jurisdiction", "county.region_unknown"}


def demo(tmp_path: Path, *, chaos: bool) -> tuple[DemoResult, list[str]]:
    lines: list[str] = []
    options = DemoOptions(tmp_path, postgres_url=os.environ.get(POSTGRES_ENV, ""),
                          broker_url=os.environ.get(REDIS_ENV, ""), chaos=chaos, only=("arrivals", "audit"))
    return run_demo(options, lines.append), lines


def assert_settled(result: DemoResult, lines: list[str]) -> None:
    """Every county record held exactly once by every node it must reach, receipted and verified."""
    assert result.exit_code == 0, result.failed
    ingest, arrivals, audit = (result.outcomes[key].figures for key in ("ingest", "arrivals", "audit"))
    for family, records in SAMPLE_RECORDS.items():
        assert ingest["by_family"][family] >= records, family
    assert ingest["quarantined"] >= BAD_FILES
    reasons = {code for by_code in ingest["quarantine_reasons"].values() for code in by_code}
    assert reasons >= SOME_REASONS
    context = result.context
    expected = context.state["expected"]
    accepted = {eid for by_county in context.state["accepted"].values() for eid in by_county}
    assert len(accepted) == sum(ingest["accepted"].values()) >= sum(SAMPLE_RECORDS.values())
    assert len(accepted) == sum(ingest["by_family"].values()) + ingest["alerts"]
    for node_id, view in context.logs.items():
        assert expected[node_id] <= view.seen.keys(), node_id
        assert all(view.seen[eid] == 1 for eid in expected[node_id]), node_id
        assert view.duplicates() == [], node_id
        assert arrivals["duplicates"][node_id] == 0
    province_ids = expected[PROVINCE]
    at_city = accepted & context.logs[CITY].seen.keys()
    assert at_city <= context.logs[PROVINCE].seen.keys()  # the province holds all the city holds
    assert len(at_city) < len(province_ids) < len(accepted)  # and more; some stay outside the federation
    assert sum(arrivals["receipts"].values()) > len(province_ids)
    assert set(audit["verified"]) == {PROVINCE, CITY, *COUNTIES}
    assert audit["verified"][PROVINCE] >= len(province_ids)
    assert lines[-1].startswith("demo succeeded")


@pytest.mark.slow
class TestDemoRuns:
    def test_the_demo_settles_everything_once_verified(self, tmp_path: Path) -> None:
        result, lines = demo(tmp_path, chaos=False)
        assert_settled(result, lines)
        assert lines[0].startswith("[1/4] start the federation")
        assert " ... ok in " in lines[0]
        assert "chaos" not in result.context.state

    def test_a_county_killed_half_way_still_ends_with_everything_once(self, tmp_path: Path) -> None:
        result, lines = demo(tmp_path, chaos=True)
        assert_settled(result, lines)
        chaos = result.context.state["chaos"]
        assert chaos["node"] == CHAOS_NODE
        assert chaos["after_files"] > 0
        assert any(f"chaos: {CHAOS_NODE} killed with SIGKILL" in line for line in lines)
        assert not result.context.fed[CHAOS_NODE].running  # stopped with the others at the end


def step(key: str, *, fails: bool = False, needs: tuple[str, ...] = ()) -> Step:
    def run(_context: object) -> Outcome:
        if fails:
            raise StepFailedError(f"{key} did not hold")
        return Outcome(f"{key} done", figures={"key": key})

    return Step(key, f"step {key}", run, needs)  # type: ignore[arg-type]


class TestRunner:
    def test_a_failed_step_fails_the_run_and_skips_what_needs_it(self, tmp_path: Path) -> None:
        lines: list[str] = []
        steps = [step("a"), step("b", fails=True, needs=("a",)), step("c", needs=("b",)),
                 step("d", needs=("a",))]
        result = run_steps(steps, DemoOptions(tmp_path), lines.append)
        assert result.exit_code == 1
        assert (list(result.outcomes), list(result.failed), result.skipped) == (["a", "d"], ["b"], ["c"])
        assert lines[1].startswith("[2/4] step b ... FAILED")
        assert "StepFailedError: b did not hold" in lines[2]
        assert lines[3] == "[3/4] step c ... skipped (needs b)"
        assert lines[-1].startswith("demo FAILED: 2/4 steps ok, 1 failed (b), 1 skipped")

    def test_only_runs_the_chosen_steps_and_what_they_need(self, tmp_path: Path) -> None:
        steps = [step("a"), step("b", needs=("a",)), step("c", needs=("a",))]
        result = run_steps(steps, DemoOptions(tmp_path, only=("b",)), lambda _: None)
        assert (result.exit_code, list(result.outcomes)) == (0, ["a", "b"])
        with pytest.raises(StepFailedError, match="unknown demo steps"):
            run_steps(steps, DemoOptions(tmp_path, only=("z",)), lambda _: None)


class TestCommand:
    def test_a_work_dir_with_something_in_it_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "left-over").write_text("x")
        outcome = CliRunner().invoke(app, ["demo", "--workdir", str(tmp_path)])
        assert outcome.exit_code == 2
        assert "not empty" in outcome.output
