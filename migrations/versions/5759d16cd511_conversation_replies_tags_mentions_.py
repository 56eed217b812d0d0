"""conversation: replies, tags, mentions, likes, edits, notifications

Revision ID: 5759d16cd511
Revises: 86db62a3b31e
Create Date: 2026-11-30 02:45:02.003042

- posts gain in_reply_to_id (no foreign key: a reply outlives the post it
  answers), edited_at, and reply/like counters kept in step by the services.
- post_tags and post_mentions hold what a post's text names, parsed once.
- likes: one row per (user, post), unique.
- post_versions: the earlier texts of edited posts.
- notifications: one per (recipient, kind, actor, post), enforced by two
  partial unique indexes (with and without a post); a partial index on the
  unread rows serves the badge.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5759d16cd511'
down_revision = '86db62a3b31e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('likes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_likes_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_likes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_likes')),
    sa.UniqueConstraint('user_id', 'post_id', name=op.f('uq_likes_user_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('likes', schema=None) as batch_op:
        batch_op.create_index('ix_likes_post_id_id', ['post_id', 'id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notifications_actor_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_notifications_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_notifications_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_actor_id', ['actor_id'], unique=False)
        batch_op.create_index('ix_notifications_post_id', ['post_id'], unique=False)
        batch_op.create_index('ix_notifications_recipient_id_id', ['recipient_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_unread', ['recipient_id'], unique=False, sqlite_where=sa.text('read = 0'), postgresql_where=sa.text('NOT read'))
        batch_op.create_index('uq_notifications_no_post', ['recipient_id', 'kind', 'actor_id'], unique=True, sqlite_where=sa.text('post_id IS NULL'), postgresql_where=sa.text('post_id IS NULL'))
        batch_op.create_index('uq_notifications_post', ['recipient_id', 'kind', 'actor_id', 'post_id'], unique=True, sqlite_where=sa.text('post_id IS NOT NULL'), postgresql_where=sa.text('post_id IS NOT NULL'))

    op.create_table('post_mentions',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_mentions_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_post_mentions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'user_id', name=op.f('pk_post_mentions'))
    )
    with op.batch_alter_table('post_mentions', schema=None) as batch_op:
        batch_op.create_index('ix_post_mentions_user_id_post_id', ['user_id', 'post_id'], unique=False)

    op.create_table('post_tags',
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_tags_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tag', 'post_id', name=op.f('pk_post_tags'))
    )
    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.create_index('ix_post_tags_post_id', ['post_id'], unique=False)

    op.create_table('post_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=280), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_versions_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_versions'))
    )
    with op.batch_alter_table('post_versions', schema=None) as batch_op:
        batch_op.create_index('ix_post_versions_post_id_id', ['post_id', 'id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_reply_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reply_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('like_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_posts_in_reply_to_id_id', ['in_reply_to_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_in_reply_to_id_id')
        batch_op.drop_column('like_count')
        batch_op.drop_column('reply_count')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('in_reply_to_id')

    with op.batch_alter_table('post_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_post_versions_post_id_id')

    op.drop_table('post_versions')
    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_post_tags_post_id')

    op.drop_table('post_tags')
    with op.batch_alter_table('post_mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_post_mentions_user_id_post_id')

    op.drop_table('post_mentions')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('uq_notifications_post', sqlite_where=sa.text('post_id IS NOT NULL'), postgresql_where=sa.text('post_id IS NOT NULL'))
        batch_op.drop_index('uq_notifications_no_post', sqlite_where=sa.text('post_id IS NULL'), postgresql_where=sa.text('post_id IS NULL'))
        batch_op.drop_index('ix_notifications_unread', sqlite_where=sa.text('read = 0'), postgresql_where=sa.text('NOT read'))
        batch_op.drop_index('ix_notifications_recipient_id_id')
        batch_op.drop_index('ix_notifications_post_id')
        batch_op.drop_index('ix_notifications_actor_id')

    op.drop_table('notifications')
    with op.batch_alter_table('likes', schema=None) as batch_op:
        batch_op.drop_index('ix_likes_post_id_id')

    op.drop_table('likes')
