"""account language and avatar

Revision ID: f8a6b0c2d4e7
Revises: e7a5c9d1f3b6
Create Date: 2026-11-30 08:30:00.000000

- users.language: the account's chosen language (en, es); NULL follows the
  browser's Accept-Language.
- users.avatar: the stored name of an uploaded avatar under MEDIA_ROOT;
  NULL shows the default (Gravatar or the local identicon).

Plain ADD COLUMN: a batch rebuild of users on SQLite would drop its
AUTOINCREMENT (ids must never be reused).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f8a6b0c2d4e7'
down_revision = 'e7a5c9d1f3b6'
branch_labels = None
depends_on = None

AUTOINCREMENT = {'sqlite_autoincrement': True}


def upgrade():
    op.add_column('users', sa.Column('language', sa.String(length=8), nullable=True))
    op.add_column('users', sa.Column('avatar', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None, table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.drop_column('avatar')
        batch_op.drop_column('language')
