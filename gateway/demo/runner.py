"""Runs the demo's named steps in order, prints "[n/N] title ... ok (figures)" per step and a summary,
and returns the exit code: 0 when every step passed, 1 when any failed.

A step is a function of the shared `DemoContext` returning its `Outcome` (a one-line summary, detail
lines, figures for callers and tests); it fails by raising, with a message that says what did not
hold. A step whose prerequisites failed is skipped, so one broken workflow does not hide the others'
results. The federation is stopped and its databases dropped whatever happens, Ctrl-C included.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.demo.launcher import LocalFederation
from gateway.demo.ledger import DeliveryBook, LogView
from schemas.errors import GatewayError

Echo = Callable[[str], None]


class StepFailedError(GatewayError):
    code = "demo.step_failed"
    status = 500


@dataclass
class DemoOptions:
    workdir: Path
    postgres_url: str = ""
    broker_url: str = ""
    chaos: bool = False
    arrival_timeout: float = 180.0  # seconds for the exchange to settle, sized for a loaded machine
    only: Sequence[str] = ()  # step keys to run (default: all); the ones they need run too


@dataclass
class Outcome:
    summary: str
    details: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class DemoContext:
    options: DemoOptions
    stack: ExitStack
    echo: Echo
    federation: LocalFederation | None = None
    logs: dict[str, LogView] = field(default_factory=dict)
    deliveries: DeliveryBook | None = None
    state: dict[str, Any] = field(default_factory=dict)  # what one step hands the next

    @property
    def fed(self) -> LocalFederation:
        if self.federation is None:
            raise StepFailedError("the federation is not running")
        return self.federation

    def log(self, node_id: str) -> LogView:
        if node_id not in self.logs:
            self.logs[node_id] = LogView(self.fed[node_id])
        return self.logs[node_id]

    def book(self) -> DeliveryBook:
        if self.deliveries is None:
            self.deliveries = DeliveryBook(self.fed.nodes.values())
            self.stack.callback(self.deliveries.close)
        return self.deliveries


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    run: Callable[[DemoContext], Outcome]
    needs: tuple[str, ...] = ()


@dataclass
class DemoResult:
    exit_code: int
    outcomes: dict[str, Outcome]
    failed: dict[str, str]
    skipped: list[str]
    context: DemoContext


def run_steps(steps: Sequence[Step], options: DemoOptions, echo: Echo) -> DemoResult:
    chosen = _with_prerequisites(steps, options.only)
    outcomes: dict[str, Outcome] = {}
    failed: dict[str, str] = {}
    skipped: list[str] = []
    started = time.monotonic()
    with ExitStack() as stack:
        context = DemoContext(options, stack, echo)
        for number, step in enumerate(chosen, start=1):
            head = f"[{number}/{len(chosen)}] {step.title}"
            missing = [need for need in step.needs if need not in outcomes]
            if missing:
                skipped.append(step.key)
                echo(f"{head} ... skipped (needs {', '.join(missing)})")
                continue
            began = time.monotonic()
            try:
                outcome = step.run(context)
            except KeyboardInterrupt:
                echo(f"{head} ... interrupted; stopping the federation")
                raise
            except Exception as exc:  # a step's failure of any kind is reported, and the demo goes on
                failed[step.key] = _describe(exc)
                echo(f"{head} ... FAILED after {time.monotonic() - began:.1f} s")
                for line in failed[step.key].splitlines():
                    echo(f"      {line}")
                continue
            outcomes[step.key] = outcome
            echo(f"{head} ... ok in {time.monotonic() - began:.1f} s ({outcome.summary})")
            for line in outcome.details:
                echo(f"      {line}")
    code = 1 if failed or skipped else 0
    verdict = "all steps passed" if code == 0 else (
        f"{len(failed)} failed ({', '.join(failed)})" + (f", {len(skipped)} skipped" if skipped else ""))
    echo(f"demo {'succeeded' if code == 0 else 'FAILED'}: {len(outcomes)}/{len(chosen)} steps ok, {verdict}; "
         f"{time.monotonic() - started:.0f} s; every node stopped")
    return DemoResult(code, outcomes, failed, skipped, context)


def _with_prerequisites(steps: Sequence[Step], only: Sequence[str]) -> list[Step]:
    if not only:
        return list(steps)
    by_key = {step.key: step for step in steps}
    unknown = [key for key in only if key not in by_key]
    if unknown:
        raise StepFailedError(f"unknown demo steps {unknown}; steps: {', '.join(by_key)}")
    wanted: set[str] = set()
    pending = list(only)
    while pending:
        key = pending.pop()
        if key not in wanted:
            wanted.add(key)
            pending.extend(by_key[key].needs)
    return [step for step in steps if step.key in wanted]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, GatewayError | TimeoutError | AssertionError):
        return f"{type(exc).__name__}: {exc}"
    return "".join(traceback.format_exception(exc, limit=-3)).rstrip()
