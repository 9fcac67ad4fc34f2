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

"""Server engines auto-enrolled by discovery (at most once each).

Revision ID: 9b3e5d1f2c47
Revises: 4f1c2b7e9a10
Create Date: 2026-12-02 09:00:00

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9b3e5d1f2c47'
down_revision = '4f1c2b7e9a10'


def upgrade():
    op.create_table(
        'expether_enrolled_servers',
        sa.Column('id', sa.Integer(), primary_key=True, nullable=False),
        sa.Column('pod_manager_uuid', sa.String(36), nullable=False),
        sa.Column('eeid', sa.String(32), nullable=False),
        sa.Column('node_uuid', sa.String(36), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['pod_manager_uuid'], ['expether_pod_managers.uuid'],
            name='expether_enrolled_servers_pod_manager_uuid_fkey'),
        sa.UniqueConstraint(
            'pod_manager_uuid', 'eeid',
            name='uniq_expether_enrolled_servers0pod_manager_uuid0eeid'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
