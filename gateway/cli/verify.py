"""`ggzy verify`: pull a node's feed (or read an export) and audit it with signing.audit."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import typer

from signing.audit import AuditFinding, AuditReport, LogAuditor, split_feed_line
from signing.directory import verify_directory
from signing.errors import SignatureError
from signing.evidence import EVIDENCE_FORMAT, verify_bundle
from signing.keys import Keyring, PublicKey
from signing.note import NoteVerifier, open_note, parse_checkpoint

PAGE = 20_000


def run_verify(
    target: str,
    *,
    token: str | None,
    keys_file: Path | None,
    state_file: Path | None,
    witnesses: list[str] = (),  # type: ignore[assignment]
    root_file: Path | None = None,
) -> int:
    try:
        required = [_witness(spec) for spec in witnesses]
        if target.startswith(("http://", "https://")):
            report, origin, note = _verify_url(target.rstrip("/"), token, keys_file, state_file)
        else:
            report, origin, note = _verify_export(Path(target), keys_file, state_file, root_file)
    except (httpx.HTTPError, OSError, ValueError) as exc:
        typer.echo(f"verify: cannot read {target}: {exc}", err=True)
        return 2
    cosigned = check_cosignatures(report, note, required)
    _print(report, origin, cosigned)
    if report.ok and state_file is not None:
        _save_state(state_file, origin, note)
    return 0 if report.ok else 1


def _verify_url(
    base: str, token: str | None, keys_file: Path | None, state_file: Path | None
) -> tuple[AuditReport, str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        node = _get(client, "/api/v1/node").json()
        jwks = orjson.loads(keys_file.read_bytes()) if keys_file else _get(client, "/api/v1/node/keys").json()
        note = _get(client, "/api/v1/feed/checkpoint").text
        auditor = _auditor(jwks, node["origin"], note, state_file)
        size = auditor.report.checkpoint_size or 0
        auditor.add_lines(_feed_lines(client, size))
    return auditor.finish(), node["origin"], note


def _feed_lines(client: httpx.Client, size: int) -> Iterator[bytes]:
    after = -1
    while after + 1 < size:
        with client.stream("GET", "/api/v1/feed", params={"after": after, "limit": PAGE}) as resp:
            resp.raise_for_status()
            got = 0
            for line in resp.iter_lines():
                raw = line.encode()
                index = split_feed_line(raw).index
                if index >= size:
                    return
                after, got = index, got + 1
                yield raw
        if got == 0:
            return


def _verify_export(
    path: Path, keys_file: Path | None, state_file: Path | None, root_file: Path | None = None
) -> tuple[AuditReport, str, str]:
    with path.open("rb") as fh:
        first = fh.readline()
        try:
            header = orjson.loads(first)
        except orjson.JSONDecodeError:
            return _verify_evidence(orjson.loads(first + fh.read()), keys_file, root_file)
        if header.get("format") == EVIDENCE_FORMAT:
            return _verify_evidence(header, keys_file, root_file)
        if header.get("format") != "ggzy-export/1":
            raise ValueError("not a ggzy export file")
        jwks = orjson.loads(keys_file.read_bytes()) if keys_file else header["keys"]
        note, origin = header["checkpoint"], header["node"]["origin"]
        auditor = _auditor(jwks, origin, note, state_file)
        size = auditor.report.checkpoint_size or 0
        auditor.add_lines(line for line in fh if split_feed_line(line).index < size)
    return auditor.finish(), origin, note


def _verify_evidence(
    bundle: dict[str, Any], keys_file: Path | None, root_file: Path | None = None
) -> tuple[AuditReport, str, str]:
    if bundle.get("format") != EVIDENCE_FORMAT:
        raise ValueError("neither a ggzy export nor an evidence bundle")
    keys = _bundle_keys(bundle, keys_file, root_file)
    origin = bundle["node"]["origin"]
    report = verify_bundle(bundle, Keyring(keys), [NoteVerifier(origin, key) for key in keys])
    return report, origin, bundle["checkpoint"]


def _bundle_keys(bundle: dict[str, Any], keys_file: Path | None, root_file: Path | None) -> list[PublicKey]:
    """The node keys to trust: pinned, or vouched for by the bundled directory under a pinned root."""
    if keys_file:
        return [PublicKey.from_jwk(k) for k in orjson.loads(keys_file.read_bytes()).get("keys", [])]
    if root_file:
        if "directory" not in bundle:
            raise ValueError("--root given but the bundle holds no federation directory")
        document = bundle["directory"]
        issued = datetime.fromisoformat(str(document.get("issued_at")))
        try:
            # Checked as of its issue: evidence is read long after a directory expires.
            directory = verify_directory(
                document, PublicKey.from_jwk(orjson.loads(root_file.read_bytes())), now=issued
            )
        except SignatureError as exc:
            raise ValueError(
                f"the bundled directory is not signed by the pinned root: {exc.message}"
            ) from exc
        return list(directory.node_keyring(bundle["node"]["id"], issued))
    typer.echo("verify: node keys taken from the bundle itself; pin them with --keys or --root", err=True)
    return [PublicKey.from_jwk(k) for k in bundle["keys"].get("keys", [])]


def _auditor(jwks: dict[str, Any], origin: str, note: str, state_file: Path | None) -> LogAuditor:
    keys = [PublicKey.from_jwk(k) for k in jwks.get("keys", [])]
    verifiers = [NoteVerifier(origin, key) for key in keys]
    known = _load_state(state_file, origin)
    return LogAuditor(Keyring(keys), checkpoint_note=note, note_verifiers=verifiers, known_roots=known)


def _get(client: httpx.Client, path: str) -> httpx.Response:
    resp = client.get(path)
    resp.raise_for_status()
    return resp


def _load_state(state_file: Path | None, origin: str) -> dict[int, bytes]:
    if state_file is None or not state_file.exists():
        return {}
    state = orjson.loads(state_file.read_bytes()).get(origin, {})
    return {int(size): base64.b64decode(root) for size, root in state.items()}


def _save_state(state_file: Path, origin: str, note: str) -> None:
    body = note.split("\n\n", 1)[0] + "\n"
    checkpoint = parse_checkpoint(body)
    state = orjson.loads(state_file.read_bytes()) if state_file.exists() else {}
    state.setdefault(origin, {})[str(checkpoint.size)] = base64.b64encode(checkpoint.root).decode()
    state_file.write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _witness(spec: str) -> NoteVerifier:
    name, sep, path = spec.partition("=")
    if not sep:
        raise ValueError(f"--witness takes NAME=JWKFILE, not {spec!r}")
    return NoteVerifier(name, PublicKey.from_jwk(orjson.loads(Path(path).read_bytes())), "cosignature")


def check_cosignatures(report: AuditReport, note: str, required: list[NoteVerifier]) -> list[str]:
    """Each required witness must have cosigned the checkpoint; returns the witnesses that did."""
    cosigned = []
    for witness in required:
        try:
            opened = open_note(note, [witness])
        except SignatureError as exc:
            report.findings.append(AuditFinding("witness", f"{witness.name}: {exc.message}"))
            continue
        if witness.name in opened.cosignatures:
            cosigned.append(witness.name)
        else:
            report.findings.append(
                AuditFinding("witness", f"no cosignature of {witness.name} on the checkpoint")
            )
    return cosigned


def _print(report: AuditReport, origin: str, cosigned: list[str] = ()) -> None:  # type: ignore[assignment]
    typer.echo(f"log          {origin}")
    typer.echo(f"records      {report.records} verified against checkpoint size {report.checkpoint_size}")
    typer.echo(f"root         {base64.b64encode(report.root).decode() if report.root else '-'}")
    if report.masked:
        typer.echo(
            f"masked       {report.masked} records served masked: order and root checked by leaf hash; "
            "their signatures need the pii:read scope"
        )
    if cosigned:
        typer.echo(f"cosigned by  {', '.join(cosigned)}")
    typer.echo(
        f"checkpoints  {len(report.checked_sizes)} matched ({', '.join(map(str, report.checked_sizes[-5:]))})"
    )
    if report.ok:
        typer.echo("result       OK: every signature, the order, the root and earlier checkpoints hold")
        return
    typer.echo(f"result       FAILED ({', '.join(report.kinds)})", err=True)
    for finding in report.findings:
        typer.echo(f"  - {finding}", err=True)
