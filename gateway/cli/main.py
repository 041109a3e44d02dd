"""`ggzy`: run a node, issue tokens, check a log, and operate a node from its data directory."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import orjson
import typer

from config.settings import Settings, get_settings
from gateway.cli import demo, exchange, federation, ingest, pull, watch, witness

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
token_app = typer.Typer(no_args_is_help=True, help="Tokens signed by this node.")
keys_app = typer.Typer(no_args_is_help=True, help="This node's signing keys.")
app.add_typer(token_app, name="token")
app.add_typer(keys_app, name="keys")
app.add_typer(witness.app, name="witness")
app.add_typer(federation.app, name="federation")
app.add_typer(exchange.app, name="exchange")
app.add_typer(ingest.quarantine_app, name="quarantine")
app.command("ingest")(ingest.ingest_command)
app.command("watch")(watch.watch_command)
app.command("pull")(pull.pull_command)
app.command("demo")(demo.demo_command)


def _settings() -> Settings:
    return get_settings()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Run a node: with no configuration, SQLite under ./var/, keys made on first start, in-process relay."""
    import uvicorn

    from gateway.app import create_app
    from gateway.cli.setup import prepare_node, tune_gc

    settings = _settings()
    node = prepare_node(settings)
    tune_gc()
    typer.echo(
        f"node {node.node_id} ({node.key.alg}, kid {node.key.kid}) on http://{host}:{port}  "
        f"data: {settings.data_dir.resolve()}  db: {settings.database_url.split('@')[-1]}"
    )
    uvicorn.run(create_app(settings, identity=node), host=host, port=port, log_level="info")


@token_app.command("issue")
def token_issue(
    role: Annotated[str, typer.Option(help="source, department, auditor, discipline or admin")],
    jurisdiction: Annotated[
        str | None, typer.Option(help="GB/T 2260 code of the subtree; default: this node")
    ] = None,
    scope: Annotated[
        list[str] | None, typer.Option(help="scopes (repeat); default: the role's usual ones")
    ] = None,
    subject: Annotated[str, typer.Option(help="who the token is for")] = "",
    ttl_hours: Annotated[float, typer.Option(help="lifetime in hours")] = 8.0,
) -> None:
    """Print a token signed by this node's key (run where the node's data lives)."""
    from gateway.services.auth import issue_token
    from gateway.services.identity import load_identity

    node = load_identity(_settings())
    token = issue_token(
        node,
        role=role,
        subject=subject or role,
        jurisdiction=jurisdiction,
        scopes=scope,
        ttl=timedelta(hours=ttl_hours),
        now=datetime.now(UTC),
    )
    typer.echo(token)


@keys_app.command("show")
def keys_show() -> None:
    """Print this node's public keys as a JWK Set."""
    from gateway.services.identity import load_identity

    node = load_identity(_settings())
    typer.echo(orjson.dumps({"keys": [node.key.public.to_jwk()]}, option=orjson.OPT_INDENT_2).decode())


@app.command()
def status(
    text: Annotated[bool, typer.Option("--text", help="a short table for people instead of JSON")] = False,
    now: Annotated[
        str | None, typer.Option(help="read deadlines and ages at this RFC 3339 time (default: now)")
    ] = None,
) -> None:
    """Log, checkpoint, quarantine, outbox per destination, obligations and complaints past or near
    their deadline, of the node whose data is here (JSON unless --text)."""
    from gateway.cli.setup import open_session
    from gateway.services.status import node_status, status_text

    at = None
    if now is not None:
        try:
            at = datetime.fromisoformat(now)
        except ValueError as exc:
            raise typer.BadParameter("not an RFC 3339 time", param_hint="--now") from exc
        if at.tzinfo is None:
            raise typer.BadParameter("give the time with its offset", param_hint="--now")
    with open_session(_settings()) as db:
        figures = node_status(db, now=at)
    typer.echo(status_text(figures) if text else orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write")],
    records: Annotated[
        list[str] | None,
        typer.Option(
            "--record", help="envelope id (repeat): write an evidence bundle of these records instead"
        ),
    ] = None,
) -> None:
    """Write this node's whole log (or an evidence bundle of some records) for offline `ggzy verify`."""
    from gateway.cli.export import export_evidence, export_local

    if records:
        count = export_evidence(_settings(), records, out)
        typer.echo(f"evidence bundle of {count} records written to {out}")
        return
    count = export_local(_settings(), out)
    typer.echo(f"exported {count} records to {out}")


@app.command()
def verify(
    target: Annotated[str, typer.Argument(help="a node URL (http://…) or an export file")],
    token: Annotated[
        str | None, typer.Option(envvar="GGZY_TOKEN", help="bearer token for a node URL")
    ] = None,
    keys: Annotated[
        Path | None, typer.Option(help="pinned JWK Set of the node (default: ask the node)")
    ] = None,
    state: Annotated[
        Path | None, typer.Option(help="file of checkpoints seen before, checked and updated")
    ] = None,
    witness: Annotated[
        list[str] | None, typer.Option(help="NAME=JWKFILE: a cosignature of it is required")
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option(help="pinned federation root JWK: a bundle's node keys come from its directory"),
    ] = None,
) -> None:
    """Check every signature, the order, the root against the signed checkpoint, and earlier checkpoints."""
    from gateway.cli.verify import run_verify

    code = run_verify(
        target, token=token, keys_file=keys, state_file=state, witnesses=witness or [], root_file=root
    )
    sys.exit(code)
