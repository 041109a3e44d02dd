"""exchange inbox: receipts given, stream positions, refusals

Revision ID: d0000000000b
Revises: b3a1c0de0001
Create Date: 2026-11-22 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0000000000b"
down_revision: str | None = "b3a1c0de0001"
branch_labels: str | Sequence[str] | None = ("inbox",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_receipts",
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("envelope_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sender", sa.String(length=12), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("receipt", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin", "envelope_id", name=op.f("pk_inbox_receipts")),
    )
    op.create_table(
        "inbox_streams",
        sa.Column("sender", sa.String(length=12), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender", "stream", name=op.f("pk_inbox_streams")),
    )
    op.create_table(
        "inbox_refusals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender", sa.String(length=12), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("envelope_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("receipt", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_refusals")),
    )
    op.create_index("ix_inbox_refusals_sender_stream_seq", "inbox_refusals", ["sender", "stream", "seq"])
    op.create_index("ix_inbox_refusals_received_at", "inbox_refusals", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_refusals_received_at", table_name="inbox_refusals")
    op.drop_index("ix_inbox_refusals_sender_stream_seq", table_name="inbox_refusals")
    op.drop_table("inbox_refusals")
    op.drop_table("inbox_streams")
    op.drop_table("inbox_receipts")
