"""POST /api/v1/ingest/standard: records already in the standard, one object or a list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from gateway.body import parse_json, read_limited
from gateway.deps import DbDep, NodeDep, NowDep, requires
from gateway.errors import MalformedJsonError, RequestTooLargeError, json_response, problem
from gateway.services.auth import WRITE, Principal
from gateway.services.ingest import ingest_standard
from gateway.services.refusal import quarantine_body, refusal_of

router = APIRouter(prefix="/api/v1/ingest", tags=["ingest"])
Writer = Annotated[Principal, Depends(requires(WRITE))]


async def _body(request: Request, principal: Writer) -> bytes:
    try:
        return await read_limited(request)
    except RequestTooLargeError as exc:
        await run_in_threadpool(
            quarantine_body,
            request.app.state.session_factory,
            exc.prefix,  # type: ignore[attr-defined]
            source=principal.subject,
            reason=exc.code,
            message=exc.message,
            raw_size=exc.size,  # type: ignore[attr-defined]
        )
        raise


@router.post(
    "/standard",
    responses={
        400: {"description": "request.malformed_json"},
        401: {"description": "auth.*"},
        403: {"description": "auth.forbidden"},
        409: {"description": "record.stale, record.conflict"},
        413: {"description": "request.too_large"},
        422: {"description": "record.invalid, record.unknown_type"},
    },
)
def ingest_standard_records(
    request: Request,
    db: DbDep,
    node: NodeDep,
    now: NowDep,
    principal: Writer,
    body: Annotated[bytes, Depends(_body)],
) -> Response:
    """Sign, log and acknowledge each record; refused ones are quarantined with their reasons.

    Body: one `{type, jurisdiction, payload, source?}` object or a list of them. Answer: 201 when
    something was accepted, 200 when all were already held, 422/409 problem when nothing was taken.
    """
    settings = request.app.state.settings
    source = principal.subject or "standard"
    try:
        data: Any = parse_json(body)
    except MalformedJsonError as exc:
        quarantine_body(
            request.app.state.session_factory, body, source=source, reason=exc.code, message=exc.message
        )
        raise
    single = not isinstance(data, list)
    items = [data] if single else data
    if len(items) > settings.max_batch_records:
        quarantine_body(
            request.app.state.session_factory,
            body,
            source=source,
            reason="request.too_large",
            message=f"{len(items)} records in one request",
        )
        raise RequestTooLargeError(f"at most {settings.max_batch_records} records per request")
    outcomes = ingest_standard(db, items=items, node=node, source_system=source, now=now)
    results = [o.as_dict() for o in outcomes]
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    request.app.state.metrics.count_ingest(counts)
    refusal = refusal_of(results, single=single)
    if refusal is not None:
        status = 409 if refusal.code in ("record.stale", "record.conflict") else 422
        return problem(
            status,
            refusal.code,
            "Records refused",
            refusal.detail,
            request,
            refusal.errors,
            {"results": results, "counts": counts},
        )
    status = 201 if counts.get("accepted") else 200
    return json_response({"results": results, "counts": counts}, status)
