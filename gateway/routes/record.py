"""Stored envelopes, served as the exact bytes that were signed and logged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from gateway.deps import DbDep, NodeDep, NowDep, requires
from gateway.services.access_log import log_access
from gateway.services.auth import READ, Principal
from gateway.services.masking import default_rules, mask_leaf
from gateway.services.scope import ensure_visible, narrowed_prefix
from gateway.store.repositories.log import LogRepository
from schemas.errors import NotFoundError

router = APIRouter(prefix="/api/v1/records", tags=["records"])
Reader = Annotated[Principal, Depends(requires(READ))]


@router.get("/{envelope_id}", responses={404: {"description": "record.not_found"}})
def get_record(envelope_id: str, db: DbDep, node: NodeDep, now: NowDep, principal: Reader) -> Response:
    """The envelope as signed; without `pii:read`, personal data masked (header X-Masked lists where)."""
    stored = LogRepository(db).get_by_envelope_id(envelope_id)
    if stored is None:
        raise NotFoundError(f"record {envelope_id} not found")
    ensure_visible(principal, stored.jurisdiction, f"record {envelope_id}")
    log_access(
        db,
        node=node,
        principal=principal,
        resource="record",
        now=now,
        result_count=1,
        record_ids=[envelope_id],
    )
    headers = {"X-Log-Index": str(stored.idx)}
    rules = default_rules()
    masked = None if rules.scope in principal.scopes else mask_leaf(stored.leaf, rules)
    if masked is None:
        return Response(stored.leaf, media_type="application/json", headers=headers)
    body, pointers = masked
    return Response(body, media_type="application/json", headers={**headers, "X-Masked": ",".join(pointers)})


@router.get("", responses={404: {"description": "record.not_found"}})
def list_records(
    db: DbDep,
    node: NodeDep,
    now: NowDep,
    principal: Reader,
    type: Annotated[list[str] | None, Query(description="record types, e.g. tender.award")] = None,
    jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    since: Annotated[int, Query(ge=-1, description="log index: records after it")] = -1,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    """A JSON page `{"items": [envelope…], "next_since": n|null}` in log order."""
    prefix = narrowed_prefix(principal, jurisdiction)
    rows = LogRepository(db).list_leaves(start=since + 1, limit=limit, code_prefix=prefix, record_types=type)
    rules = default_rules()
    if rules.scope not in principal.scopes:
        rows = [(idx, (mask_leaf(leaf, rules) or (leaf, []))[0]) for idx, leaf in rows]
    next_since = str(rows[-1][0]).encode() if len(rows) == limit else b"null"
    body = b'{"items":[' + b",".join(leaf for _, leaf in rows) + b'],"next_since":' + next_since + b"}"
    log_access(
        db,
        node=node,
        principal=principal,
        resource="records",
        now=now,
        result_count=len(rows),
        query={"type": ",".join(type or []), "jurisdiction": jurisdiction or "", "since": str(since)},
    )
    return Response(body, media_type="application/json")
