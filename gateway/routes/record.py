"""Stored envelopes, served as the exact bytes that were signed and logged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from gateway.deps import DbDep, requires
from gateway.services.auth import READ, Principal
from gateway.services.scope import ensure_visible, narrowed_prefix
from gateway.store.repositories.log import LogRepository
from schemas.errors import NotFoundError

router = APIRouter(prefix="/api/v1/records", tags=["records"])
Reader = Annotated[Principal, Depends(requires(READ))]


@router.get("/{envelope_id}", responses={404: {"description": "record.not_found"}})
def get_record(envelope_id: str, db: DbDep, principal: Reader) -> Response:
    stored = LogRepository(db).get_by_envelope_id(envelope_id)
    if stored is None:
        raise NotFoundError(f"record {envelope_id} not found")
    ensure_visible(principal, stored.jurisdiction, f"record {envelope_id}")
    return Response(stored.leaf, media_type="application/json", headers={"X-Log-Index": str(stored.idx)})


@router.get("", responses={404: {"description": "record.not_found"}})
def list_records(
    db: DbDep, principal: Reader,
    type: Annotated[list[str] | None, Query(description="record types, e.g. tender.award")] = None,  # noqa: A002
    jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    since: Annotated[int, Query(ge=-1, description="log index: records after it")] = -1,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    """A JSON page `{"items": [envelope…], "next_since": n|null}` in log order."""
    prefix = narrowed_prefix(principal, jurisdiction)
    rows = LogRepository(db).list_leaves(start=since + 1, limit=limit, code_prefix=prefix, record_types=type)
    next_since = str(rows[-1][0]).encode() if len(rows) == limit else b"null"
    body = b'{"items":[' + b",".join(leaf for _, leaf in rows) + b'],"next_since":' + next_since + b"}"
    return Response(body, media_type="application/json")
