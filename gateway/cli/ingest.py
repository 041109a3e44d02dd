"""`ggzy ingest` runs a source's adapter over files, and `ggzy quarantine` operates what was refused.

Both work on the node whose data is here (its settings, database and keys), exactly as
POST /api/v1/ingest/{source} and the /api/v1/quarantine operations do, with no server running.
Each file is one transaction: a file is taken whole or refused whole, and an interrupted run keeps
the files done before it (running it again finds them as duplicates).
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.orm import Session

from adapters.base import SourceAdapter
from config.settings import Settings, get_settings
from gateway.cli.setup import open_session, prepare_node, tune_gc
from gateway.services.identity import NodeIdentity
from gateway.services.quarantine import list_quarantine, reprocess_quarantined, show_quarantined
from gateway.services.source_ingest import SourceIngestReport, ingest_source, source_registry
from gateway.store.engine import make_engine, make_session_factory
from schemas.errors import GatewayError

SYSTEM_HELP = "the source system named in the envelopes and quarantine; default: the source name"
SOURCES_HELP = "tender-platform, credit-china, construction-market, county-center or standard"
COUNTS = (("accepted", "accepted"), ("new_versions", "new versions"), ("duplicates", "duplicates"),
          ("stale", "stale"), ("conflicts", "conflicts"), ("quarantined", "quarantined"),
          ("refused_uploads", "files refused"))

quarantine_app = typer.Typer(no_args_is_help=True, help="Input this node refused: list, show, reprocess.")


def load_registry(settings: Settings) -> Mapping[str, SourceAdapter]:
    return source_registry(settings)


def ingest_command(
    source: Annotated[str, typer.Argument(help=SOURCES_HELP)],
    paths: Annotated[list[Path], typer.Argument(help="files or folders (read recursively, by name)")],
    system: Annotated[str | None, typer.Option(help=SYSTEM_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print per-file totals and totals as JSON")] = False,
) -> None:
    """Run a source's adapter over files, as POST /api/v1/ingest/{source} would; summary at the end.

    Exit code 0 when every file could be read (refused records are in quarantine), 1 when a file was
    refused whole, 2 for a usage error.
    """
    settings = get_settings()
    adapter = adapter_or_exit(load_registry(settings), source)
    files = collect_files(paths)
    node = prepare_node(settings)
    tune_gc()
    err = Console(stderr=True)
    totals = empty_totals()
    per_file: list[dict[str, Any]] = []
    refused: list[tuple[Path, SourceIngestReport]] = []
    engine = make_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                   TextColumn("{task.fields[name]}"))
        with Progress(*columns, console=err) as progress:
            task = progress.add_task(f"ingest {source}", total=sum(p.stat().st_size for p in files), name="")
            for path in files:
                progress.update(task, name=path.name)
                report = ingest_file(factory, adapter=adapter, path=path, node=node, system=system or source)
                add_totals(totals, report.totals)
                per_file.append({"path": str(path), "totals": report.totals,
                                 **({"refusal": report.as_dict()["refusal"]} if report.refusal else {})})
                if report.refusal is not None:
                    refused.append((path, report))
                progress.advance(task, path.stat().st_size)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(orjson.dumps({"files": per_file, "totals": totals}, option=orjson.OPT_INDENT_2).decode())
    else:
        print_totals(Console(), totals, files=len(files))
    for path, report in refused:
        if report.refusal is not None:
            err.print(f"refused {path}: {report.refusal.first_code} {report.refusal.message} "
                      f"(quarantine {report.refusal.quarantine_id})", markup=False, highlight=False)
    raise typer.Exit(1 if refused else 0)


def ingest_file(factory: Callable[[], Session], *, adapter: SourceAdapter, path: Path, node: NodeIdentity,
                system: str) -> SourceIngestReport:
    """One file in its own transaction."""
    data = path.read_bytes()
    content_type = mimetypes.guess_type(path.name)[0] or ""
    with factory() as db, db.begin():
        return ingest_source(db, adapter=adapter, data=data, filename=path.name, content_type=content_type,
                             node=node, source_system=system, now=datetime.now(UTC))


def adapter_or_exit(registry: Mapping[str, SourceAdapter], source: str) -> SourceAdapter:
    adapter = registry.get(source)
    if adapter is None:
        typer.echo(f"unknown source {source!r}; sources: {', '.join(sorted(registry))}", err=True)
        raise typer.Exit(2)
    return adapter


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and the regular, non-hidden files under folders, each folder in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()
                                and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        elif path.is_file():
            files.append(path)
        else:
            typer.echo(f"no such file or folder: {path}", err=True)
            raise typer.Exit(2)
    return files


def empty_totals() -> dict[str, Any]:
    return {**{key: 0 for key, _ in COUNTS}, "quarantined_by_reason": {}}


def add_totals(into: dict[str, Any], more: Mapping[str, Any]) -> None:
    for key, _ in COUNTS:
        into[key] += more.get(key, 0)
    for code, count in more.get("quarantined_by_reason", {}).items():
        into["quarantined_by_reason"][code] = into["quarantined_by_reason"].get(code, 0) + count


def print_totals(console: Console, totals: Mapping[str, Any], *, files: int) -> None:
    table = Table(title=f"{files} file(s)")
    for _, title in COUNTS:
        table.add_column(title, justify="right")
    table.add_row(*(str(totals[key]) for key, _ in COUNTS))
    console.print(table)
    if totals["quarantined_by_reason"]:
        reasons = Table(title="quarantined by reason")
        reasons.add_column("code")
        reasons.add_column("items", justify="right")
        for code, count in sorted(totals["quarantined_by_reason"].items()):
            reasons.add_row(code, str(count))
        console.print(reasons)


@quarantine_app.command("list")
def quarantine_list(
    status: Annotated[str, typer.Option(help="open, resolved or all")] = "open",
    source: Annotated[str | None, typer.Option(help="the system that sent it")] = None,
    adapter: Annotated[str | None, typer.Option(help="source name, or name@version")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Quarantined items, oldest first."""
    with open_session(get_settings()) as db:
        items = list_quarantine(db, status=None if status == "all" else status, source=source,
                                adapter=adapter, limit=limit)
    if as_json:
        typer.echo(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"{len(items)} item(s), status {status}")
    table.add_column("id", no_wrap=True)  # copied into `show` and `reprocess`: never cut
    for name in ("received", "adapter", "ref", "reason", "attempts", "status"):
        table.add_column(name)
    for item in items:
        first = (item["reasons"] or [{}])[0].get("code", "")
        table.add_row(item["id"], item["received_at"][:19], item["adapter"], item["ref"], first,
                      str(item["attempts"]), item["status"])
    Console().print(table)


@quarantine_app.command("show")
def quarantine_show(
    item_id: Annotated[str, typer.Argument(help="quarantine id")],
    raw: Annotated[Path | None, typer.Option(help="also write the raw bytes to this file")] = None,
) -> None:
    """One item: its reasons and origin (the raw bytes are written only with --raw)."""
    try:
        with open_session(get_settings()) as db:
            view = show_quarantined(db, item_id=item_id)
    except GatewayError as exc:
        typer.echo(f"{exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    if raw is not None:
        raw.write_bytes(base64.b64decode(view["raw_base64"]))
    view.pop("raw_base64")
    typer.echo(orjson.dumps(view, option=orjson.OPT_INDENT_2).decode())


@quarantine_app.command("reprocess")
def quarantine_reprocess(item_ids: Annotated[list[str], typer.Argument(help="quarantine ids")]) -> None:
    """Read items again with the current adapter of their source; exit 1 if any stays open."""
    settings = get_settings()
    node, registry = prepare_node(settings), load_registry(settings)
    still_open = 0
    for item_id in item_ids:
        try:
            with open_session(settings) as db:
                result = reprocess_quarantined(db, item_id=item_id, registry=registry, node=node,
                                               now=datetime.now(UTC))
        except GatewayError as exc:
            typer.echo(f"{item_id}: {exc.code}: {exc.message}", err=True)
            still_open += 1
            continue
        if result["status"] == "resolved":
            typer.echo(f"{item_id}: resolved by {result['adapter']} as {result['envelope_id']} "
                       f"(attempt {result['attempts']}, {len(result['results'])} record(s))")
        else:
            still_open += 1
            codes = ", ".join(r.get("code", "") for r in result["reasons"])
            typer.echo(f"{item_id}: still open after attempt {result['attempts']} with {result['adapter']}: "
                       f"{codes}")
    raise typer.Exit(1 if still_open else 0)
