"""`ggzy demo`: the whole mission on loopback in one command, doubling as a smoke test (exit code)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

POSTGRES_HELP = "PostgreSQL server URL: each node gets a database of its own there (dropped at the end)"
BROKER_HELP = ("redis://… or amqp://… broker: one Celery worker with beat per node instead of the "
               "in-process relay")


def demo_command(
    postgres: Annotated[str | None, typer.Option("--postgres", help=POSTGRES_HELP)] = None,
    broker: Annotated[str | None, typer.Option("--broker", help=BROKER_HELP)] = None,
    chaos: Annotated[bool, typer.Option(help="SIGKILL a county node half-way through its ingest, "
                                             "then restart it")] = False,
    workdir: Annotated[Path | None, typer.Option(help="where the nodes keep their data "
                                                      "(default: a temporary directory)")] = None,
    keep: Annotated[bool, typer.Option(help="keep the work dir (data, logs) afterwards")] = False,
    step: Annotated[list[str] | None, typer.Option(help="run only these steps (and what they need)")] = None,
) -> None:
    """Start a province, a city and two counties on loopback; ingest the bundled samples; follow them,
    a complaint and a remote evaluation across the nodes; audit and verify. Exit 1 if any step fails."""
    from gateway.demo.runner import DemoOptions
    from gateway.demo.story import run_demo

    made = workdir is None
    root = Path(tempfile.mkdtemp(prefix="ggzy-demo-")) if workdir is None else workdir.resolve()
    if not made and root.exists() and any(root.iterdir()):
        typer.echo(f"the work dir {root} is not empty: the demo starts from nothing", err=True)
        raise typer.Exit(2)
    options = DemoOptions(root, postgres_url=postgres or "", broker_url=broker or "", chaos=chaos,
                          only=tuple(step or ()))
    try:
        result = run_demo(options, typer.echo)
    finally:
        if keep:
            typer.echo(f"work dir kept: {root}")
        else:
            shutil.rmtree(root if made else root / "federation", ignore_errors=True)
    raise typer.Exit(result.exit_code)
