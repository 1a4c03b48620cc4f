"""submissions.idempotency_key: a retried or double-clicked submission is stored once

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 20:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_submissions_idempotency_key', ['idempotency_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_idempotency_key')
        batch_op.drop_column('idempotency_key')
