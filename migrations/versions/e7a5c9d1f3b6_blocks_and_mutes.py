"""blocks and mutes

Revision ID: e7a5c9d1f3b6
Revises: d6f4b8c0e2a5
Create Date: 2026-11-30 06:20:00.000000

- blocks: who blocked whom. The primary key (blocker, blocked) answers
  "did the reader block this author" inside every list of posts; the index
  (blocked, blocker) answers "who blocks me" and serves the cascade.
- mutes: who muted whom, read the same way; the muted side's index serves
  the cascade when that account goes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a5c9d1f3b6'
down_revision = 'd6f4b8c0e2a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('blocks',
    sa.Column('blocker_id', sa.Integer(), nullable=False),
    sa.Column('blocked_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blocked_id'], ['users.id'], name=op.f('fk_blocks_blocked_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['blocker_id'], ['users.id'], name=op.f('fk_blocks_blocker_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('blocker_id', 'blocked_id', name=op.f('pk_blocks'))
    )
    with op.batch_alter_table('blocks', schema=None) as batch_op:
        batch_op.create_index('ix_blocks_blocked_id_blocker_id', ['blocked_id', 'blocker_id'], unique=False)

    op.create_table('mutes',
    sa.Column('muter_id', sa.Integer(), nullable=False),
    sa.Column('muted_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['muted_id'], ['users.id'], name=op.f('fk_mutes_muted_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['muter_id'], ['users.id'], name=op.f('fk_mutes_muter_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('muter_id', 'muted_id', name=op.f('pk_mutes'))
    )
    with op.batch_alter_table('mutes', schema=None) as batch_op:
        batch_op.create_index('ix_mutes_muted_id', ['muted_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mutes', schema=None) as batch_op:
        batch_op.drop_index('ix_mutes_muted_id')

    op.drop_table('mutes')
    with op.batch_alter_table('blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_blocks_blocked_id_blocker_id')

    op.drop_table('blocks')
