"""A small benchmark harness: time a callable over a batch, print a table with ratios to a baseline."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    name: str
    ours: float  # items per second
    baseline_name: str
    baseline: float | None
    target: str = ""

    @property
    def ratio(self) -> str:
        return f"{self.ours / self.baseline:.1f}x" if self.baseline else "-"


def pin_to_one_core() -> str:
    """Targets are stated for one core; pin so that a second core cannot flatter the figures."""
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return "pinned to one core"
    except (AttributeError, OSError):
        return "not pinned"


def rate(fn: Callable[[], object], items: int, *, repeat: int = 3) -> float:
    """Best of `repeat` runs, in items per second."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return items / best


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(f"{'operation':<34} {'ours/s':>12} {'baseline':<30} {'base/s':>10} {'ratio':>7}  target")
    for r in rows:
        base = f"{r.baseline:,.0f}" if r.baseline else "-"
        print(f"{r.name:<34} {r.ours:>12,.0f} {r.baseline_name:<30} {base:>10} {r.ratio:>7}  {r.target}")
