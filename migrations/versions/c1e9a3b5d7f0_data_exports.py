"""data exports

- exports: one row per data export a person asked for (queued, running,
  ready, failed), named in URLs by a random public id; its zip lives under
  instance/exports/ with a random file name. A partial unique index allows
  one unfinished (queued or running) export per account.

Revision ID: c1e9a3b5d7f0
Revises: d2f0b4c6e8a1
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1e9a3b5d7f0'
down_revision = 'd2f0b4c6e8a1'
branch_labels = None
depends_on = None

UNFINISHED = "status IN ('queued', 'running')"


def upgrade():
    op.create_table('exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('file_name', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_exports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exports')),
    sa.UniqueConstraint('file_name', name=op.f('uq_exports_file_name')),
    sa.UniqueConstraint('public_id', name=op.f('uq_exports_public_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.create_index('ix_exports_expires_at', ['expires_at'], unique=False)
        batch_op.create_index('ix_exports_user_id_created_at', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('uq_exports_unfinished', ['user_id'], unique=True, sqlite_where=sa.text(UNFINISHED), postgresql_where=sa.text(UNFINISHED))


def downgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index('uq_exports_unfinished', sqlite_where=sa.text(UNFINISHED), postgresql_where=sa.text(UNFINISHED))
        batch_op.drop_index('ix_exports_user_id_created_at')
        batch_op.drop_index('ix_exports_expires_at')

    op.drop_table('exports')
