"""Liveness and metrics for operators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.responses import Response

from gateway.deps import DbDep, NodeDep
from gateway.errors import json_response

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(db: DbDep, node: NodeDep) -> Response:
    db.execute(text("SELECT 1"))
    return json_response({"status": "ok", "node": node.node_id})


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
