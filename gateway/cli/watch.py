"""`ggzy watch`: a drop folder for sites that can only push files (through a one-way gateway, 网闸).

Files go incoming/ → processing/ → archive/ (read: its records taken or quarantined one by one)
or failed/ (refused whole, with `<name>.reason.json` beside it); see adapters.dropfolder.

Restarting is safe: files left in processing/ by a crash are taken again first, and ingesting a
file again changes nothing (its records are duplicates, its refusals reuse their open quarantine
items). A database failure stops the watch and leaves the file in processing/ for the next start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from adapters.base import SourceAdapter
from adapters.dropfolder import DropFolder, Readiness
from config.settings import get_settings
from gateway.cli import ingest as ingest_cli
from gateway.cli.setup import prepare_node
from gateway.services.identity import NodeIdentity
from gateway.services.source_ingest import SourceIngestReport
from gateway.store.engine import make_engine, make_session_factory

log = logging.getLogger("gateway.watch")
READINESS_HELP = "marker: ready when <name>.done is beside it; rename: ready when it has no .part suffix"


def watch_command(
    source: Annotated[str, typer.Argument(help=ingest_cli.SOURCES_HELP)],
    folder: Annotated[Path, typer.Argument(help="drop folder (incoming/, processing/, archive/, failed/)")],
    once: Annotated[bool, typer.Option("--once", help="take what is ready, then stop")] = False,
    interval: Annotated[float, typer.Option(min=0.05, help="seconds between looks at incoming/")] = 5.0,
    readiness: Annotated[Readiness, typer.Option(help=READINESS_HELP)] = Readiness.MARKER,
    system: Annotated[str | None, typer.Option(help=ingest_cli.SYSTEM_HELP)] = None,
) -> None:
    """Ingest files dropped into FOLDER/incoming/ with a source's adapter, until stopped (or --once).

    With --once the exit code is 1 when a file was refused whole, else 0.
    """
    settings = get_settings()
    adapter = ingest_cli.adapter_or_exit(ingest_cli.load_registry(settings), source)
    node = prepare_node(settings)
    drop = DropFolder(folder, readiness=readiness)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    failed = 0
    try:
        while True:
            for path in drop.claim_ready():
                ok, reason, report = _ingest(factory, adapter, path, node, system or source)
                moved = drop.complete(path, ok, reason, now=datetime.now(UTC))
                failed += 0 if ok else 1
                typer.echo(_line(moved, ok, reason, report))
            if once:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        typer.echo("watch stopped")
    finally:
        engine.dispose()
    raise typer.Exit(1 if once and failed else 0)


def _ingest(factory: Callable[[], Session], adapter: SourceAdapter, path: Path, node: NodeIdentity,
            system: str) -> tuple[bool, dict[str, Any] | None, SourceIngestReport | None]:
    try:
        report = ingest_cli.ingest_file(factory, adapter=adapter, path=path, node=node, system=system)
    except SQLAlchemyError:
        raise  # the database, not the file: keep the file in processing/ for the next start
    except OSError as exc:
        why = f"{type(exc).__name__}: {exc.strerror or 'unreadable'}"
        return False, {"code": "file.unreadable", "message": why}, None
    except Exception as exc:  # an adapter bug: the file must not stop the folder, nor come back forever
        log.exception("ingest of %s failed", path.name)
        return False, {"code": "gateway.internal", "message": f"internal error ({type(exc).__name__})"}, None
    if report.refusal is None:
        return True, None, report
    refusal = report.refusal
    return False, {"code": refusal.first_code, "message": refusal.message, "reasons": refusal.reasons,
                   "quarantine_id": refusal.quarantine_id}, report


def _line(moved: Path, ok: bool, reason: dict[str, Any] | None, report: SourceIngestReport | None) -> str:
    where = f"{moved.parent.name}/{moved.name}"
    if not ok or report is None:
        return f"{where}: refused, {(reason or {}).get('code')}: {(reason or {}).get('message')}"
    totals = report.totals
    quarantined = ", ".join(f"{code} {n}" for code, n in totals["quarantined_by_reason"].items())
    return (f"{where}: {totals['accepted']} accepted ({totals['new_versions']} new versions), "
            f"{totals['duplicates']} duplicates, {totals['stale']} stale"
            + (f", quarantined: {quarantined}" if quarantined else ""))
