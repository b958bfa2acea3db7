"""durable inbox: webhook updates kept until handled, the due instant of each claim

Revision ID: 0006_durable_inbox
Revises: 0005_trials_and_medicines
Create Date: 2026-12-01 13:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006_durable_inbox'
down_revision: str | None = '0005_trials_and_medicines'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Hand-checked against bot/store/models.py.
    op.create_table('inbox_updates',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('platform_id', sa.BigInteger(), nullable=True),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=128), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_inbox_updates'))
    )
    with op.batch_alter_table('inbox_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_updates_claimed_at'), ['claimed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_updates_platform_id'), ['platform_id'], unique=False)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_deliveries_status_claimed', ['status', 'claimed_at'], unique=False)


def downgrade() -> None:
    # Hand-checked against bot/store/models.py.
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_status_claimed')
        batch_op.drop_column('due_at')
    with op.batch_alter_table('inbox_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_updates_platform_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_updates_claimed_at'))

    op.drop_table('inbox_updates')
