"""join the feature branches

Revision ID: f0000000000e
Revises: b3a1c0de0003, c05160000001, d0000000000a, d0000000000b, e0000000000c, e0000000000d
Create Date: 2026-11-22 08:05:20.353303
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = 'f0000000000e'
down_revision: str | Sequence[str] | None = ('b3a1c0de0003', 'c05160000001', 'd0000000000a', 'd0000000000b', 'e0000000000c', 'e0000000000d')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the branches into one head."""


def downgrade() -> None:
    """Nothing to change: this revision only joins the branches into one head."""
