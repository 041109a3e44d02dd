"""The federation directory this node holds, served byte for byte as it was accepted.

The route is public, like `/api/v1/node/keys`. Its integrity comes from the root's signature, which
every reader checks against the root key it pinned, not from who may download it; it holds only
public keys, endpoints and department names. It must be public for a second reason: a node that
has just joined needs the directory to learn its peers' keys, and before it holds one it cannot
check the peer tokens of the node it would fetch it from.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from gateway.deps import DbDep, NodeDep, NowDep, SettingsDep
from gateway.services.federation import HeldDirectory
from gateway.services.peer_auth import MAX_PEER_TOKEN_TTL, PeerPrincipal, authenticate_peer
from gateway.store.repositories.federation import SeenTokenRepository

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])


def get_held_directory(request: Request, settings: SettingsDep) -> HeldDirectory:
    """One cache per application, made on first use: the directory is verified once per change."""
    held: HeldDirectory | None = getattr(request.app.state, "held_directory", None)
    if held is None:
        held = HeldDirectory(settings)
        request.app.state.held_directory = held
    return held


HeldDirectoryDep = Annotated[HeldDirectory, Depends(get_held_directory)]


def get_peer(request: Request, held: HeldDirectoryDep, db: DbDep, node: NodeDep, now: NowDep,
             settings: SettingsDep) -> PeerPrincipal:
    """The calling peer node, for routes only peers may use (the token's jti is kept in this request's
    transaction, so a request that fails leaves the token unused)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    principal = authenticate_peer(
        held.current(now), token.strip() if scheme.lower() == "bearer" else None, receiver_id=node.node_id,
        now=now, replay_guard=SeenTokenRepository(db),
        max_ttl=min(settings.auth.peer_token_max_ttl, MAX_PEER_TOKEN_TTL))
    request.state.peer = principal
    return principal


PeerDep = Annotated[PeerPrincipal, Depends(get_peer)]


@router.get("/directory", response_class=Response, responses={200: {"content": {"application/json": {}}}})
def federation_directory(held: HeldDirectoryDep, now: NowDep) -> Response:
    """The signed directory (503 `federation.no_directory` while none is held or it has expired)."""
    directory, data = held.snapshot(now)
    headers = {"ETag": f'"serial-{directory.serial}"', "Cache-Control": "no-cache"}
    return Response(data, media_type="application/json", headers=headers)
