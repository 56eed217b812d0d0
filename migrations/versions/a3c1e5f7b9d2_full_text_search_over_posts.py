"""full-text search over posts

Revision ID: a3c1e5f7b9d2
Revises: 5759d16cd511
Create Date: 2026-11-30 05:30:00.000000

- SQLite: an FTS5 table posts_fts (porter stemming, unicode61, diacritics
  removed) with external content on posts, kept in step by three triggers,
  and filled from the posts already there.
- PostgreSQL: a stored generated column posts.search_vector,
  to_tsvector('english', body), with a GIN index.

The statements are written out here rather than imported from
app/search_schema.py, so that this revision keeps meaning what it meant.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a3c1e5f7b9d2'
down_revision = '5759d16cd511'
branch_labels = None
depends_on = None

SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE posts_fts USING fts5(body, content='posts', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF body ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO posts_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS posts_fts_update",
    "DROP TRIGGER IF EXISTS posts_fts_delete",
    "DROP TRIGGER IF EXISTS posts_fts_insert",
    "DROP TABLE IF EXISTS posts_fts",
]
PG_UPGRADE = [
    "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english'::regconfig, body)) STORED",
    "SET LOCAL maintenance_work_mem = '256MB'",
    "CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)",
]
PG_DOWNGRADE = [
    "DROP INDEX IF EXISTS ix_posts_search_vector",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
]


def _run(sqlite, postgresql):
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": sqlite, "postgresql": postgresql}.get(dialect, []):
        op.execute(statement)


def upgrade():
    _run(SQLITE_UPGRADE, PG_UPGRADE)


def downgrade():
    _run(SQLITE_DOWNGRADE, PG_DOWNGRADE)
