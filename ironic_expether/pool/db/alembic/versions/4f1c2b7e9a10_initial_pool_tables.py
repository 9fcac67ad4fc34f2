# Copyright 2026 The ironic-expether Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Initial pool tables: pod managers, devices, flavors, leases.

Revision ID: 4f1c2b7e9a10
Revises:
Create Date: 2026-11-25 07:00:00

"""

from alembic import op
from oslo_db.sqlalchemy import types as db_types
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '4f1c2b7e9a10'
down_revision = None

_MYSQL = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def _timestamps():
    return [sa.Column('created_at', sa.DateTime(), nullable=True),
            sa.Column('updated_at', sa.DateTime(), nullable=True)]


def upgrade():
    op.create_table(
        'expether_pod_managers',
        *_timestamps(),
        sa.Column('id', sa.Integer(), primary_key=True, nullable=False),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('url', sa.String(255), nullable=False),
        sa.Column('username', sa.String(255), nullable=True),
        sa.Column('password', sa.String(255), nullable=True),
        sa.Column('verify', sa.String(255), nullable=False),
        sa.Column('driver', sa.String(32), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.UniqueConstraint('uuid', name='uniq_expether_pod_managers0uuid'),
        sa.UniqueConstraint('url', name='uniq_expether_pod_managers0url'),
        sa.UniqueConstraint('name', name='uniq_expether_pod_managers0name'),
        **_MYSQL)
    op.create_table(
        'expether_devices',
        *_timestamps(),
        sa.Column('id', sa.Integer(), primary_key=True, nullable=False),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('pod_manager_uuid', sa.String(36), nullable=False),
        sa.Column('eeid', sa.String(32), nullable=False),
        sa.Column('kind', sa.String(8), nullable=False),
        sa.Column('type', sa.String(16), nullable=True),
        sa.Column('vendor_name', sa.String(255), nullable=True),
        sa.Column('device_name', sa.String(255), nullable=True),
        sa.Column('pci_vendor_id', sa.Integer(), nullable=True),
        sa.Column('pci_device_id', sa.Integer(), nullable=True),
        sa.Column('pci_class', sa.Integer(), nullable=True),
        sa.Column('mac_address', sa.String(17), nullable=True),
        sa.Column('model', sa.String(16), nullable=True),
        sa.Column('group_id', sa.String(8), nullable=True),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('node_uuid', sa.String(36), nullable=True),
        sa.Column('purpose', sa.String(16), nullable=True),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['pod_manager_uuid'], ['expether_pod_managers.uuid'],
            name='expether_devices_pod_manager_uuid_fkey'),
        sa.UniqueConstraint('uuid', name='uniq_expether_devices0uuid'),
        sa.UniqueConstraint(
            'pod_manager_uuid', 'eeid',
            name='uniq_expether_devices0pod_manager_uuid0eeid'),
        **_MYSQL)
    op.create_index('expether_devices_pod_manager_state_type_idx',
                    'expether_devices',
                    ['pod_manager_uuid', 'state', 'type'])
    op.create_index('expether_devices_node_uuid_idx', 'expether_devices',
                    ['node_uuid'])
    op.create_table(
        'expether_flavors',
        *_timestamps(),
        sa.Column('id', sa.Integer(), primary_key=True, nullable=False),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('properties', db_types.JsonEncodedDict(), nullable=True),
        sa.UniqueConstraint('uuid', name='uniq_expether_flavors0uuid'),
        **_MYSQL)
    op.create_table(
        'expether_leases',
        *_timestamps(),
        sa.Column('pod_manager_uuid', sa.String(36), primary_key=True,
                  nullable=False),
        sa.Column('holder', sa.String(255), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['pod_manager_uuid'], ['expether_pod_managers.uuid'],
            name='expether_leases_pod_manager_uuid_fkey'),
        **_MYSQL)
