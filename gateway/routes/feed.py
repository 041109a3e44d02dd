"""The log as a feed: NDJSON in log order, the signed checkpoint, and RFC 6962 proofs."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from gateway.body import parse_json, read_limited
from gateway.deps import DbDep, NodeDep, NowDep, SettingsDep, requires
from gateway.errors import json_response
from gateway.services.access_log import log_access
from gateway.services.auth import COSIGN, READ, Principal
from gateway.services.log_writer import ensure_checkpoint
from gateway.services.masking import default_rules, feed_lines
from gateway.services.scope import ensure_visible, visible_prefix
from gateway.services.witness import accept_cosignature, load_witnesses, with_cosignatures
from gateway.store.repositories.log import LogRepository
from schemas.errors import NotFoundError
from signing.errors import ProofError
from signing.merkle import consistency_proof, inclusion_proof

router = APIRouter(prefix="/api/v1/feed", tags=["feed"])
Reader = Annotated[Principal, Depends(requires(READ))]
Witness = Annotated[Principal, Depends(requires(COSIGN))]
NDJSON = "application/x-ndjson"
FEED_CHUNK = 2000


class ProofRequestError(ProofError):
    code = "log.bad_proof_request"
    status = 422


@router.get("", response_class=Response, responses={200: {"content": {NDJSON: {}}}})
def read_feed(
    db: DbDep,
    node: NodeDep,
    now: NowDep,
    principal: Reader,
    after: Annotated[int, Query(ge=-1, description="last index already read; omitted = from index 0")] = -1,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 1000,
    type: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """Lines `{"index": i, "envelope": {…}}` in log order; the next page starts at `after` = X-Next-After.

    Without the `pii:read` scope, personal data is masked and the line carries
    `"masked": {"pointers": […], "leaf_hash": …}` so the log still verifies.
    """
    log = LogRepository(db)
    size = log.size()
    rows = log.list_leaves(
        start=after + 1, limit=limit, code_prefix=visible_prefix(principal), record_types=type
    )
    rules = default_rules()
    masking = None if rules.scope in principal.scopes else rules
    headers = {"X-Log-Size": str(size)}
    if rows:
        headers["X-Next-After"] = str(rows[-1][0])
    feed_range = {
        "limit": limit,
        **({"after": after} if after >= 0 else {}),
        **({"first_index": rows[0][0], "last_index": rows[-1][0]} if rows else {}),
    }
    log_access(
        db,
        node=node,
        principal=principal,
        resource="feed",
        now=now,
        result_count=len(rows),
        feed_range=feed_range,
        query={"type": ",".join(type)} if type else None,
    )
    # Lines are formatted chunk by chunk while earlier chunks are on the wire.
    chunks = (feed_lines(rows[i : i + FEED_CHUNK], masking) for i in range(0, len(rows), FEED_CHUNK))
    return StreamingResponse(chunks, media_type=NDJSON, headers=headers)


@router.get("/checkpoint", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def read_checkpoint(db: DbDep, node: NodeDep, now: NowDep, principal: Reader) -> Response:
    """The latest checkpoint in the C2SP signed-note format, with the cosignatures witnesses gave it."""
    note = ensure_checkpoint(db, node=node, now=now)
    latest = LogRepository(db).latest_checkpoint()
    if latest is not None:
        note = with_cosignatures(db, note, latest.size)
    log_access(db, node=node, principal=principal, resource="checkpoint", now=now, result_count=1)
    return Response(note, media_type="text/plain; charset=utf-8")


@router.get("/checkpoint/{size}", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def read_checkpoint_at(size: int, db: DbDep, principal: Reader) -> Response:
    """An earlier checkpoint by tree size, with its cosignatures: what witnesses compare."""
    checkpoint = LogRepository(db).checkpoint_at(size)
    if checkpoint is None:
        raise NotFoundError(f"no checkpoint of size {size}")
    return Response(with_cosignatures(db, checkpoint.note, size), media_type="text/plain; charset=utf-8")


async def _cosignature_body(request: Request) -> bytes:
    return await read_limited(request)


@router.post(
    "/checkpoint/cosignatures",
    status_code=201,
    responses={
        403: {"description": "auth.forbidden"},
        404: {"description": "record.not_found"},
        422: {"description": "witness.cosignature_refused"},
    },
)
def add_cosignature(
    db: DbDep,
    settings: SettingsDep,
    now: NowDep,
    principal: Witness,
    body: Annotated[bytes, Depends(_cosignature_body)],
) -> Response:
    """A witness's cosignature line over the checkpoint of `size`: `{"size": n, "line": "— name …"}`."""
    data = parse_json(body)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("size"), int)
        or not isinstance(data.get("line"), str)
    ):
        raise ProofRequestError('expected {"size": <int>, "line": "<cosignature line>"}')
    name = accept_cosignature(
        db, witnesses=load_witnesses(settings), size=data["size"], line=data["line"], now=now
    )
    return json_response({"size": data["size"], "witness": name}, 201)


@router.get("/proof/inclusion", responses={422: {"description": "log.bad_proof_request"}})
def prove_inclusion(
    db: DbDep,
    node: NodeDep,
    now: NowDep,
    principal: Reader,
    index: Annotated[int, Query(ge=0)],
    size: Annotated[int, Query(ge=1)],
) -> Response:
    log = LogRepository(db)
    if index >= size or size > log.size():
        raise ProofRequestError(f"need index < size ≤ {log.size()}")
    stored = log.get_by_index(index)
    if stored is None:
        raise NotFoundError(f"no leaf {index}")
    ensure_visible(principal, stored.jurisdiction, f"leaf {index}")
    proof = inclusion_proof(index, size, log.read_nodes)
    leaf = log.read_nodes([(0, index)])[(0, index)]
    log_access(
        db,
        node=node,
        principal=principal,
        resource="proof",
        now=now,
        result_count=1,
        record_ids=[stored.envelope_id],
    )
    return json_response(
        {"index": index, "size": size, "leaf_hash": _b64(leaf), "hashes": [_b64(h) for h in proof]}
    )


@router.get("/proof/consistency", responses={422: {"description": "log.bad_proof_request"}})
def prove_consistency(
    db: DbDep,
    principal: Reader,
    from_: Annotated[int, Query(alias="from", ge=1)],
    to: Annotated[int, Query(ge=1)],
) -> Response:
    log = LogRepository(db)
    if from_ > to or to > log.size():
        raise ProofRequestError(f"need from ≤ to ≤ {log.size()}")
    proof = consistency_proof(from_, to, log.read_nodes)
    return json_response({"from": from_, "to": to, "hashes": [_b64(h) for h in proof]})


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
