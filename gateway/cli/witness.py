"""`ggzy witness …`: an audit body cosigns a node's checkpoints after checking them itself.

`cosign` refuses a checkpoint smaller than the last one it cosigned (rollback), a different root for
the same size (split view), and a larger one unless the node proves it extends the last (consistency
proof). Its state file is the witness's memory: keep it.
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path
from typing import Annotated

import httpx
import orjson
import typer

from signing.errors import SignatureError
from signing.keys import Keyring, PublicKey, SigningKey
from signing.merkle import verify_consistency
from signing.note import NoteVerifier, cosign, verify_note

app = typer.Typer(no_args_is_help=True, help="Cosign a node's checkpoints as an independent witness.")


@app.command()
def keygen(out: Annotated[Path, typer.Option(help="where to write the witness's private key (PEM)")]) -> None:
    """Make a witness key; prints its public JWK for the node operator (`ggzy witness trust`)."""
    key = SigningKey.generate()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.to_pem(None))
    typer.echo(orjson.dumps(key.public.to_jwk()).decode())


@app.command()
def trust(
    name: Annotated[str, typer.Option(help="the witness's name, as in its cosignature lines")],
    jwk: Annotated[Path, typer.Option(help="file holding the witness's public JWK")],
) -> None:
    """On the node: accept cosignatures from this witness."""
    from config.settings import get_settings
    from gateway.services.witness import trust_witness

    trust_witness(get_settings(), name=name, jwk=orjson.loads(jwk.read_bytes()))
    typer.echo(f"witness {name} trusted")


@app.command("cosign")
def cosign_command(
    node: Annotated[str, typer.Option(help="node URL")],
    key: Annotated[Path, typer.Option(help="the witness's private key (PEM)")],
    name: Annotated[str, typer.Option(help="the witness's name")],
    state: Annotated[Path, typer.Option(help="the witness's memory of what it cosigned")],
    token: Annotated[str, typer.Option(envvar="GGZY_TOKEN", help="a witness token of that node")],
    keys: Annotated[Path | None, typer.Option(help="pinned JWK Set of the node (default: ask it)")] = None,
) -> None:
    """Check the node's latest checkpoint against the last one cosigned, then cosign it."""
    witness_key = SigningKey.from_pem(key.read_bytes(), None)
    memory = orjson.loads(state.read_bytes()) if state.exists() else {}
    with httpx.Client(
        base_url=node.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as c:
        info = c.get("/api/v1/node").raise_for_status().json()
        jwks = (
            orjson.loads(keys.read_bytes()) if keys else c.get("/api/v1/node/keys").raise_for_status().json()
        )
        node_keys = [PublicKey.from_jwk(k) for k in jwks["keys"]]
        Keyring(node_keys)
        note = c.get("/api/v1/feed/checkpoint").raise_for_status().text
        try:
            checkpoint = verify_note(note, [NoteVerifier(info["origin"], k) for k in node_keys]).checkpoint
        except SignatureError as exc:
            _refuse(f"checkpoint signature refused: {exc.message}")
        last = memory.get(info["origin"])
        if last is not None:
            old_size, old_root = last["size"], base64.b64decode(last["root"])
            if checkpoint.size < old_size:
                _refuse(f"rollback: size {checkpoint.size} < {old_size} cosigned before")
            if checkpoint.size == old_size and checkpoint.root != old_root:
                _refuse(f"split view: two roots for size {old_size}")
            if checkpoint.size > old_size > 0:
                proof = (
                    c.get("/api/v1/feed/proof/consistency", params={"from": old_size, "to": checkpoint.size})
                    .raise_for_status()
                    .json()
                )
                try:
                    verify_consistency(
                        old_size,
                        checkpoint.size,
                        old_root,
                        checkpoint.root,
                        [base64.b64decode(h) for h in proof["hashes"]],
                    )
                except SignatureError as exc:
                    _refuse(f"history rewritten: {exc.message}")
        line = cosign(note, name, witness_key, int(time.time()))
        c.post(
            "/api/v1/feed/checkpoint/cosignatures", json={"size": checkpoint.size, "line": line}
        ).raise_for_status()
    memory[info["origin"]] = {"size": checkpoint.size, "root": base64.b64encode(checkpoint.root).decode()}
    state.write_bytes(orjson.dumps(memory, option=orjson.OPT_INDENT_2))
    typer.echo(f"cosigned {info['origin']} at size {checkpoint.size}")


def _refuse(message: str) -> None:
    typer.echo(f"witness: refusing to cosign: {message}", err=True)
    raise typer.Exit(1)
