"""interoperability: stable exchange ids, imported STIX/MISP context, TAXII statuses, worker
heartbeats (issue 20 items 1, 2, 3, 4, 7)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 20:05:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """A UUIDv4 kept per object and format; the context an import reads (malware, actors,
    attack patterns, relationships, sightings …) kept as received; the status resource of each
    envelope pushed over TAXII; the delivery workers' heartbeats."""
    op.create_table(
        'exchange_ids',
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('local_key', sa.String(length=300), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('kind', 'local_key', name=op.f('pk_exchange_ids')),
        sa.UniqueConstraint('uuid', name=op.f('uq_exchange_ids_uuid')),
    )
    op.create_table(
        'intel_objects',
        sa.Column('id', ID, nullable=False),
        sa.Column('body_id', sa.Integer(), nullable=False),
        sa.Column('origin', sa.String(length=10), nullable=False),
        sa.Column('stix_id', sa.String(length=120), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=500), nullable=False),
        sa.Column('external_id', sa.String(length=80), nullable=True),
        sa.Column('relationship_type', sa.String(length=60), nullable=True),
        sa.Column('source_ref', sa.String(length=120), nullable=True),
        sa.Column('target_ref', sa.String(length=120), nullable=True),
        sa.Column('monitoring_item_id', ID, nullable=True),
        sa.Column('tlp', sa.String(length=20), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('modified', TS, nullable=True),
        sa.Column('imported_by', sa.String(length=120), nullable=False),
        sa.Column('imported_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['body_id'], ['bodies.id'],
                                name=op.f('fk_intel_objects_body_id_bodies')),
        sa.ForeignKeyConstraint(['monitoring_item_id'], ['monitoring_items.id'],
                                ondelete='SET NULL',
                                name=op.f('fk_intel_objects_monitoring_item_id_monitoring_items')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_objects')),
        sa.UniqueConstraint('body_id', 'stix_id', name=op.f('uq_intel_objects_body_id')),
    )
    op.create_index(op.f('ix_intel_objects_body_id'), 'intel_objects', ['body_id'])
    op.create_index(op.f('ix_intel_objects_monitoring_item_id'), 'intel_objects',
                    ['monitoring_item_id'])
    op.create_index('ix_intel_objects_type', 'intel_objects', ['body_id', 'type'])
    op.create_index('ix_intel_objects_source', 'intel_objects', ['body_id', 'source_ref'])
    op.create_index('ix_intel_objects_target', 'intel_objects', ['body_id', 'target_ref'])
    op.create_table(
        'taxii_statuses',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('body_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('collection', sa.String(length=80), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('request_timestamp', TS, nullable=False),
        sa.Column('total_count', sa.Integer(), nullable=False),
        sa.Column('success_count', sa.Integer(), nullable=False),
        sa.Column('failure_count', sa.Integer(), nullable=False),
        sa.Column('pending_count', sa.Integer(), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['body_id'], ['bodies.id'],
                                name=op.f('fk_taxii_statuses_body_id_bodies')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_taxii_statuses_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_taxii_statuses')),
    )
    op.create_index(op.f('ix_taxii_statuses_body_id'), 'taxii_statuses', ['body_id'])
    op.create_table(
        'worker_heartbeats',
        sa.Column('worker', sa.String(length=120), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('started_at', TS, nullable=False),
        sa.Column('beat_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('worker', name=op.f('pk_worker_heartbeats')),
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeats')
    op.drop_index(op.f('ix_taxii_statuses_body_id'), table_name='taxii_statuses')
    op.drop_table('taxii_statuses')
    for name in ('ix_intel_objects_target', 'ix_intel_objects_source', 'ix_intel_objects_type',
                 op.f('ix_intel_objects_monitoring_item_id'), op.f('ix_intel_objects_body_id')):
        op.drop_index(name, table_name='intel_objects')
    op.drop_table('intel_objects')
    op.drop_table('exchange_ids')
