"""`ggzy pull --from NODE_URL`: catch up with what a peer routed to this node, from this node's cursor.

Run where this node's data lives. Each page is fetched with no transaction open, then taken (checked,
logged, receipted, forwarded) and the cursor moved in one transaction, so an interrupted pull simply
goes on from the last page taken. `--follow` keeps reading at that interval: a subscription.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import httpx
import orjson
import typer
from sqlalchemy.orm import Session, sessionmaker

from config.settings import get_settings
from gateway.cli.setup import prepare_node
from gateway.services.federation import load_directory
from gateway.services.identity import NodeIdentity
from gateway.services.pull import PullCounts, PullError, cursor_of, fetch_page, take_page
from gateway.store.engine import make_engine, make_session_factory
from schemas.errors import GatewayError
from signing.directory import Directory


def pull_command(
    source: Annotated[str, typer.Option("--from", help="base URL of the peer node, e.g. http://city:8000")],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="log indexes per page")] = 1000,
    follow: Annotated[float, typer.Option(help="keep pulling every SECONDS (0: once, to the end)")] = 0.0,
) -> None:
    """Pull the envelopes a peer routed to this node (after downtime, or to bootstrap), as push would."""
    settings = get_settings()
    node = prepare_node(settings)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    try:
        with httpx.Client(timeout=60, follow_redirects=False) as client:
            while True:
                total = pull_until_caught_up(client, sessions, node=node, source=source, limit=limit,
                                             directory_at=lambda now: load_directory(settings, now))
                typer.echo(orjson.dumps(total.as_dict()).decode())
                if follow <= 0:
                    break
                time.sleep(follow)
    except GatewayError as exc:
        typer.echo(f"error {exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def pull_until_caught_up(client: httpx.Client, sessions: sessionmaker[Session], *, node: NodeIdentity,
                         source: str, limit: int, directory_at: Callable[[datetime], Directory]
                         ) -> PullCounts:
    """Pages until the cursor reaches the peer's log size; the counts of them all."""
    peer = peer_id(client, source)
    total = PullCounts()
    while True:
        now = datetime.now(UTC)
        directory = directory_at(now)
        if peer not in directory:
            raise PullError(f"{source} is node {peer}, which the held directory does not list")
        with sessions() as db:
            after = cursor_of(db, peer) - 1
        page = fetch_page(client, base_url=source, node=node, peer=peer, after=after, now=now, limit=limit)
        with sessions() as db, db.begin():
            counts = take_page(db, node=node, directory=directory, peer=peer, page=page,
                               now=datetime.now(UTC))
        total.pages += 1
        total.statuses.update(counts.statuses)
        total.cursor, total.log_size = counts.cursor, counts.log_size
        if page.done or counts.cursor <= after + 1:
            return total


def peer_id(client: httpx.Client, source: str) -> str:
    try:
        described = client.get(source.rstrip("/") + "/api/v1/node").raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        raise PullError(f"cannot read {source}/api/v1/node: {exc}") from exc
    node_id = described.get("id") if isinstance(described, dict) else None
    if not isinstance(node_id, str):
        raise PullError(f"{source}/api/v1/node names no node id")
    return node_id
