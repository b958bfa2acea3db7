"""free-text logs, tips shown, safety events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 16:37:18.689432
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Hand-checked against bot/store/models.py.
    op.create_table('log_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('text', sa.String(length=4000), nullable=False),
    sa.Column('food_groups', sa.JSON(), nullable=False),
    sa.Column('symptoms', sa.JSON(), nullable=False),
    sa.Column('pain', sa.SmallInteger(), nullable=True),
    sa.Column('stress', sa.SmallInteger(), nullable=True),
    sa.Column('sleep', sa.SmallInteger(), nullable=True),
    sa.Column('bristol', sa.SmallInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_log_entries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_entries'))
    )
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.create_index('ix_log_entries_user_day', ['user_id', 'local_date'], unique=False)

    op.create_table('safety_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.String(length=64), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('follow_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_safety_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_events'))
    )
    with op.batch_alter_table('safety_events', schema=None) as batch_op:
        batch_op.create_index('ix_safety_events_follow_up', ['follow_up_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_events_user_id'), ['user_id'], unique=False)

    op.create_table('tips_shown',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.String(length=64), nullable=False),
    sa.Column('shown_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tips_shown_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tips_shown'))
    )
    with op.batch_alter_table('tips_shown', schema=None) as batch_op:
        batch_op.create_index('ix_tips_shown_user_day', ['user_id', 'shown_on'], unique=False)

    # Plain ADD COLUMNs, never a batch: on SQLite a batch with a server default like
    # `sa.false()` rebuilds `users` (copy, drop, rename), and with foreign keys on the drop
    # deletes every row that points at a person (schedules, check-ins, answers, deliveries).
    # SQLite adds a column with a constant default in place; PostgreSQL ran these same
    # statements in the batch already, so a database upgraded before this change has the same
    # schema (tests/unit/store/test_migrations.py upgrades one with data from each revision).
    op.add_column('users', sa.Column('screened_on', sa.Date(), nullable=True))
    op.add_column('users', sa.Column('pain_alert_on', sa.Date(), nullable=True))
    op.add_column('users', sa.Column('no_restriction_tips', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('users', sa.Column('breathing_followup', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    # Hand-checked against bot/store/models.py.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('breathing_followup')
        batch_op.drop_column('no_restriction_tips')
        batch_op.drop_column('pain_alert_on')
        batch_op.drop_column('screened_on')

    with op.batch_alter_table('tips_shown', schema=None) as batch_op:
        batch_op.drop_index('ix_tips_shown_user_day')

    op.drop_table('tips_shown')
    with op.batch_alter_table('safety_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_events_user_id'))
        batch_op.drop_index('ix_safety_events_follow_up')

    op.drop_table('safety_events')
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_log_entries_user_day')

    op.drop_table('log_entries')
