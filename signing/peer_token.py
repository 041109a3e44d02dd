"""Peer tokens: the short-lived JWT a node signs for one call to another node (DESIGN §2).

Minting lives here, in the pure core, because both sides of the exchange need the same claims:
the sending relay (sync/transport.py) and the gateway's own calls (gateway/services/peer_auth.py,
which also verifies them).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from signing.jws import sign_compact
from signing.keys import SigningKey

PEER_JWT_TYP = "ggzy-peer+jwt"
PEER_ROLE = "peer"
MAX_PEER_TOKEN_TTL = timedelta(minutes=5)
DEFAULT_PEER_TOKEN_TTL = timedelta(minutes=2)


def mint_peer_token(issuer: str, key: SigningKey, *, audience: str, now: datetime,
                    ttl: timedelta = DEFAULT_PEER_TOKEN_TTL) -> str:
    """A compact JWS: issuer and audience node ids, role `peer`, iat/exp, a single-use jti."""
    issued = int(now.timestamp())
    claims = {"iss": issuer, "aud": audience, "role": PEER_ROLE, "iat": issued,
              "exp": issued + int(ttl.total_seconds()), "jti": secrets.token_urlsafe(18)}
    return sign_compact(claims, key, typ=PEER_JWT_TYP)
