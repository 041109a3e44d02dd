"""Federation state kept in the database: the peer-token ids already used, until they expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class SeenToken(Base):
    """One row per accepted peer token: its `jti` can never be accepted again before `expires_at`."""

    __tablename__ = "seen_tokens"

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(12))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
