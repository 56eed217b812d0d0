"""private messages and per-person conversation summaries

Revision ID: b4d2f6a8c0e3
Revises: a3c1e5f7b9d2
Create Date: 2026-11-30 05:30:00.000000

- messages: one row per message, with its read state. Pages read each
  direction of a conversation from (sender_id, recipient_id, id); a partial
  index on the unread rows serves marking a conversation read.
- conversations: each person's summary of each conversation (the other
  person, the last message, the unread count), kept in step by the send and
  read statements, so the list and the badge never count messages.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4d2f6a8c0e3'
down_revision = 'a3c1e5f7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_messages_recipient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_messages_sender_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_recipient_id', ['recipient_id'], unique=False)
        batch_op.create_index('ix_messages_sender_id_recipient_id_id', ['sender_id', 'recipient_id', 'id'], unique=False)
        batch_op.create_index('ix_messages_unread', ['recipient_id', 'sender_id'], unique=False, sqlite_where=sa.text('read = 0'), postgresql_where=sa.text('NOT read'))

    op.create_table('conversations',
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('last_message_id', sa.Integer(), nullable=False),
    sa.Column('unread', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['users.id'], name=op.f('fk_conversations_other_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_conversations_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('owner_id', 'other_id', name=op.f('pk_conversations'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_other_id', ['other_id'], unique=False)
        batch_op.create_index('ix_conversations_owner_id_last_message_id', ['owner_id', 'last_message_id'], unique=False)
        batch_op.create_index('ix_conversations_unread', ['owner_id', 'unread'], unique=False, sqlite_where=sa.text('unread > 0'), postgresql_where=sa.text('unread > 0'))


def downgrade():
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_unread', sqlite_where=sa.text('unread > 0'), postgresql_where=sa.text('unread > 0'))
        batch_op.drop_index('ix_conversations_owner_id_last_message_id')
        batch_op.drop_index('ix_conversations_other_id')

    op.drop_table('conversations')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_unread', sqlite_where=sa.text('read = 0'), postgresql_where=sa.text('NOT read'))
        batch_op.drop_index('ix_messages_sender_id_recipient_id_id')
        batch_op.drop_index('ix_messages_recipient_id')

    op.drop_table('messages')
