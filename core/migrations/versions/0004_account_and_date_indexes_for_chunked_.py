"""account and date indexes for chunked signal reads

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:15:13.792871
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_occurred_at'))
        batch_op.create_index('ix_interaction_account_occurred', ['account_id', 'occurred_at'], unique=False)

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_due_on'))
        batch_op.create_index('ix_invoice_account_due', ['account_id', 'due_on'], unique=False)

    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_ticket_opened_at'))
        batch_op.create_index('ix_support_ticket_account_opened', ['account_id', 'opened_at'], unique=False)

    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_responded_on'))
        batch_op.create_index('ix_survey_response_account_responded', ['account_id', 'responded_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_response_account_responded')
        batch_op.create_index(batch_op.f('ix_survey_response_responded_on'), ['responded_on'], unique=False)

    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_support_ticket_account_opened')
        batch_op.create_index(batch_op.f('ix_support_ticket_opened_at'), ['opened_at'], unique=False)

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_account_due')
        batch_op.create_index(batch_op.f('ix_invoice_due_on'), ['due_on'], unique=False)

    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_interaction_account_occurred')
        batch_op.create_index(batch_op.f('ix_interaction_occurred_at'), ['occurred_at'], unique=False)

