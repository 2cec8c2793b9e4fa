"""source tables

Revision ID: 0001
Revises:
Create Date: 2026-11-22 22:14:44.241330
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('industry', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('arr', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('plan', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('plan_limits', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('seats_purchased', sa.Integer(), nullable=True),
    sa.Column('owner_csm', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('customer_since', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('churned_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_external_id'), ['external_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_account_owner_csm'), ['owner_csm'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_segment'), ['segment'], unique=False)

    op.create_table('import_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('file_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('account_metric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'date', 'name', name='uq_account_metric')
    )
    with op.batch_alter_table('account_metric', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_metric_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_metric_name'), ['name'], unique=False)

    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('roles', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('departed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_external_id'), ['external_id'], unique=True)

    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('auto_renew', sa.Boolean(), nullable=False),
    sa.Column('arr', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('plan', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=True),
    sa.Column('products', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('billing_frequency', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_end_date'), ['end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_external_id'), ['external_id'], unique=True)

    op.create_table('interaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('occurred_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('internal_participants', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interaction_external_id'), ['external_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_interaction_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('usage_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('logins', sa.Integer(), nullable=True),
    sa.Column('active_users', sa.Integer(), nullable=True),
    sa.Column('seats_used', sa.Integer(), nullable=True),
    sa.Column('features_used', sa.Integer(), nullable=True),
    sa.Column('features', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('api_calls', sa.Integer(), nullable=True),
    sa.Column('storage_gb', sa.Float(), nullable=True),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'period_start', 'period', name='uq_usage_account_period')
    )
    with op.batch_alter_table('usage_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_snapshot_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_snapshot_period_start'), ['period_start'], unique=False)

    op.create_table('interaction_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('interaction_id', 'contact_id', name='uq_interaction_participant')
    )
    with op.batch_alter_table('interaction_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_participant_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interaction_participant_interaction_id'), ['interaction_id'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('amount_paid', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_external_id'), ['external_id'], unique=True)

    op.create_table('market_signal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('company_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('person_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('market_signal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_signal_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_signal_external_id'), ['external_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_market_signal_published_on'), ['published_on'], unique=False)

    op.create_table('support_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('first_response_minutes', sa.Integer(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_ticket_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_ticket_external_id'), ['external_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_support_ticket_opened_at'), ['opened_at'], unique=False)

    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('survey', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('verbatim', sa.Text(), nullable=True),
    sa.Column('responded_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_response_external_id'), ['external_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_survey_response_responded_on'), ['responded_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_responded_on'))
        batch_op.drop_index(batch_op.f('ix_survey_response_external_id'))
        batch_op.drop_index(batch_op.f('ix_survey_response_account_id'))

    op.drop_table('survey_response')
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_ticket_opened_at'))
        batch_op.drop_index(batch_op.f('ix_support_ticket_external_id'))
        batch_op.drop_index(batch_op.f('ix_support_ticket_account_id'))

    op.drop_table('support_ticket')
    with op.batch_alter_table('market_signal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_signal_published_on'))
        batch_op.drop_index(batch_op.f('ix_market_signal_external_id'))
        batch_op.drop_index(batch_op.f('ix_market_signal_account_id'))

    op.drop_table('market_signal')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_external_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_due_on'))
        batch_op.drop_index(batch_op.f('ix_invoice_account_id'))

    op.drop_table('invoice')
    with op.batch_alter_table('interaction_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_participant_interaction_id'))
        batch_op.drop_index(batch_op.f('ix_interaction_participant_contact_id'))

    op.drop_table('interaction_participant')
    with op.batch_alter_table('usage_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_snapshot_period_start'))
        batch_op.drop_index(batch_op.f('ix_usage_snapshot_account_id'))

    op.drop_table('usage_snapshot')
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_interaction_external_id'))
        batch_op.drop_index(batch_op.f('ix_interaction_account_id'))

    op.drop_table('interaction')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_external_id'))
        batch_op.drop_index(batch_op.f('ix_contract_end_date'))
        batch_op.drop_index(batch_op.f('ix_contract_account_id'))

    op.drop_table('contract')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_external_id'))
        batch_op.drop_index(batch_op.f('ix_contact_email'))
        batch_op.drop_index(batch_op.f('ix_contact_account_id'))

    op.drop_table('contact')
    with op.batch_alter_table('account_metric', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_metric_name'))
        batch_op.drop_index(batch_op.f('ix_account_metric_account_id'))

    op.drop_table('account_metric')
    op.drop_table('import_run')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_segment'))
        batch_op.drop_index(batch_op.f('ix_account_parent_id'))
        batch_op.drop_index(batch_op.f('ix_account_owner_csm'))
        batch_op.drop_index(batch_op.f('ix_account_external_id'))

    op.drop_table('account')
