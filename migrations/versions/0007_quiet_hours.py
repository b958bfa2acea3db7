"""quiet hours and easing off: users.quiet_from, users.quiet_until, users.eased_notice_at

Revision ID: 0007_quiet_hours
Revises: 0006_durable_inbox
Create Date: 2026-12-01 14:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007_quiet_hours'
down_revision: str | None = '0006_durable_inbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Hand-checked against bot/store/models.py. Plain ADD COLUMNs, never a batch rebuild of
    # `users`: on SQLite with foreign keys on, rebuilding it would cascade into every table that
    # points at it.
    op.add_column('users', sa.Column('quiet_from', sa.Time(), nullable=True))
    op.add_column('users', sa.Column('quiet_until', sa.Time(), nullable=True))
    op.add_column('users', sa.Column('eased_notice_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('eased_notice_at')
        batch_op.drop_column('quiet_until')
        batch_op.drop_column('quiet_from')
