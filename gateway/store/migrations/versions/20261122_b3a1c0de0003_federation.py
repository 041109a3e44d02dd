"""federation: peer-token ids already used (replay protection)

Revision ID: b3a1c0de0003
Revises: b3a1c0de0002
Create Date: 2026-11-22 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3a1c0de0003"
down_revision: str | None = "b3a1c0de0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_tokens",
        sa.Column("jti", sa.String(length=128), nullable=False),
        sa.Column("issuer", sa.String(length=12), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_seen_tokens")),
    )
    with op.batch_alter_table("seen_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_tokens_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seen_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_tokens_expires_at"))
    op.drop_table("seen_tokens")
