"""job failures

Revision ID: a9c7e1f3b5d8
Revises: f8a6b0c2d4e7
Create Date: 2026-11-30 09:00:00.000000

- job_failures: background jobs whose retries were all spent, with the
  error and a summary of the arguments (never their raw values), shown on
  /admin and deleted after JOB_FAILURES_KEEP_DAYS by a periodic job.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9c7e1f3b5d8'
down_revision = 'f8a6b0c2d4e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('error', sa.String(length=2000), nullable=False),
    sa.Column('args', sa.String(length=500), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_failures')),
    sqlite_autoincrement=True
    )
    op.create_index('ix_job_failures_failed_at', 'job_failures', ['failed_at'], unique=False)


def downgrade():
    op.drop_index('ix_job_failures_failed_at', table_name='job_failures')
    op.drop_table('job_failures')
