"""remote evaluation sessions, seats, events, investigations; obligations

Revision ID: e0000000000d
Revises: b3a1c0de0001
Create Date: 2026-11-22 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0000000000d"
down_revision: str | None = "b3a1c0de0001"
branch_labels: str | Sequence[str] | None = ("remote_evaluation",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "remote_sessions",
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("host_region", sa.String(length=12), nullable=False),
        sa.Column("envelope_id", sa.String(length=64), nullable=False),
        sa.Column("scheduled_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_remote_sessions")),
    )
    op.create_table(
        "remote_seats",
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("expert_id", sa.String(length=100), nullable=False),
        sa.Column("venue_code", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("seat_no", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "expert_id", name=op.f("pk_remote_seats")),
    )
    op.create_table(
        "remote_events",
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("envelope_id", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=12), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("venue_code", sa.String(length=100), nullable=True),
        sa.Column("expert_id", sa.String(length=100), nullable=True),
        sa.Column("fault_id", sa.String(length=100), nullable=True),
        sa.Column("fault_phase", sa.String(length=16), nullable=True),
        sa.Column("investigation_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("session_id", "sequence", name=op.f("pk_remote_events")),
    )
    op.create_index("ix_remote_events_envelope_id", "remote_events", ["envelope_id"], unique=False)
    op.create_table(
        "remote_investigations",
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("investigation_id", sa.String(length=100), nullable=False),
        sa.Column("opened_sequence", sa.Integer(), nullable=False),
        sa.Column("concluded_sequence", sa.Integer(), nullable=True),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("experts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "investigation_id", name=op.f("pk_remote_investigations")),
    )
    op.create_table(
        "obligations",
        sa.Column("obligation_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("debtor_region", sa.String(length=12), nullable=False),
        sa.Column("creditor_region", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=True),
        sa.Column("awaited_envelope_id", sa.String(length=64), nullable=True),
        sa.Column("awaited_sequence", sa.Integer(), nullable=True),
        sa.Column("envelope_id", sa.String(length=64), nullable=False),
        sa.Column("version_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_soon_alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_to", sa.String(length=12), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("obligation_id", name=op.f("pk_obligations")),
    )
    op.create_index("ix_obligations_status_due_at", "obligations", ["status", "due_at"], unique=False)
    op.create_index(
        "ix_obligations_awaited_envelope_id", "obligations", ["awaited_envelope_id"], unique=False
    )
    op.create_index("ix_obligations_subject_id", "obligations", ["subject_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_obligations_subject_id", table_name="obligations")
    op.drop_index("ix_obligations_awaited_envelope_id", table_name="obligations")
    op.drop_index("ix_obligations_status_due_at", table_name="obligations")
    op.drop_table("obligations")
    op.drop_table("remote_investigations")
    op.drop_index("ix_remote_events_envelope_id", table_name="remote_events")
    op.drop_table("remote_events")
    op.drop_table("remote_seats")
    op.drop_table("remote_sessions")
