"""Single use of a peer token on the exchange routes, recorded as late as possible in the request.

A batch's envelopes are verified before the request takes the database's writer lock (on SQLite one
lock serializes every writer of the node), so the token id cannot be recorded when the token is
checked: that insert would take the lock first. Instead the id is looked up at authentication (in a
session of its own, read only), which refuses a replay before its body is even read, and recorded
in the request's transaction just before the batch is logged, where the primary key on the id still
lets exactly one of two concurrent uses through.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from gateway.services.peer_auth import ReplayedTokenError
from gateway.store.models.federation import SeenToken
from gateway.store.repositories.federation import SeenTokenRepository


class DeferredReplayGuard:
    """A `peer_auth.ReplayGuard` whose `first_use` only looks; `record` makes the use count."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._pending: tuple[str, str, datetime] | None = None

    def first_use(self, jti: str, *, issuer: str, expires_at: datetime) -> bool:
        with self._sessions() as session:
            if session.get(SeenToken, jti) is not None:
                return False
        self._pending = (jti, issuer, expires_at)
        return True

    def record(self, db: Session) -> None:
        """Record the token id in `db`'s transaction; ReplayedTokenError if another use got there first."""
        if self._pending is None:
            raise RuntimeError("no peer token was authenticated")
        jti, issuer, expires_at = self._pending
        if not SeenTokenRepository(db).first_use(jti, issuer=issuer, expires_at=expires_at):
            raise ReplayedTokenError(f"token {jti} of node {issuer} was already used")
