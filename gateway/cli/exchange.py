"""`ggzy exchange`: the outbox of this node, and the exchange by files across one-way gateways (网闸).

On the sending side: `export --to NODE --out FILE` writes what is pending for NODE, `import-receipts
FILE` takes the receipts the other side wrote. On the receiving side: `import FILE` feeds the batch
to the inbox (checked, logged, receipted and forwarded as if pushed) and writes the receipts file.
`status` shows the deliveries per destination; `retry` sends FAILED ones again after a fix.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer

from config.settings import Settings, get_settings
from gateway.cli.setup import open_session
from gateway.services.federation import load_directory
from gateway.services.identity import NodeIdentity, load_identity
from gateway.services.inbox import ExchangeGapError, receive_envelopes
from gateway.store.repositories.exchange import ExchangeRepository
from schemas.errors import GatewayError
from signing.directory import Directory
from sync import files
from sync.files import BATCH_KIND, RECEIPTS_KIND, ExchangeFile, Part

app = typer.Typer(no_args_is_help=True, help=__doc__)


def _fail(exc: GatewayError) -> typer.Exit:
    typer.echo(f"error {exc.code}: {exc.message}", err=True)
    return typer.Exit(1)


@app.command()
def status() -> None:
    """Deliveries per destination, stream and status, with the lowest sequence number and an error."""
    with open_session(get_settings()) as db:
        rows = ExchangeRepository(db).summary()
    for row in rows:
        row["next_attempt_at"] = row["next_attempt_at"].isoformat() if row["next_attempt_at"] else None
    typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())


@app.command()
def export(
    to: Annotated[str, typer.Option("--to", help="the destination node id")],
    out: Annotated[Path, typer.Option("--out", "-o", help="the batch file to write")],
    limit: Annotated[int, typer.Option(help="at most this many envelopes")] = 10_000,
) -> None:
    """Write a signed batch file of the deliveries pending for a node."""
    settings = get_settings()
    node = load_identity(settings)
    with open_session(settings) as db:
        data, count = files.export_pending(db, node_id=node.node_id, key=node.key, target=to,
                                           now=datetime.now(UTC), limit=limit)
    out.write_bytes(data)
    typer.echo(f"{count} envelopes for node {to} written to {out}")


@app.command("import")
def import_batch(
    file: Annotated[Path, typer.Argument(help="a batch file written by `ggzy exchange export`")],
    receipts: Annotated[Path | None, typer.Option(help="the receipts file (default: FILE.receipts)")] = None,
) -> None:
    """Take a batch file into this node's inbox and write the receipts file for the sender."""
    settings = get_settings()
    node, now = load_identity(settings), datetime.now(UTC)
    try:
        directory = load_directory(settings, now)
        batch = files.read_file(file.read_bytes(), kind=BATCH_KIND, directory=directory, self_id=node.node_id,
                                now=now)
        parts = [_take(settings, node, directory, batch, part, now) for part in batch.parts]
    except GatewayError as exc:
        raise _fail(exc) from exc
    out = receipts or file.with_name(file.name + ".receipts")
    out.write_bytes(files.write_file(RECEIPTS_KIND, sender=node.node_id, receiver=batch.sender, key=node.key,
                                     now=now, parts=parts))
    taken = sum(len(part.lines) for part in parts)
    typer.echo(f"{taken} envelopes from node {batch.sender} taken; receipts written to {out}")


@app.command("import-receipts")
def import_receipts_file(
    file: Annotated[Path, typer.Argument(help="a receipts file written by `ggzy exchange import`")],
) -> None:
    """Mark the deliveries the receipts file answers: delivered, refused, or to send again."""
    from sync.alert import DeliveryAlerts
    from sync.routing import load_rules

    settings = get_settings()
    node, now = load_identity(settings), datetime.now(UTC)
    try:
        directory = load_directory(settings, now)
        answer = files.read_file(file.read_bytes(), kind=RECEIPTS_KIND, directory=directory,
                                 self_id=node.node_id, now=now)
        alerts = DeliveryAlerts(node_id=node.node_id, key=node.key, directory=directory,
                                rules=load_rules(settings.sync.routing_path))
        with open_session(settings) as db:
            reports = files.import_receipts(db, receipts=answer, directory=directory, node_id=node.node_id,
                                            now=now, alerts=alerts)
    except GatewayError as exc:
        raise _fail(exc) from exc
    counts = {name: sum(getattr(r, name) for r in reports) for name in ("delivered", "failed", "retrying")}
    typer.echo(f"receipts of node {answer.sender}: {counts['delivered']} delivered, "
               f"{counts['failed']} failed, {counts['retrying']} to send again")


@app.command()
def retry(
    to: Annotated[str | None, typer.Option("--to", help="only deliveries to this node")] = None,
    waiting: Annotated[bool, typer.Option(help="also send waiting ones now, without their backoff")] = False,
) -> None:
    """Make FAILED deliveries PENDING again (once the cause is fixed); the next relay pass sends them."""
    with open_session(get_settings()) as db:
        count = ExchangeRepository(db).reopen(now=datetime.now(UTC), target_node=to, failed_only=not waiting)
    typer.echo(f"{count} deliveries due again")


def _take(settings: Settings, node: NodeIdentity, directory: Directory, batch: ExchangeFile, part: Part,
          now: datetime) -> Part:
    """One stream of the batch in its own transaction, as one push request would be (forwarding included)."""
    try:
        with open_session(settings) as db:
            receipts, next_seq = receive_envelopes(
                db, node=node, directory=directory, sender=batch.sender, stream=part.stream,
                first_seq=part.first_seq, envelopes=part.lines, now=now)
    except ExchangeGapError as gap:
        error = {"code": gap.code, "expected_seq": gap.expected_seq}
        return Part(part.stream, part.first_seq, [], error=error)
    return Part(part.stream, part.first_seq, receipts, next_seq=next_seq)
