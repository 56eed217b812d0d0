"""login sessions, ids never reused, no content generation

Revision ID: 86db62a3b31e
Revises: b7e2c4d91a05
Create Date: 2026-11-30 00:54:28.997293

- login_sessions: one row per login on one device; the session and
  remember-me cookies carry a random token whose SHA-256 is stored here,
  replacing users.session_version.
- users, posts and api_tokens never hand out an id again: SQLite tables are
  rebuilt with AUTOINCREMENT (PostgreSQL sequences never reuse ids).
- The content generation counter and its triggers are dropped.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '86db62a3b31e'
down_revision = 'b7e2c4d91a05'
branch_labels = None
depends_on = None

TRIGGER_TABLES = ("users", "posts", "follows", "api_tokens")
NEVER_REUSED = ("users", "posts", "api_tokens")


def _drop_generation_triggers(dialect):
    if dialect == "postgresql":
        for table in TRIGGER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS wren_generation ON {table}")
        op.execute("DROP FUNCTION IF EXISTS wren_bump_generation()")
    else:
        for table in TRIGGER_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS wren_generation_{table}_{event}")


def upgrade():
    dialect = op.get_bind().dialect.name
    _drop_generation_triggers(dialect)
    op.drop_table('content_generation')

    sqlite = dialect == "sqlite"
    for table in NEVER_REUSED:
        # On SQLite, rebuild the table as AUTOINCREMENT; its sequence starts
        # from the highest id copied over. Elsewhere this changes nothing.
        with op.batch_alter_table(
            table,
            recreate="always" if sqlite else "auto",
            table_kwargs={"sqlite_autoincrement": True},
        ) as batch_op:
            if table == "users":
                batch_op.drop_column('session_version')

    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('user_agent', sa.String(length=256), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    # Every login ends: the old cookies named users by id and version.
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
    op.drop_table('login_sessions')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))

    # Back to the counter, as its own migration made it (without its triggers,
    # which the previous revision's downgrade drops anyway).
    op.create_table('content_generation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_generation'))
    )
    op.execute("INSERT INTO content_generation (id, value) VALUES (1, 0)")
