"""Quarantine operations (admin): list refused input, look at one item, reprocess it.

Re-submitting fixed data needs no operation here: it simply goes through ingest again, and an
accepted record resolves the open items of its source about the same business record.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from gateway.deps import DbDep, NodeDep, NowDep, requires
from gateway.errors import json_response
from gateway.routes.source import RegistryDep
from gateway.services.auth import ADMIN, Principal
from gateway.services.quarantine import list_quarantine, reprocess_quarantined, show_quarantined

router = APIRouter(prefix="/api/v1/quarantine", tags=["quarantine"])
Admin = Annotated[Principal, Depends(requires(ADMIN))]
_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "auth.*"},
                                          403: {"description": "auth.forbidden"}}


@router.get("", responses=_AUTH)
def list_items(
    db: DbDep, principal: Admin,
    status: Literal["open", "resolved", "all"] = "open",
    source: Annotated[str | None, Query(max_length=64, description="the system that sent it")] = None,
    adapter: Annotated[str | None, Query(max_length=64, description="source name, or name@version")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Oldest first, without the raw bytes: `{"items": [...], "next_offset": n|null}`."""
    items = list_quarantine(db, status=None if status == "all" else status, source=source, adapter=adapter,
                            limit=limit, offset=offset)
    next_offset = offset + len(items) if len(items) == limit else None
    return json_response({"items": items, "next_offset": next_offset})


@router.get("/{item_id}", responses={**_AUTH, 404: {"description": "quarantine.not_found"}})
def show_item(item_id: str, db: DbDep, principal: Admin) -> Response:
    """One item with its reasons, origin and the raw bytes (base64)."""
    return json_response(show_quarantined(db, item_id=item_id))


@router.post("/{item_id}/reprocess", responses={
    **_AUTH, 404: {"description": "quarantine.not_found"},
    409: {"description": "quarantine.not_open, quarantine.raw_incomplete, quarantine.no_adapter"}})
def reprocess_item(item_id: str, db: DbDep, node: NodeDep, now: NowDep, principal: Admin,
                   registry: RegistryDep) -> Response:
    """Read the stored bytes again with the source's current adapter.

    200 either way: `status` "resolved" with `envelope_id` and the results, or still "open" with the
    new `reasons`; `attempts` counts the tries.
    """
    return json_response(reprocess_quarantined(db, item_id=item_id, registry=registry, node=node, now=now))
