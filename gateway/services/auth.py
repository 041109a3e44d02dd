"""Bearer tokens: JWTs signed by this node's key, carrying a role, scopes and a jurisdiction subtree.

Auditor and discipline roles are read-only by construction: a write scope is refused when such a
token is issued AND when one is presented, so a forged or mis-issued token cannot write either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from gateway.services.identity import NodeIdentity
from schemas.errors import GatewayError
from schemas.identifiers import FORMAT_CHECKERS
from signing.errors import SignatureError
from signing.jws import sign_compact, verify_compact

READ, WRITE, PII, ADMIN = "records:read", "records:write", "pii:read", "admin"
COSIGN = "cosign:write"
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "source": frozenset({WRITE}),
    "department": frozenset({READ, "complaints:write", "remote:write", "obligations:read"}),
    "auditor": frozenset({READ, "obligations:read", PII}),
    "discipline": frozenset({READ, "obligations:read", PII}),
    "admin": frozenset({READ, WRITE, PII, ADMIN, "complaints:write", "remote:write", "obligations:read"}),
    # An audit body's witness: reads checkpoints and proofs, and can only add its cosignatures.
    "witness": frozenset({READ, COSIGN}),
}
# Granted unless asked for explicitly: personal data needs its own scope on every role.
DEFAULT_EXCLUDED = frozenset({PII})
READ_ONLY_ROLES = frozenset({"auditor", "discipline"})
LEEWAY = timedelta(seconds=30)


class AuthError(GatewayError):
    code = "auth.invalid_token"
    status = 401


class MissingTokenError(AuthError):
    code = "auth.missing_token"


class ExpiredTokenError(AuthError):
    code = "auth.expired"


class WrongAudienceError(AuthError):
    code = "auth.wrong_audience"


class ForbiddenError(GatewayError):
    code = "auth.forbidden"
    status = 403


class TokenRequestError(GatewayError):
    code = "auth.bad_request"
    status = 422


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    scopes: frozenset[str]
    jurisdiction: str
    token_id: str

    ANONYMOUS: ClassVar[str] = "anonymous"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise ForbiddenError(f"the {self.role} token lacks the scope {scope!r}")


def issue_token(
    node: NodeIdentity,
    *,
    role: str,
    subject: str,
    jurisdiction: str | None,
    scopes: list[str] | None,
    ttl: timedelta,
    now: datetime,
) -> str:
    if role not in ROLE_SCOPES:
        raise TokenRequestError(f"unknown role {role!r}; roles: {', '.join(sorted(ROLE_SCOPES))}")
    allowed = ROLE_SCOPES[role]
    granted = set(scopes) if scopes else set(allowed - DEFAULT_EXCLUDED)
    if not granted <= allowed:
        raise TokenRequestError(f"role {role} cannot hold {sorted(granted - allowed)}")
    jur = jurisdiction or node.node_id
    if not FORMAT_CHECKERS["region-code"](jur):
        raise TokenRequestError(f"jurisdiction {jur!r} is not a GB/T 2260 code")
    claims = {
        "iss": node.node_id,
        "aud": node.node_id,
        "sub": subject,
        "role": role,
        "scope": " ".join(sorted(granted)),
        "jur": jur,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": secrets.token_urlsafe(12),
    }
    return sign_compact(claims, node.key)


def authenticate(node: NodeIdentity, token: str | None, *, now: datetime) -> Principal:
    if not token:
        raise MissingTokenError("an Authorization: Bearer token is required")
    try:
        claims = verify_compact(token, node.keyring, at=now)
    except SignatureError as exc:
        raise AuthError(f"token refused: {exc.message}") from exc
    return _principal(node, claims, now)


def _principal(node: NodeIdentity, claims: dict[str, Any], now: datetime) -> Principal:
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if node.node_id not in audiences:
        raise WrongAudienceError("token is for another node")
    if claims.get("iss") != node.node_id:
        raise AuthError("token was not issued by this node")
    exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
    if not isinstance(exp, int) or now.timestamp() > exp + LEEWAY.total_seconds():
        raise ExpiredTokenError("token expired")
    if isinstance(nbf, int) and now.timestamp() + LEEWAY.total_seconds() < nbf:
        raise AuthError("token not yet valid")
    role = claims.get("role")
    if role not in ROLE_SCOPES:
        raise AuthError("token carries an unknown role")
    scopes = frozenset(str(claims.get("scope", "")).split())
    if not scopes <= ROLE_SCOPES[role]:
        raise AuthError("token scopes exceed its role")
    jur = claims.get("jur")
    if not isinstance(jur, str) or not FORMAT_CHECKERS["region-code"](jur):
        raise AuthError("token carries no valid jurisdiction")
    return Principal(str(claims.get("sub", "")), role, scopes, jur, str(claims.get("jti", "")))
