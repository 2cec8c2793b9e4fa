"""briefing: the weekly briefing per audience and week, with its facts and how its narrative was produced

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('briefing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('owner_csm', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('facts', JSON, nullable=False),
    sa.Column('produced_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('findings', JSON, nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('audience', 'as_of', name='uq_briefing_audience_as_of')
    )
    with op.batch_alter_table('briefing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_audience'), ['audience'], unique=False)
        batch_op.create_index(batch_op.f('ix_briefing_owner_csm'), ['owner_csm'], unique=False)
        batch_op.create_index(batch_op.f('ix_briefing_as_of'), ['as_of'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('briefing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_briefing_as_of'))
        batch_op.drop_index(batch_op.f('ix_briefing_owner_csm'))
        batch_op.drop_index(batch_op.f('ix_briefing_audience'))
    op.drop_table('briefing')
