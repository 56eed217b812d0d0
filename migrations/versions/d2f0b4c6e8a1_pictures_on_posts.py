"""pictures on posts

Revision ID: d2f0b4c6e8a1
Revises: f8a6b0c2d4e7
Create Date: 2026-11-30 08:45:00.000000

- media: an uploaded picture (its owner, the post that took it and its
  place there, the content-hash file names of the picture and its
  thumbnail, alt text, size). Unattached rows are API uploads waiting for
  their post; a partial index serves the job that clears old ones.
- posts.media_count: how many pictures a post has, so a page without any
  never reads the media table.

posts gains its column by plain ADD COLUMN: a batch rebuild of posts would
drop its AUTOINCREMENT and the full-text search triggers on SQLite.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2f0b4c6e8a1'
down_revision = 'f8a6b0c2d4e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('thumbnail_name', sa.String(length=80), nullable=False),
    sa.Column('alt', sa.String(length=1500), server_default='', nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_media_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_media_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
    sqlite_autoincrement=True
    )
    op.create_index('ix_media_name', 'media', ['name'], unique=False)
    op.create_index('ix_media_post_id_position', 'media', ['post_id', 'position'], unique=False)
    op.create_index('ix_media_thumbnail_name', 'media', ['thumbnail_name'], unique=False)
    op.create_index('ix_media_unattached', 'media', ['created_at'], unique=False, sqlite_where=sa.text('post_id IS NULL'), postgresql_where=sa.text('post_id IS NULL'))
    op.create_index('ix_media_user_id', 'media', ['user_id'], unique=False)

    # Plain ALTER TABLE, not a batch (see the module docstring).
    op.add_column('posts', sa.Column('media_count', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    # SQLite 3.35+ drops columns in place, keeping AUTOINCREMENT and triggers.
    op.drop_column('posts', 'media_count')
    op.drop_table('media')
