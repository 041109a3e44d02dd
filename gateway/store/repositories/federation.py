"""Replay protection for peer tokens: the primary key on `jti` decides, across every process."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.store.models.federation import SeenToken


class SeenTokenRepository:
    """Satisfies `gateway.services.peer_auth.ReplayGuard`. Never commits: the caller's transaction does."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def first_use(self, jti: str, *, issuer: str, expires_at: datetime) -> bool:
        """Record `jti`; False when it is already recorded (a replay), here or by another process.

        The insert runs in a savepoint so that a refused duplicate leaves the caller's transaction
        usable (PostgreSQL aborts a whole transaction on a failed statement). A concurrent insert of
        the same jti waits for the other transaction and then fails, so exactly one of them wins.
        """
        try:
            with self.db.begin_nested():
                self.db.execute(insert(SeenToken).values(jti=jti, issuer=issuer, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def purge_expired(self, now: datetime) -> int:
        """Forget the ids whose tokens can no longer be accepted anyway; returns how many."""
        statement = delete(SeenToken).where(SeenToken.expires_at < now)
        result = cast("CursorResult[Any]", self.db.execute(statement))
        return result.rowcount
