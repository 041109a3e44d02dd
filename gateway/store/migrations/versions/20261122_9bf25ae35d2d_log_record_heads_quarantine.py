"""log, record heads, quarantine

Revision ID: 9bf25ae35d2d
Revises: 
Create Date: 2026-11-22 06:24:32.062865
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9bf25ae35d2d'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('checkpoints',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_checkpoints'))
    )
    op.create_table('log_leaves',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('envelope_id', sa.String(length=64), nullable=False),
    sa.Column('record_key', sa.String(length=64), nullable=False),
    sa.Column('record_type', sa.String(length=64), nullable=False),
    sa.Column('jurisdiction', sa.String(length=12), nullable=False),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('payload_digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('leaf', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_log_leaves')),
    sa.UniqueConstraint('envelope_id', name=op.f('uq_log_leaves_envelope_id'))
    )
    with op.batch_alter_table('log_leaves', schema=None) as batch_op:
        batch_op.create_index('ix_log_leaves_jurisdiction_idx', ['jurisdiction', 'idx'], unique=False)
        batch_op.create_index(batch_op.f('ix_log_leaves_record_key'), ['record_key'], unique=False)
        batch_op.create_index('ix_log_leaves_record_type_idx', ['record_type', 'idx'], unique=False)

    op.create_table('log_nodes',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_log_nodes'))
    )
    op.create_table('log_state',
    sa.Column('id', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('frontier', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_state'))
    )
    op.create_table('quarantine',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('adapter', sa.String(length=64), nullable=False),
    sa.Column('record_type', sa.String(length=64), nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('raw_size', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolved_envelope_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine'))
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index('ix_quarantine_status_received_at', ['status', 'received_at'], unique=False)

    op.create_table('record_heads',
    sa.Column('record_key', sa.String(length=64), nullable=False),
    sa.Column('envelope_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('version_utc', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('record_key', name=op.f('pk_record_heads'))
    )


def downgrade() -> None:
    op.drop_table('record_heads')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_status_received_at')

    op.drop_table('quarantine')
    op.drop_table('log_state')
    op.drop_table('log_nodes')
    with op.batch_alter_table('log_leaves', schema=None) as batch_op:
        batch_op.drop_index('ix_log_leaves_record_type_idx')
        batch_op.drop_index(batch_op.f('ix_log_leaves_record_key'))
        batch_op.drop_index('ix_log_leaves_jurisdiction_idx')

    op.drop_table('log_leaves')
    op.drop_table('checkpoints')
