"""trials and medicines: swap experiments as randomised N-of-1 trials; the medicines question

Experiments get their design (rows that exist already get design 1, so an experiment running at
the upgrade finishes under the two-week before/after rules it started with), plan and effect.
People get the switch for the check-in's optional medicines question (off).

Revision ID: 0005_trials_and_medicines
Revises: 0004
Create Date: 2026-12-01 14:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_trials_and_medicines'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Hand-checked against bot/store/models.py.
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('design', sa.SmallInteger(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('seed', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pairs', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('extra_starts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('next_block_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('effect', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('effect_low', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('effect_high', sa.Float(), nullable=True))
    # Not in batch mode: on SQLite a batch with this server default copies the table into a new
    # one and drops the old, and with foreign keys on that drop cascades to every row that
    # points at a person (their experiments, check-ins, answers). SQLite adds a column with a
    # constant default in place (tests/unit/experiments/test_trial_weeks.py keeps it so).
    op.add_column('users', sa.Column('ask_medicines', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    # Hand-checked against bot/store/models.py.
    with op.batch_alter_table('users', schema=None) as batch_op:
        # On SQLite this copies the table; env.py turns foreign keys off while migrating, so
        # the old table's drop deletes nothing that points at it (bot.store.db.foreign_keys_off).
        batch_op.drop_column('ask_medicines')
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.drop_column('effect_high')
        batch_op.drop_column('effect_low')
        batch_op.drop_column('effect')
        batch_op.drop_column('next_block_on')
        batch_op.drop_column('extra_starts')
        batch_op.drop_column('pairs')
        batch_op.drop_column('seed')
        batch_op.drop_column('design')
