"""source raw: source bytes behind records, quarantine origins and attempts

Revision ID: b3a1c0de0001
Revises: 9bf25ae35d2d
Create Date: 2026-11-22 07:01:45.045022
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b3a1c0de0001'
down_revision: str | None = '9bf25ae35d2d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('source_blobs',
    sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_source_blobs'))
    )
    op.create_table('quarantine_origins',
    sa.Column('quarantine_id', sa.String(length=36), nullable=False),
    sa.Column('ref', sa.Text(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('raw_digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('blob_digest', sa.LargeBinary(length=32), nullable=True),
    sa.Column('item', sa.JSON(), nullable=True),
    sa.Column('record_key', sa.String(length=64), nullable=True),
    sa.Column('received_count', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_adapter', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['blob_digest'], ['source_blobs.digest'],
                            name=op.f('fk_quarantine_origins_blob_digest_source_blobs')),
    sa.ForeignKeyConstraint(['quarantine_id'], ['quarantine.id'],
                            name=op.f('fk_quarantine_origins_quarantine_id_quarantine')),
    sa.PrimaryKeyConstraint('quarantine_id', name=op.f('pk_quarantine_origins'))
    )
    with op.batch_alter_table('quarantine_origins', schema=None) as batch_op:
        batch_op.create_index('ix_quarantine_origins_raw_digest', ['raw_digest'], unique=False)
        batch_op.create_index('ix_quarantine_origins_record_key', ['record_key'], unique=False)

    op.create_table('source_raw',
    sa.Column('envelope_id', sa.String(length=64), nullable=False),
    sa.Column('adapter', sa.String(length=64), nullable=False),
    sa.Column('ref', sa.Text(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['digest'], ['source_blobs.digest'],
                            name=op.f('fk_source_raw_digest_source_blobs')),
    sa.PrimaryKeyConstraint('envelope_id', name=op.f('pk_source_raw'))
    )
    with op.batch_alter_table('source_raw', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_raw_digest'), ['digest'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('source_raw', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_raw_digest'))

    op.drop_table('source_raw')
    with op.batch_alter_table('quarantine_origins', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_origins_record_key')
        batch_op.drop_index('ix_quarantine_origins_raw_digest')

    op.drop_table('quarantine_origins')
    op.drop_table('source_blobs')
