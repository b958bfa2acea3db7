"""safety asks: the one-tap safety question waiting for its answer

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Hand-checked against bot/store/models.py.
    op.create_table('safety_asks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=32), nullable=False),
    sa.Column('flag_id', sa.String(length=64), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('open_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unsaved', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_safety_asks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_asks'))
    )
    with op.batch_alter_table('safety_asks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_asks_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    # Hand-checked against bot/store/models.py.
    with op.batch_alter_table('safety_asks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_asks_user_id'))

    op.drop_table('safety_asks')
