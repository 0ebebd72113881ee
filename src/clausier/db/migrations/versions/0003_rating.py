"""rating: CDR imports, tariffs, usage summaries, breaches, alerts, penalties, payouts

Revision ID: 0003_rating
Revises: 0002_contracts
Create Date: 2026-11-24 01:58:52.368715
"""
from alembic import op
import sqlalchemy as sa
import clausier.db.types


revision = '0003_rating'
down_revision = '0002_contracts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cdr_import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('months', sa.JSON(), nullable=False),
    sa.Column('reject_file', sa.String(length=500), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('started_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.Column('finished_at', clausier.db.types.Instant(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cdr_import_batches'))
    )
    op.create_table('usage_tariffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=120), nullable=False),
    sa.Column('destination', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('price', clausier.db.types.UnitPrice(precision=14, scale=6), nullable=False),
    sa.Column('setup', clausier.db.types.UnitPrice(precision=14, scale=6), nullable=False),
    sa.Column('increment', sa.String(length=10), nullable=False),
    sa.Column('price_basis', sa.String(length=3), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_tariffs')),
    sa.UniqueConstraint('scope', 'destination', 'kind', 'valid_from', name=op.f('uq_usage_tariffs_scope'))
    )
    with op.batch_alter_table('usage_tariffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_tariffs_scope'), ['scope'], unique=False)

    op.create_table('cdr_rejects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['cdr_import_batches.id'], name=op.f('fk_cdr_rejects_batch_id_cdr_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cdr_rejects'))
    )
    with op.batch_alter_table('cdr_rejects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cdr_rejects_batch_id'), ['batch_id'], unique=False)

    op.create_table('fair_use_breaches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('window', sa.String(length=20), nullable=False),
    sa.Column('per', sa.String(length=40), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('limit', sa.String(length=30), nullable=False),
    sa.Column('measured', sa.String(length=30), nullable=False),
    sa.Column('consequence', sa.String(length=40), nullable=False),
    sa.Column('clause', sa.String(length=300), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('detected_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', clausier.db.types.Instant(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_fair_use_breaches_customer_id_customers')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_fair_use_breaches_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fair_use_breaches')),
    sa.UniqueConstraint('subscription_id', 'month', 'metric', name=op.f('uq_fair_use_breaches_subscription_id'))
    )
    with op.batch_alter_table('fair_use_breaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fair_use_breaches_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fair_use_breaches_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_fair_use_breaches_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_fair_use_breaches_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('fraud_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('clause', sa.String(length=300), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('detected_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', clausier.db.types.Instant(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_fraud_alerts_customer_id_customers')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_fraud_alerts_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_alerts')),
    sa.UniqueConstraint('subscription_id', 'month', 'kind', name=op.f('uq_fraud_alerts_subscription_id'))
    )
    with op.batch_alter_table('fraud_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fraud_alerts_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fraud_alerts_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_fraud_alerts_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_fraud_alerts_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('rated_usage_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('usage_period', sa.String(length=7), nullable=False),
    sa.Column('amount', clausier.db.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('price_basis', sa.String(length=3), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('computed_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.Column('billed_invoice_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_rated_usage_summaries_customer_id_customers')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_rated_usage_summaries_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rated_usage_summaries')),
    sa.UniqueConstraint('subscription_id', 'month', 'usage_period', name=op.f('uq_rated_usage_summaries_subscription_id'))
    )
    with op.batch_alter_table('rated_usage_summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rated_usage_summaries_billed_invoice_id'), ['billed_invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rated_usage_summaries_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rated_usage_summaries_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_rated_usage_summaries_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('roaming_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('national_voice_s', sa.Integer(), nullable=False),
    sa.Column('roaming_voice_s', sa.Integer(), nullable=False),
    sa.Column('national_messages', sa.Integer(), nullable=False),
    sa.Column('roaming_messages', sa.Integer(), nullable=False),
    sa.Column('national_bytes', sa.BigInteger(), nullable=False),
    sa.Column('roaming_bytes', sa.BigInteger(), nullable=False),
    sa.Column('national_days', sa.Integer(), nullable=False),
    sa.Column('roaming_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_roaming_months_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roaming_months')),
    sa.UniqueConstraint('subscription_id', 'month', name=op.f('uq_roaming_months_subscription_id'))
    )
    with op.batch_alter_table('roaming_months', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roaming_months_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('sva_payout_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('amount', clausier.db.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('invoice_deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_sva_payout_claims_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sva_payout_claims'))
    )
    with op.batch_alter_table('sva_payout_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sva_payout_claims_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('penalty_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('amount', clausier.db.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('price_basis', sa.String(length=3), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('proposed_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', clausier.db.types.Instant(timezone=True), nullable=True),
    sa.Column('charge_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['fraud_alerts.id'], name=op.f('fk_penalty_proposals_alert_id_fraud_alerts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_penalty_proposals_customer_id_customers')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_penalty_proposals_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_penalty_proposals')),
    sa.UniqueConstraint('source_key', name=op.f('uq_penalty_proposals_source_key'))
    )
    with op.batch_alter_table('penalty_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_penalty_proposals_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_penalty_proposals_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_penalty_proposals_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_penalty_proposals_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('sva_payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('amount', clausier.db.types.UnitPrice(precision=14, scale=6), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['sva_payout_claims.id'], name=op.f('fk_sva_payouts_claim_id_sva_payout_claims')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_sva_payouts_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sva_payouts')),
    sa.UniqueConstraint('subscription_id', 'day', name=op.f('uq_sva_payouts_subscription_id'))
    )
    with op.batch_alter_table('sva_payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sva_payouts_subscription_id'), ['subscription_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sva_payouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sva_payouts_subscription_id'))

    op.drop_table('sva_payouts')
    with op.batch_alter_table('penalty_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_penalty_proposals_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_penalty_proposals_status'))
        batch_op.drop_index(batch_op.f('ix_penalty_proposals_customer_id'))
        batch_op.drop_index(batch_op.f('ix_penalty_proposals_alert_id'))

    op.drop_table('penalty_proposals')
    with op.batch_alter_table('sva_payout_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sva_payout_claims_subscription_id'))

    op.drop_table('sva_payout_claims')
    with op.batch_alter_table('roaming_months', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roaming_months_subscription_id'))

    op.drop_table('roaming_months')
    with op.batch_alter_table('rated_usage_summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rated_usage_summaries_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_rated_usage_summaries_month'))
        batch_op.drop_index(batch_op.f('ix_rated_usage_summaries_customer_id'))
        batch_op.drop_index(batch_op.f('ix_rated_usage_summaries_billed_invoice_id'))

    op.drop_table('rated_usage_summaries')
    with op.batch_alter_table('fraud_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fraud_alerts_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_fraud_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_fraud_alerts_month'))
        batch_op.drop_index(batch_op.f('ix_fraud_alerts_customer_id'))

    op.drop_table('fraud_alerts')
    with op.batch_alter_table('fair_use_breaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fair_use_breaches_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_fair_use_breaches_status'))
        batch_op.drop_index(batch_op.f('ix_fair_use_breaches_month'))
        batch_op.drop_index(batch_op.f('ix_fair_use_breaches_customer_id'))

    op.drop_table('fair_use_breaches')
    with op.batch_alter_table('cdr_rejects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cdr_rejects_batch_id'))

    op.drop_table('cdr_rejects')
    with op.batch_alter_table('usage_tariffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_tariffs_scope'))

    op.drop_table('usage_tariffs')
    op.drop_table('cdr_import_batches')
