"""scorecards and csm assessments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 22:45:55.282850
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('csm_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('assessed_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'assessed_on', name='uq_csm_assessment')
    )
    with op.batch_alter_table('csm_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csm_assessment_account_id'), ['account_id'], unique=False)

    op.create_table('scorecard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('completeness', sa.Float(), nullable=False),
    sa.Column('trend', sa.Float(), nullable=True),
    sa.Column('previous_score', sa.Float(), nullable=True),
    sa.Column('group_scores', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('contributions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('csm_band', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('csm_assessed_on', sa.Date(), nullable=True),
    sa.Column('disagreement', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'as_of', name='uq_scorecard_account_as_of')
    )
    with op.batch_alter_table('scorecard', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecard_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scorecard_as_of'), ['as_of'], unique=False)
        batch_op.create_index(batch_op.f('ix_scorecard_band'), ['band'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scorecard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecard_band'))
        batch_op.drop_index(batch_op.f('ix_scorecard_as_of'))
        batch_op.drop_index(batch_op.f('ix_scorecard_account_id'))

    op.drop_table('scorecard')
    with op.batch_alter_table('csm_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csm_assessment_account_id'))

    op.drop_table('csm_assessment')
