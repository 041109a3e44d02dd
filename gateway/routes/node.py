"""Who this node is, and the public keys its envelopes, checkpoints and tokens verify with."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from gateway.deps import NodeDep
from gateway.errors import json_response

router = APIRouter(prefix="/api/v1/node", tags=["node"])


@router.get("")
def describe_node(node: NodeDep) -> Response:
    return json_response(
        {
            "id": node.node_id,
            "name": node.name,
            "jurisdiction": node.node_id,
            "endpoint": node.endpoint,
            "origin": node.origin,
            "alg": node.key.alg,
            "kid": node.key.kid,
        }
    )


@router.get("/keys")
def node_keys(node: NodeDep) -> Response:
    """JWK Set (RFC 7517/8037); `kid` as in envelopes and tokens."""
    return Response(
        json_response({"keys": [node.key.public.to_jwk()]}).body, media_type="application/jwk-set+json"
    )
