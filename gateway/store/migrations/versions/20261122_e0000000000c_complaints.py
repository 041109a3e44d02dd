"""complaints: the index of complaint cases (stage, department, deadlines, events)

Revision ID: e0000000000c
Revises: b3a1c0de0001
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0000000000c"
down_revision: str | None = "b3a1c0de0001"
branch_labels: str | Sequence[str] | None = ("complaints",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("complaint_id", sa.String(length=100), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("trade_type", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("department_code", sa.String(length=100), nullable=False),
        sa.Column("department_kind", sa.String(length=20), nullable=False),
        sa.Column("department_region", sa.String(length=6), nullable=False),
        sa.Column("matter_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_step", sa.String(length=40), nullable=True),
        sa.Column("due_status", sa.String(length=12), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("extensions", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("screening", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("version_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("record_ids", sa.JSON(), nullable=False),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaints")),
    )
    op.create_index("ix_complaints_matter_key", "complaints", ["matter_key"])
    op.create_index("ix_complaints_due_at", "complaints", ["due_at"])
    op.create_index("ix_complaints_jurisdiction", "complaints", ["jurisdiction"])
    op.create_index("ix_complaints_due_status", "complaints", ["due_status"])


def downgrade() -> None:
    op.drop_index("ix_complaints_due_status", table_name="complaints")
    op.drop_index("ix_complaints_jurisdiction", table_name="complaints")
    op.drop_index("ix_complaints_due_at", table_name="complaints")
    op.drop_index("ix_complaints_matter_key", table_name="complaints")
    op.drop_table("complaints")
