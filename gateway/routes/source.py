"""POST /api/v1/ingest/{source}: raw source data (XML, SOAP, JSON, CSV, xlsx) through the source's adapter.

The body is the upload as the source system wrote it; `Content-Type` and `?filename=` help the
adapter read it (a county export is recognised by its file name). Answers as /ingest/standard:
201 when something was accepted, 200 when everything was already held, problem+json when nothing
was taken (422 `source.unreadable` with the reasons when the upload cannot be read at all).

A SOAP 1.1 request (a `SOAPAction` header, or a body whose first element is a SOAP Envelope; in
practice the tender platform's `receiveInfo` push) is answered in SOAP, as such callers expect:

- a call that was read gets HTTP 200 and `receiveInfoResponse` with Result{success, errorMessage}:
  success=true when every record of the call was accepted or already held, success=false with the
  reasons and quarantine ids when anything was refused (its content, a record, a stale version);
- an envelope that cannot be read as a call (not XML, not a SOAP 1.1 Envelope, no receiveInfo,
  parameters missing or unknown) gets a SOAP Fault with HTTP 500, as SOAP 1.1 §6.2 requires for
  faults over HTTP; it is quarantined too. Authentication and size failures stay problem+json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from adapters.base import SourceAdapter
from adapters.soap import build_receive_info_result, build_soap_fault
from adapters.tender_platform import sniff
from gateway.body import read_limited
from gateway.deps import DbDep, NodeDep, NowDep, requires
from gateway.errors import RequestTooLargeError, json_response, problem
from gateway.services.auth import WRITE, Principal
from gateway.services.quarantine import quarantine_refused_body
from gateway.services.refusal import refusal_of
from gateway.services.source_ingest import (
    REFUSED_STATUSES,
    STANDARD_SOURCE,
    SourceIngestReport,
    adapter_label,
    ingest_source,
    source_registry,
    without_app_key,
)
from schemas.errors import GatewayError

router = APIRouter(prefix="/api/v1/ingest", tags=["ingest"])
Writer = Annotated[Principal, Depends(requires(WRITE))]
SOAP_XML = "text/xml; charset=utf-8"
UPLOAD_MEDIA_TYPES = ("application/xml", "text/xml", "application/json", "text/csv",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
MAX_SOAP_MESSAGE = 2_000
_XMLCONTENT = "/Envelope/Body/receiveInfo/XMLCONTENT"
# Refusals of a call that was read: its content is wrong, not its shape.
_CALL_CONTENT_CODES = frozenset({"soap.bad_serial_number", "soap.bad_time", "soap.dataset_mismatch"})


class UnknownSourceError(GatewayError):
    code = "source.unknown"
    status = 404


def get_registry(request: Request) -> Mapping[str, SourceAdapter]:
    """The node's adapters, built on first use from its settings (tests override this dependency)."""
    registry: Mapping[str, SourceAdapter] | None = getattr(request.app.state, "source_registry", None)
    if registry is None:
        registry = source_registry(request.app.state.settings)
        request.app.state.source_registry = registry
    return registry


RegistryDep = Annotated[Mapping[str, SourceAdapter], Depends(get_registry)]


def _adapter(source: str, registry: RegistryDep, principal: Writer) -> SourceAdapter:
    adapter = registry.get(source)
    if adapter is None or source == STANDARD_SOURCE:
        names = ", ".join(sorted(name for name in registry if name != STANDARD_SOURCE))
        raise UnknownSourceError(f"unknown source {source[:64]!r}; sources: {names}, standard")
    return adapter


AdapterDep = Annotated[SourceAdapter, Depends(_adapter)]
Filename = Annotated[str, Query(max_length=255, description="the upload's file name, e.g. 530621_结果.csv")]


async def _body(request: Request, principal: Writer, adapter: AdapterDep, now: NowDep, filename: Filename = ""
                ) -> bytes:
    try:
        return await read_limited(request)
    except RequestTooLargeError as exc:
        await run_in_threadpool(
            quarantine_refused_body, request.app.state.session_factory,
            without_app_key(exc.prefix),  # type: ignore[attr-defined]
            source=principal.subject or adapter.name, adapter=adapter_label(adapter), filename=filename,
            content_type=request.headers.get("content-type", ""), reason_code=exc.code, message=exc.message,
            raw_size=exc.size, now=now,  # type: ignore[attr-defined]
        )
        raise


@router.post("/{source}", responses={
    200: {"content": {"text/xml": {}}, "description": "all held already; or a SOAP receiveInfoResponse"},
    401: {"description": "auth.*"}, 403: {"description": "auth.forbidden"},
    404: {"description": "source.unknown"},
    409: {"description": "record.stale, record.conflict"}, 413: {"description": "request.too_large"},
    422: {"description": "source.unreadable, adapter.invalid_payload, record.invalid"},
    500: {"content": {"text/xml": {}}, "description": "SOAP Fault: the envelope is not a readable call"}},
    openapi_extra={"requestBody": {"required": True, "content": {media: {} for media in UPLOAD_MEDIA_TYPES}}})
def ingest_from_source(
    request: Request, db: DbDep, node: NodeDep, now: NowDep, principal: Writer, adapter: AdapterDep,
    body: Annotated[bytes, Depends(_body)], filename: Filename = "",
) -> Response:
    """Run the source's adapter over the body; every record is signed and logged or quarantined."""
    report = ingest_source(db, adapter=adapter, data=body, filename=filename,
                           content_type=request.headers.get("content-type", ""), node=node,
                           source_system=principal.subject or adapter.name, now=now)
    request.app.state.metrics.count_ingest(report.counts)
    if "soapaction" in request.headers or sniff(body) == "soap":
        return _soap_answer(report)
    if report.refusal is not None:
        refusal = report.refusal
        return problem(422, refusal.code, "Upload refused", refusal.message, request, refusal.reasons[:200],
                       report.as_dict())
    refused = refusal_of(report.results, single=False)
    if refused is not None:
        status = 409 if refused.code in ("record.stale", "record.conflict") else 422
        return problem(status, refused.code, "Records refused", refused.detail, request, refused.errors,
                       report.as_dict())
    return json_response(report.as_dict(), 201 if report.counts.get("accepted") else 200)


def _soap_answer(report: SourceIngestReport) -> Response:
    if report.refusal is not None:
        reasons = report.refusal.reasons
        if _call_unreadable(reasons):
            fault = build_soap_fault(report.refusal.message, fault_code="Client", details=reasons)
            return Response(fault, status_code=500, media_type=SOAP_XML)
        message = f"quarantined as {report.refusal.quarantine_id}: {_describe(reasons)}"
        return Response(build_receive_info_result(False, _cut(message)), media_type=SOAP_XML)
    refused = [r for r in report.results if r["status"] in REFUSED_STATUSES]
    if report.results and not refused:
        return Response(build_receive_info_result(True), media_type=SOAP_XML)
    message = "; ".join(f"quarantined as {r['quarantine_id']}: {_describe(r.get('reasons', []))}"
                        for r in refused)
    return Response(build_receive_info_result(False, _cut(message or "the call holds no record")),
                    media_type=SOAP_XML)


def _call_unreadable(reasons: Sequence[Mapping[str, Any]]) -> bool:
    return any(
        r.get("code") not in _CALL_CONTENT_CODES and not str(r.get("pointer", "")).startswith(_XMLCONTENT)
        for r in reasons
    )


def _describe(reasons: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(f"{r.get('code')} {r.get('pointer') or ''}: {r.get('message', '')}".replace(" :", ":")
                     for r in reasons[:10])


def _cut(message: str) -> str:
    return message if len(message) <= MAX_SOAP_MESSAGE else message[: MAX_SOAP_MESSAGE - 1] + "…"
