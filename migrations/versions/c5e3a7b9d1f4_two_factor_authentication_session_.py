"""two-factor authentication, public ids for login sessions

Revision ID: c5e3a7b9d1f4
Revises: b4d2f6a8c0e3
Create Date: 2026-11-30 05:55:21.727941

- users gain totp_secret (encrypted with a key derived from SECRET_KEY),
  two_factor_enabled and totp_last_step (the last accepted time step, so a
  code is never accepted twice).
- recovery_codes: single-use codes, kept as SHA-256 digests.
- login_sessions gain public_id, the random id the sessions page revokes by;
  existing rows get one each.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e3a7b9d1f4'
down_revision = 'b4d2f6a8c0e3'
branch_labels = None
depends_on = None

AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade():
    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    # Plain ALTER TABLE ADD COLUMN: rebuilding users on SQLite would lose
    # its AUTOINCREMENT.
    op.add_column('users', sa.Column('totp_secret', sa.String(length=256), nullable=True))
    op.add_column('users', sa.Column('two_factor_enabled', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('users', sa.Column('totp_last_step', sa.BigInteger(), nullable=True))

    # Nullable first, filled row by row, then required and unique.
    op.add_column('login_sessions', sa.Column('public_id', sa.String(length=32), nullable=True))
    bind = op.get_bind()
    sessions = sa.table('login_sessions', sa.column('id', sa.Integer), sa.column('public_id', sa.String))
    for (row_id,) in bind.execute(sa.select(sessions.c.id)).all():
        bind.execute(
            sessions.update()
            .where(sessions.c.id == row_id)
            .values(public_id=secrets.token_urlsafe(16))
        )
    # SQLite rebuilds the table here; it keeps AUTOINCREMENT only if told.
    with op.batch_alter_table('login_sessions', schema=None, table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_login_sessions_public_id'), ['public_id'])


def downgrade():
    with op.batch_alter_table('login_sessions', schema=None, table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_login_sessions_public_id'), type_='unique')
        batch_op.drop_column('public_id')

    with op.batch_alter_table('users', schema=None, table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('two_factor_enabled')
        batch_op.drop_column('totp_secret')

    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))

    op.drop_table('recovery_codes')
