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

"""Tables of the device pool.

Every table name starts with ``expether_`` so that the pool can live in
Ironic's own database beside Ironic's tables. The migrations in
``ironic_expether/pool/db/alembic`` create exactly these tables; a unit
test compares the two.

Vocabulary:

* Pod manager ``status``: ``online``, ``offline`` or ``unknown`` (never
  checked yet). The Valence facade shows them as ``Online``/``Offline``.
* Device ``state``: see :data:`DEVICE_STATES`.
* Device ``purpose``: why a node holds it, see :data:`PURPOSES`.
"""

from oslo_db.sqlalchemy import models as oslo_models
from oslo_db.sqlalchemy import types as db_types
from oslo_utils import timeutils
import sqlalchemy as sa
from sqlalchemy import orm

POD_MANAGER_ONLINE = 'online'
POD_MANAGER_OFFLINE = 'offline'
POD_MANAGER_UNKNOWN = 'unknown'
POD_MANAGER_STATUSES = (POD_MANAGER_ONLINE, POD_MANAGER_OFFLINE,
                        POD_MANAGER_UNKNOWN)

#: In the pool (EEM group 4093), nobody holds it.
DEVICE_FREE = 'free'
#: Held by ``node_uuid``; EEM has it in that node's group.
DEVICE_ALLOCATED = 'allocated'
#: Held by ``node_uuid`` while an EEM move (connect or disconnect) is in
#: flight, since ``claimed_at``. Discovery repairs claims older than
#: ``[expether] claim_timeout`` from EEM's view.
DEVICE_CLAIMED = 'claimed'
#: EEM no longer reports the device, or reports it down. The record keeps
#: its uuid (and its holder, if any) until the device comes back.
DEVICE_MISSING = 'missing'
DEVICE_STATES = (DEVICE_FREE, DEVICE_ALLOCATED, DEVICE_CLAIMED,
                 DEVICE_MISSING)

#: Attached by compose, manage or attach; stays until released.
PURPOSE_COMPOSITION = 'composition'
#: Attached by the compose_devices deploy step; returned at teardown.
PURPOSE_DEPLOYMENT = 'deployment'
#: Attached by the attach_devices service step to a deployed node; stays
#: until detached, or returned at teardown like deployment devices.
PURPOSE_SERVICE = 'service'
PURPOSES = (PURPOSE_COMPOSITION, PURPOSE_DEPLOYMENT, PURPOSE_SERVICE)
#: Purposes of the devices a node lists in its properties and traits.
LISTED_PURPOSES = (PURPOSE_COMPOSITION, PURPOSE_SERVICE)
#: Purposes of the devices returned when the node is torn down.
TEARDOWN_PURPOSES = (PURPOSE_DEPLOYMENT, PURPOSE_SERVICE)

KIND_EEIO = 'eeio'

MASK = '******'


def _table_args(*items):
    return items + ({'mysql_engine': 'InnoDB',
                     'mysql_charset': 'utf8mb4'},)


class Base(orm.DeclarativeBase, oslo_models.ModelBase):
    """Base of the pool's models."""

    def as_dict(self):
        """The record as a plain dict of column values.

        :returns: a dict keyed by column name.
        """
        return {c.name: getattr(self, c.name) for c in self.__table__.columns}

    def __repr__(self):
        return '<%s %s>' % (type(self).__name__,
                            getattr(self, 'uuid', None))


class PodManager(oslo_models.TimestampMixin, Base):
    """One ExpEther Manager (EEM) endpoint."""

    __tablename__ = 'expether_pod_managers'
    __table_args__ = _table_args(
        sa.UniqueConstraint('uuid', name='uniq_expether_pod_managers0uuid'),
        sa.UniqueConstraint('url', name='uniq_expether_pod_managers0url'),
        sa.UniqueConstraint('name', name='uniq_expether_pod_managers0name'),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    url = sa.Column(sa.String(255), nullable=False)
    username = sa.Column(sa.String(255), nullable=True)
    password = sa.Column(sa.String(255), nullable=True)
    verify = sa.Column(sa.String(255), nullable=False, default='True')
    driver = sa.Column(sa.String(32), nullable=False, default='expether')
    status = sa.Column(sa.String(16), nullable=False,
                       default=POD_MANAGER_UNKNOWN)
    status_reason = sa.Column(sa.Text, nullable=True)

    def as_dict(self, show_password=False):
        """The record as a dict, with the password masked.

        :param show_password: return the password in clear text; only for
            code that talks to EEM, never for an API answer or a log.
        :returns: a dict keyed by column name.
        """
        values = super().as_dict()
        if values['password'] and not show_password:
            values['password'] = MASK
        return values

    def __repr__(self):
        return '<PodManager %s %s %s>' % (self.uuid, self.name, self.url)


class Device(oslo_models.TimestampMixin, Base):
    """One IO engine (EEIO) and the PCIe device behind it."""

    __tablename__ = 'expether_devices'
    __table_args__ = _table_args(
        sa.UniqueConstraint('uuid', name='uniq_expether_devices0uuid'),
        sa.UniqueConstraint(
            'pod_manager_uuid', 'eeid',
            name='uniq_expether_devices0pod_manager_uuid0eeid'),
        sa.Index('expether_devices_pod_manager_state_type_idx',
                 'pod_manager_uuid', 'state', 'type'),
        sa.Index('expether_devices_node_uuid_idx', 'node_uuid'),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    pod_manager_uuid = sa.Column(
        sa.String(36),
        sa.ForeignKey('expether_pod_managers.uuid',
                      name='expether_devices_pod_manager_uuid_fkey'),
        nullable=False)
    eeid = sa.Column(sa.String(32), nullable=False)
    kind = sa.Column(sa.String(8), nullable=False, default=KIND_EEIO)
    type = sa.Column(sa.String(16), nullable=True)
    vendor_name = sa.Column(sa.String(255), nullable=True)
    device_name = sa.Column(sa.String(255), nullable=True)
    pci_vendor_id = sa.Column(sa.Integer, nullable=True)
    pci_device_id = sa.Column(sa.Integer, nullable=True)
    pci_class = sa.Column(sa.Integer, nullable=True)
    mac_address = sa.Column(sa.String(17), nullable=True)
    model = sa.Column(sa.String(16), nullable=True)
    group_id = sa.Column(sa.String(8), nullable=True)
    state = sa.Column(sa.String(16), nullable=False, default=DEVICE_FREE)
    node_uuid = sa.Column(sa.String(36), nullable=True)
    purpose = sa.Column(sa.String(16), nullable=True)
    claimed_at = sa.Column(sa.DateTime, nullable=True)

    def __repr__(self):
        return '<Device %s %s %s>' % (self.uuid, self.eeid, self.state)


class Flavor(oslo_models.TimestampMixin, Base):
    """A stored composition request (Valence's flavor)."""

    __tablename__ = 'expether_flavors'
    __table_args__ = _table_args(
        sa.UniqueConstraint('uuid', name='uniq_expether_flavors0uuid'),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    description = sa.Column(sa.Text, nullable=True)
    properties = sa.Column(db_types.JsonEncodedDict, nullable=True)


class Lease(oslo_models.TimestampMixin, Base):
    """Who syncs a pod manager until when (used by discovery)."""

    __tablename__ = 'expether_leases'
    __table_args__ = _table_args()

    pod_manager_uuid = sa.Column(
        sa.String(36),
        sa.ForeignKey('expether_pod_managers.uuid',
                      name='expether_leases_pod_manager_uuid_fkey'),
        primary_key=True)
    holder = sa.Column(sa.String(255), nullable=False)
    expires_at = sa.Column(sa.DateTime, nullable=False)

    def __repr__(self):
        return '<Lease %s %s %s>' % (self.pod_manager_uuid, self.holder,
                                     self.expires_at)


class EnrolledServer(Base):
    """A server engine (EESV) discovery has enrolled as an Ironic node.

    Written before the node is created; the unique (pod manager, EE id)
    decides which of several conductors enrolls the engine, and the row
    outlives the node, so that ``[expether] auto_enroll`` enrolls each
    engine at most once: a node an operator deleted is not enrolled again.
    """

    __tablename__ = 'expether_enrolled_servers'
    __table_args__ = _table_args(
        sa.UniqueConstraint(
            'pod_manager_uuid', 'eeid',
            name='uniq_expether_enrolled_servers0pod_manager_uuid0eeid'),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    pod_manager_uuid = sa.Column(
        sa.String(36),
        sa.ForeignKey('expether_pod_managers.uuid',
                      name='expether_enrolled_servers_pod_manager_uuid_fkey'),
        nullable=False)
    eeid = sa.Column(sa.String(32), nullable=False)
    node_uuid = sa.Column(sa.String(36), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False,
                           default=lambda: timeutils.utcnow())

    def __repr__(self):
        return '<EnrolledServer %s %s %s>' % (self.pod_manager_uuid,
                                              self.eeid, self.node_uuid)
