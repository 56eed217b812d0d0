"""content generation: a counter that triggers move on every content change

Revision ID: b7e2c4d91a05
Revises: 6ad64c156dd8
Create Date: 2026-11-26 02:10:00.000000

The page cache keys rendered pages on this number (see app/generation.py).
The trigger SQL is written out here rather than imported, so this migration
keeps doing what it did when the application code moves on.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c4d91a05'
down_revision = '6ad64c156dd8'
branch_labels = None
depends_on = None

TABLES = ("users", "posts", "follows", "api_tokens")
BUMP = (
    "INSERT INTO content_generation (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = content_generation.value + 1"
)


def upgrade():
    op.create_table('content_generation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_generation'))
    )
    op.execute("INSERT INTO content_generation (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION wren_bump_generation() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER wren_generation AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION wren_bump_generation()"
            )
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER wren_generation_{table}_{event} "
                    f"AFTER {event.upper()} ON {table} BEGIN {BUMP}; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS wren_generation ON {table}")
        op.execute("DROP FUNCTION IF EXISTS wren_bump_generation()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS wren_generation_{table}_{event}")
    op.drop_table('content_generation')
