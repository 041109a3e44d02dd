"""`ggzy federation`: draft and sign the directory on the root node; pin the root and fetch elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer

from config.settings import get_settings
from gateway.cli.federation_view import render_directory
from gateway.services import federation_draft as drafts
from gateway.services.federation import (
    DirectoryFetchError,
    directory_file,
    fetcher,
    parse_directory,
    pin_root,
    pinned_root,
    refresh_directory,
)
from gateway.services.identity import load_identity
from schemas.errors import GatewayError
from signing.keys import PublicKey

app = typer.Typer(no_args_is_help=True,
                  help="The signed federation directory: signed on the root, pinned and fetched elsewhere.")

KeyDays = Annotated[int, typer.Option(help="validity of the node's key in the directory, in days")]


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except GatewayError as exc:
        typer.echo(f"error {exc.code}: {exc.message}", err=True)
        for detail in exc.details[:20]:
            typer.echo(f"  {detail.get('pointer')}: {detail.get('message')}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def init(
    name: Annotated[str, typer.Option(help="name of the federation, e.g. 云南省公共资源交易")],
    key_days: KeyDays = 730,
    force: Annotated[bool, typer.Option(help="replace an existing draft and pinned root")] = False,
) -> None:
    """Start a draft directory whose root is this node, and pin this node's key as the root key."""
    settings = get_settings()
    with _reported():
        if drafts.draft_file(settings).exists() and not force:
            raise drafts.DraftError(f"a draft exists at {drafts.draft_file(settings)}; --force replaces it")
        node = load_identity(settings)
        draft = drafts.new_draft(name, node, now=datetime.now(UTC), key_validity=timedelta(days=key_days))
        pin_root(settings, node.key.public.to_jwk(), replace=force)
        drafts.save_draft(settings, draft)
    typer.echo(f"draft federation {name!r}, root {node.node_id}, root key {node.key.kid} pinned")


@app.command("add-node")
def add_node(
    node_id: Annotated[str, typer.Option("--id", help="GB/T 2260 code of the node")],
    parent: Annotated[str, typer.Option(help="GB/T 2260 code of its parent node")],
    name: Annotated[str, typer.Option(help="display name")],
    endpoint: Annotated[str | None, typer.Option(help="base URL of the node (default: --url)")] = None,
    jwk: Annotated[Path | None, typer.Option(help="file with the node's public JWK or JWK Set")] = None,
    url: Annotated[str | None, typer.Option(help="fetch the keys from <url>/api/v1/node/keys")] = None,
    key_days: KeyDays = 730,
) -> None:
    """Add a node, or give a listed node new keys (rotation: old and new overlap until the old expires)."""
    settings = get_settings()
    with _reported():
        if (jwk is None) == (url is None):
            raise drafts.DraftError("give exactly one of --jwk FILE and --url URL")
        keys = _keys_from_file(jwk) if jwk is not None else _keys_from_node(str(url), node_id)
        now = datetime.now(UTC)
        draft = drafts.add_node(drafts.load_draft(settings), node_id=node_id, parent=parent, name=name,
                                endpoint=endpoint or str(url), keys=keys, not_before=now,
                                not_after=now + timedelta(days=key_days))
        drafts.save_draft(settings, draft)
    kids = ", ".join(f"{key.kid} ({key.alg})" for key in keys)
    typer.echo(f"node {node_id} under {parent}: keys {kids}\ncompare these key ids with the node's operator")


@app.command("add-department")
def add_department(
    department_id: Annotated[str, typer.Option("--id", help="department id, e.g. its USCC")],
    name: Annotated[str, typer.Option(help="name, e.g. 昭通市住房和城乡建设局")],
    jurisdiction: Annotated[str, typer.Option(help="GB/T 2260 code it supervises")],
    industry: Annotated[str, typer.Option(help="住建, 交通, 水利, 农业农村, 发改, 财政, …")],
    node: Annotated[str, typer.Option(help="node the department works through")],
) -> None:
    """Add or replace a supervisory department."""
    settings = get_settings()
    with _reported():
        draft = drafts.add_department(drafts.load_draft(settings), department_id=department_id, name=name,
                                      jurisdiction=jurisdiction, industry=industry, node=node)
        drafts.save_draft(settings, draft)
    typer.echo(f"department {department_id} ({industry}, {jurisdiction}) via node {node}")


@app.command("revoke-key")
def revoke_key(
    kid: Annotated[str, typer.Option(help="key id to revoke")],
    reason: Annotated[str, typer.Option(help="why, e.g. compromised, retired")],
) -> None:
    """Revoke a key: from the next signed directory on, it verifies nothing."""
    settings = get_settings()
    with _reported():
        draft = drafts.revoke_key(drafts.load_draft(settings), kid=kid, reason=reason, now=datetime.now(UTC))
        drafts.save_draft(settings, draft)
    typer.echo(f"key {kid} revoked in the draft; sign to publish")


@app.command()
def sign(
    out: Annotated[Path, typer.Option(help="file to write the signed directory to")],
    valid_days: Annotated[int, typer.Option(help="days until the directory expires")] = 30,
) -> None:
    """Sign the draft under the next serial (root node only), write it, and serve it from this node."""
    settings = get_settings()
    with _reported():
        draft = drafts.load_draft(settings)
        signed = drafts.sign_draft(settings, draft, load_identity(settings), now=datetime.now(UTC),
                                   valid_for=timedelta(days=valid_days))
        data = orjson.dumps(signed)
        out.write_bytes(data)
        drafts.save_draft(settings, draft)
    outcome = refresh_directory(settings, lambda: data, datetime.now(UTC))
    typer.echo(f"signed serial {signed['serial']} to {out}; held here: {outcome.describe()}")
    if not outcome.ok:
        raise typer.Exit(1)


@app.command()
def show(
    file: Annotated[Path | None, typer.Argument(help="signed directory (default: the one held here)")] = None,
    root: Annotated[Path | None, typer.Option(help="root JWK to check with (default: pinned one)")] = None,
) -> None:
    """Verify a directory against the root key and print its nodes, keys and departments."""
    settings = get_settings()
    path = file if file is not None else directory_file(settings)
    with _reported():
        key = _single_key(root) if root is not None else pinned_root(settings)
        now = datetime.now(UTC)
        directory = parse_directory(_read(path), key, now=now)
    typer.echo(render_directory(directory, now=now))


@app.command("pin-root")
def pin_root_command(
    jwk: Annotated[Path, typer.Option(help="file with the root's public JWK (from the province operator)")],
    replace: Annotated[bool, typer.Option(help="replace a different pinned root key")] = False,
) -> None:
    """Pin the federation root key: the only key this node trusts to sign the directory."""
    settings = get_settings()
    with _reported():
        key = pin_root(settings, _single_key(jwk).to_jwk(), replace=replace)
    typer.echo(f"pinned root key {key.kid} ({key.alg})")


@app.command()
def fetch(
    source: Annotated[str | None, typer.Option(help="URL or file (default: directory_url setting)")] = None,
) -> None:
    """Refresh the held directory now; it is replaced only by a valid, newer one."""
    settings = get_settings()
    origin = source or settings.federation.directory_url
    if not origin:
        typer.echo("error: no --source and no GATEWAY_FEDERATION__DIRECTORY_URL", err=True)
        raise typer.Exit(2)
    outcome = refresh_directory(settings, fetcher(origin), datetime.now(UTC))
    typer.echo(outcome.describe())
    if not outcome.ok:
        raise typer.Exit(1)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DirectoryFetchError(f"cannot read {path}: {exc.strerror}") from exc


def _keys_from_file(path: Path) -> list[PublicKey]:
    try:
        document: Any = orjson.loads(_read(path))
    except orjson.JSONDecodeError as exc:
        raise drafts.DraftError(f"{path} is not JSON") from exc
    items = document.get("keys") if isinstance(document, dict) and "keys" in document else [document]
    if not isinstance(items, list) or not items:
        raise drafts.DraftError(f"{path} holds no key")
    return [PublicKey.from_jwk(item) for item in items]


def _single_key(path: Path) -> PublicKey:
    keys = _keys_from_file(path)
    if len(keys) != 1:
        raise drafts.DraftError(f"{path} holds {len(keys)} keys; the root key is one JWK")
    return keys[0]


def _keys_from_node(url: str, node_id: str) -> list[PublicKey]:
    base = url.rstrip("/")
    try:
        described = httpx.get(f"{base}/api/v1/node", timeout=30).raise_for_status().json()
        jwks = httpx.get(f"{base}/api/v1/node/keys", timeout=30).raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        raise DirectoryFetchError(f"cannot read the keys of {base}: {exc}") from exc
    if not isinstance(described, dict) or described.get("id") != node_id:
        found = described.get("id") if isinstance(described, dict) else None
        raise drafts.DraftError(f"{base} is node {found!r}, not {node_id}")
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise drafts.DraftError(f"{base}/api/v1/node/keys lists no key")
    return [PublicKey.from_jwk(item) for item in keys]
