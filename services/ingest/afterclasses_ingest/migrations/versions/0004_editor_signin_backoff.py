"""editors.failed_signins, editors.signin_blocked_until: wrong passwords in a row make an
account's next sign-in wait (ingest's own limit, whoever calls its API)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('editors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_signins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('signin_blocked_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('editors', schema=None) as batch_op:
        batch_op.drop_column('signin_blocked_until')
        batch_op.drop_column('failed_signins')
