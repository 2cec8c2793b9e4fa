"""fact records on alerts and outbox messages

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 06:00:00

Each generated text keeps the raw facts it was written from, so its faithfulness can be checked against
them and nothing else. Rows written before this revision get an empty record.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    for table in ('alert', 'outbox_message'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('facts', _JSON, nullable=False, server_default='{}'))


def downgrade() -> None:
    for table in ('outbox_message', 'alert'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('facts')
