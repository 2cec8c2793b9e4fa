"""health model versions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 22:56:45.619240
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('health_model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('source_file', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('applied_to', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('applied_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('applied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('health_model_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_health_model_version_version'), ['version'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('health_model_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_health_model_version_version'))

    op.drop_table('health_model_version')
