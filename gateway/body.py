"""Reading request bodies with a hard size limit, before any parsing."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from gateway.errors import MalformedJsonError, RequestTooLargeError

KEPT_PREFIX = 1024 * 1024


async def read_limited(request: Request) -> bytes:
    """The whole body, or RequestTooLargeError carrying the first bytes read and the size seen."""
    limit: int = request.app.state.settings.max_body_bytes
    declared = request.headers.get("content-length")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            exc = RequestTooLargeError(f"body exceeds the {limit}-byte limit")
            exc.prefix = b"".join(chunks)[:KEPT_PREFIX]  # type: ignore[attr-defined]
            exc.size = int(declared) if declared and declared.isdigit() else size  # type: ignore[attr-defined]
            raise exc
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise MalformedJsonError("empty body: expected JSON")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedJsonError(f"body is not JSON: {exc.msg} at position {exc.pos}") from exc
