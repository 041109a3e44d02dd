"""Every non-2xx answer is RFC 9457 application/problem+json with a stable `code`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from schemas.errors import GatewayError

PROBLEM = "application/problem+json"
log = logging.getLogger("gateway.errors")


class RequestTooLargeError(GatewayError):
    code = "request.too_large"
    status = 413


class MalformedJsonError(GatewayError):
    code = "request.malformed_json"
    status = 400


class UnsupportedMediaError(GatewayError):
    code = "request.unsupported_media_type"
    status = 415


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    request: Request,
    errors: Sequence[dict[str, Any]] = (),
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:ggzy-gateway:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id(request),
    }
    if errors:
        body["errors"] = list(errors)
    if extra:
        body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid
    return str(rid)


def install(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def _gateway(request: Request, exc: GatewayError) -> Response:
        extra = getattr(exc, "extra", None)
        return problem(exc.status, exc.code, type(exc).__name__, exc.message, request, exc.details, extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        # pydantic's `input` and `ctx` may echo what the client sent: never returned.
        errors = [
            {
                "pointer": "/" + "/".join(str(p) for p in e.get("loc", ())),
                "code": f"request.{e.get('type')}",
                "message": str(e.get("msg", "")),
            }
            for e in exc.errors()
        ]
        return problem(
            422, "request.invalid", "Invalid request", "the request does not match the API", request, errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "route.not_found", 405: "route.method_not_allowed"}.get(exc.status_code, "http.error")
        return problem(exc.status_code, code, "HTTP error", str(exc.detail), request)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"request_id": request_id(request)})
        return problem(
            500,
            "gateway.internal",
            "Internal error",
            f"Internal error; quote request id {request_id(request)}",
            request,
        )


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")
