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

"""A test base for composition and the Valence passthru methods.

The EEM client is an autospec mock of :class:`ironic_expether.eem.EEMClient`
whose methods answer from a small in-memory fabric (:class:`Fabric`), so
that group moves are visible to later reads, as with a real EEM. Nothing
else is mocked: Ironic's database, objects, task manager and the pool run
for real.
"""

from ironic.tests.unit.objects import utils as obj_utils
from oslo_utils import uuidutils

from ironic_expether import eem
from ironic_expether.tests.unit import base
from ironic_expether.tests.unit.pool import base as pool_base

EEM_URL = 'http://eem-1.test:8080/eem'
PASSWORD = 'S3cret-pw'

CLASS_CODES = {'GPU': '0x030200', 'SSD': '0x010802', 'NIC': '0x020000',
               'ACS': '0x120000', 'USB': '0x0c0330'}


def eesv_id(n):
    return '0x8cdf9d5300%02x' % n


def eeio_id(n):
    return '0x8cdf9d9100%02x' % n


class Fabric(object):
    """In-memory EEM: engines (EEM wire format) and group moves."""

    def __init__(self):
        self.raw = {}
        self.next_gid = 100
        self.fail_set_group_at = None
        self.set_group_calls = 0

    def add_eesv(self, n, group_id='4094', up=True, max_eeio_count=16,
                 power='on'):
        self.raw[eesv_id(n)] = base.raw_eesv(
            eesv_id(n), group_id=group_id, power=power,
            max_eeio_count=max_eeio_count, up=up, link=False,
            update_time=None, mac_address='8c:df:9d:53:00:%02x' % n,
            serial_number='SV%02d' % n, model='EESV-40G',
            host_model='host%d' % n, host_serial_number='HS%d' % n)
        return eesv_id(n)

    def add_eeio(self, n, pci_type='GPU', group_id='4093', up=True):
        self.raw[eeio_id(n)] = base.raw_eeio(
            eeio_id(n), group_id=group_id, up=up,
            class_code=CLASS_CODES[pci_type], link=False, update_time=None,
            mac_address='8c:df:9d:91:00:%02x' % n)
        return eeio_id(n)

    def group(self, eeid):
        return self.raw[eeid]['group_id']

    # EEMClient methods

    def api_version(self):
        return '1.0'

    def list_devices(self, status=None, group_id=None):
        return [eem.Device(dict(r)) for r in self.raw.values()
                if (status is None or r['status'] == status)
                and (group_id is None or r['group_id'] == str(group_id))]

    def get_device(self, eeid):
        try:
            return eem.Device(dict(self.raw[eeid.lower()]))
        except KeyError:
            raise eem.EEMNotFound('GET', 'devices/%s' % eeid, 404,
                                  code='40400', eem_message='No device')

    def set_group(self, eeid, group_id=None, update_time=None):
        self.set_group_calls += 1
        if self.set_group_calls == self.fail_set_group_at:
            raise eem.EEMServerError('PUT', 'devices/%s/group_id' % eeid,
                                     500, code='50000',
                                     eem_message='injected')
        if group_id is None:
            self.next_gid += 1
            group_id = str(self.next_gid)
        self.raw[eeid.lower()]['group_id'] = str(group_id)
        return str(group_id)

    def delete_group(self, eeid, update_time=None):
        record = self.raw[eeid.lower()]
        record['group_id'] = '4093' if record['status'] == 'eeio' else '4094'


class ComposeTestCase(pool_base.PoolTestCase, base.ExpEtherTestCase):
    """Pool tables, expether enabled, EEM answered by a :class:`Fabric`."""

    def setUp(self):
        super().setUp()
        self.fabric = Fabric()
        for name in ('api_version', 'list_devices', 'get_device',
                     'set_group', 'delete_group'):
            getattr(self.client, name).side_effect = getattr(self.fabric,
                                                             name)
        self.podm = self.create_podm(url=EEM_URL, password=PASSWORD)

    def add_pool_devices(self, podm, ids_types):
        """Put EEIOs into the fabric and the pool, as discovery would."""
        from ironic_expether.pool.db import api

        values = []
        for n, pci_type in ids_types:
            eeid = self.fabric.add_eeio(n, pci_type)
            values.append({'eeid': eeid, 'type': pci_type,
                           'group_id': '4093', 'model': '40g'})
        return api.create_devices(podm.uuid, values)

    def enroll(self, n, **kw):
        """An expether node for server engine n, enrolled by hand."""
        info = kw.pop('driver_info', None)
        if info is None:
            info = {'eem_address': EEM_URL, 'eem_username': 'admin',
                    'eem_password': PASSWORD, 'eesv_id': eesv_id(n)}
        return obj_utils.create_test_node(
            self.context, driver='expether', driver_info=info,
            uuid=kw.pop('uuid', None) or uuidutils.generate_uuid(), **kw)
