"""Peer tokens (DESIGN.md §4.4): nodes call each other with short JWTs signed by their own node key.

A peer token says "node `iss` calls node `aud`, now, once". The receiver trusts it only through the
federation directory it holds: the key is found by kid among the directory keys valid now, must
belong to `iss` and must not be revoked. The lifetime is at most five minutes, `iat` may not lie in
the future beyond the leeway, and the `jti` is recorded until the token expires, so a token is
accepted once even when several processes serve the node. The explicit typ keeps a peer token
from passing for a token a node issues to its own users, and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from gateway.services.auth import LEEWAY, AuthError, ExpiredTokenError, MissingTokenError, WrongAudienceError
from gateway.services.identity import NodeIdentity
from schemas.errors import GatewayError
from signing.directory import Directory
from signing.errors import SignatureError, UnknownKeyError
from signing.jws import verify_compact
from signing.keys import b64url_decode
from signing.peer_token import (
    DEFAULT_PEER_TOKEN_TTL,
    MAX_PEER_TOKEN_TTL,
    PEER_JWT_TYP,
    PEER_ROLE,
    mint_peer_token,
)

_MAX_JTI_LENGTH = 128


class PeerAuthError(AuthError):
    code = "peer.invalid_token"


class UnknownPeerKeyError(PeerAuthError):
    code = "peer.unknown_key"


class RevokedPeerKeyError(PeerAuthError):
    code = "peer.revoked_key"


class PeerKeyNotValidError(PeerAuthError):
    """The key is listed, but its validity window does not hold the current instant."""

    code = "peer.key_not_valid"


class PeerTokenLifetimeError(PeerAuthError):
    code = "peer.token_lifetime"


class NotYetValidTokenError(PeerAuthError):
    code = "auth.not_yet_valid"


class ReplayedTokenError(PeerAuthError):
    code = "peer.replayed_token"


class UnknownPeerNodeError(GatewayError):
    """The signature is sound, but the node it speaks for is not a member of the federation."""

    code = "peer.unknown_node"
    status = 403


class PeerKeyMismatchError(GatewayError):
    """A member's key signed a token that claims to come from another node."""

    code = "peer.key_mismatch"
    status = 403


class PeerTokenRequestError(GatewayError):
    code = "peer.bad_request"
    status = 422


class ReplayGuard(Protocol):
    """Remembers token ids until `expires_at`; `first_use` is False for an id seen before."""

    def first_use(self, jti: str, *, issuer: str, expires_at: datetime) -> bool: ...


@dataclass(frozen=True)
class PeerPrincipal:
    node_id: str
    kid: str
    jti: str


def issue_peer_token(node: NodeIdentity, *, audience: str, now: datetime,
                     ttl: timedelta = DEFAULT_PEER_TOKEN_TTL) -> str:
    """A token for one call from `node` to the node `audience`, valid for `ttl` (at most 5 minutes)."""
    if not timedelta(seconds=1) <= ttl <= MAX_PEER_TOKEN_TTL:
        raise PeerTokenRequestError(f"a peer token lives 1 second to {MAX_PEER_TOKEN_TTL}, not {ttl}")
    if not isinstance(audience, str) or not audience:
        raise PeerTokenRequestError("the audience is the receiving node id")
    return mint_peer_token(node.node_id, node.key, audience=audience, now=now, ttl=ttl)


def authenticate_peer(directory: Directory, token: str | None, *, receiver_id: str, now: datetime,
                      replay_guard: ReplayGuard, max_ttl: timedelta = MAX_PEER_TOKEN_TTL) -> PeerPrincipal:
    """The calling node, once its token is proven fresh, unused, for `receiver_id`, by a member's valid key.

    Records the jti through `replay_guard` as the last step, so a refused token never uses up its id.
    """
    if not token:
        raise MissingTokenError("an Authorization: Bearer peer token is required")
    kid = _unverified_kid(token)
    if directory.is_revoked(kid):
        raise RevokedPeerKeyError(f"key {kid} is revoked in directory serial {directory.serial}: "
                                  f"{directory.revoked[kid].reason}")
    try:
        owner = directory.key_owner(kid)
    except UnknownKeyError as exc:
        raise UnknownPeerKeyError(f"key {kid} is not in directory serial {directory.serial}") from exc
    try:
        claims = verify_compact(token, directory.node_keyring(owner, now), typ=PEER_JWT_TYP, at=now)
    except UnknownKeyError as exc:
        raise PeerKeyNotValidError(f"key {kid} of node {owner} is not valid now: {exc.message}") from exc
    except SignatureError as exc:
        raise PeerAuthError(f"peer token refused: {exc.message}") from exc
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or issuer not in directory:
        raise UnknownPeerNodeError(f"issuer {issuer!r} is not a node of the {directory.federation} directory")
    if issuer != owner:
        raise PeerKeyMismatchError(f"key {kid} belongs to node {owner}, not to {issuer}")
    jti, expires = _check_claims(claims, receiver_id=receiver_id, now=now, max_ttl=max_ttl)
    if not replay_guard.first_use(jti, issuer=issuer, expires_at=expires + LEEWAY):
        raise ReplayedTokenError(f"token {jti} of node {issuer} was already used")
    return PeerPrincipal(node_id=issuer, kid=kid, jti=jti)


def _unverified_kid(token: str) -> str:
    # Only to pick the key: verify_compact then checks this very header, signature included.
    segments = token.split(".") if isinstance(token, str) else []
    try:
        header = orjson.loads(b64url_decode(segments[0])) if len(segments) == 3 else None
    except (SignatureError, orjson.JSONDecodeError):
        header = None
    kid = header.get("kid") if isinstance(header, dict) else None
    if not isinstance(kid, str) or not kid:
        raise PeerAuthError("peer token refused: not a compact JWS with a key id")
    return kid


def _check_claims(claims: dict[str, Any], *, receiver_id: str, now: datetime, max_ttl: timedelta
                  ) -> tuple[str, datetime]:
    if claims.get("role") != PEER_ROLE:
        raise PeerAuthError(f"a peer token has role {PEER_ROLE!r}, not {claims.get('role')!r}")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if receiver_id not in audiences:
        raise WrongAudienceError(f"the token is for {audience!r}, not for node {receiver_id}")
    issued, expiry = claims.get("iat"), claims.get("exp")
    if type(issued) is not int or type(expiry) is not int:
        raise PeerAuthError("iat and exp are integer NumericDates")
    if expiry - issued > max_ttl.total_seconds():
        raise PeerTokenLifetimeError(f"the token lives {expiry - issued} s; peer tokens live at most "
                                     f"{int(max_ttl.total_seconds())} s")
    if expiry <= issued:
        raise PeerAuthError("exp is after iat")
    instant, leeway = now.timestamp(), LEEWAY.total_seconds()
    if instant > expiry + leeway:
        raise ExpiredTokenError("the peer token expired")
    not_before = claims.get("nbf", issued)
    if type(not_before) is not int:
        raise PeerAuthError("nbf is an integer NumericDate")
    if max(issued, not_before) > instant + leeway:
        raise NotYetValidTokenError("the peer token is issued in the future; check the clocks")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= _MAX_JTI_LENGTH:
        raise PeerAuthError(f"jti is a string of 1 to {_MAX_JTI_LENGTH} characters")
    return jti, datetime.fromtimestamp(expiry, UTC)
