"""credit index, screenings

Revision ID: b3a1c0de0002
Revises: b3a1c0de0001
Create Date: 2026-11-22 06:47:11.947708
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b3a1c0de0002'
down_revision: str | None = 'b3a1c0de0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('credit_index',
    sa.Column('credit_key', sa.String(length=64), nullable=False),
    sa.Column('key_kind', sa.String(length=8), nullable=False),
    sa.Column('key_value', sa.String(length=500), nullable=False),
    sa.Column('envelope_id', sa.String(length=64), nullable=False),
    sa.Column('record_type', sa.String(length=64), nullable=False),
    sa.Column('version_utc', sa.DateTime(timezone=True), nullable=False),
    sa.Column('party_name', sa.String(length=500), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('issuer_code', sa.String(length=40), nullable=True),
    sa.Column('effective', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('credit_key', 'key_kind', 'key_value', name=op.f('pk_credit_index'))
    )
    with op.batch_alter_table('credit_index', schema=None) as batch_op:
        batch_op.create_index('ix_credit_index_key_value_key_kind', ['key_value', 'key_kind'], unique=False)

    op.create_table('screenings',
    sa.Column('envelope_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('record_type', sa.String(length=64), nullable=False),
    sa.Column('jurisdiction', sa.String(length=12), nullable=False),
    sa.Column('party_role', sa.String(length=32), nullable=False),
    sa.Column('party_name', sa.String(length=500), nullable=False),
    sa.Column('party_code_type', sa.String(length=16), nullable=True),
    sa.Column('party_code', sa.String(length=100), nullable=True),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('match_kind', sa.String(length=8), nullable=True),
    sa.Column('confidence', sa.String(length=16), nullable=True),
    sa.Column('matched_envelope_ids', sa.JSON(), nullable=False),
    sa.Column('matches', sa.JSON(), nullable=False),
    sa.Column('screened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('alert_envelope_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('envelope_id', 'position', name=op.f('pk_screenings'))
    )


def downgrade() -> None:
    op.drop_table('screenings')
    with op.batch_alter_table('credit_index', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_index_key_value_key_kind')

    op.drop_table('credit_index')
