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

"""Common ground of the driver tests: config, a node, a mocked EEM client."""

from unittest import mock

from ironic.tests.unit.db import base as db_base
from ironic.tests.unit.objects import utils as obj_utils

from ironic_expether.drivers import management
from ironic_expether.drivers import power
from ironic_expether import eem
from ironic_expether.eem_access import utils
from ironic_expether.pool.db import models as pool_models
from ironic_expether.pool.db import session as pool_session

EEM_ADDRESS = 'https://eem.example.com:30500/eem'
EESV_ID = '0x8cdf9d535b14'
EEIO_ID = '0x8cdf9d911cb0'
OTHER_EEIO_ID = '0x8cdf9d911c60'
SECRET = 's3cr3t-Pa55'

INFO = {
    'eem_address': EEM_ADDRESS,
    'eem_username': 'admin',
    'eem_password': SECRET,
    'eesv_id': EESV_ID,
}

REDFISH_INFO = dict(INFO, redfish_address='https://bmc.example.com',
                    redfish_system_id='/redfish/v1/Systems/1',
                    redfish_username='root', redfish_password='calvin')

IPMI_INFO = dict(INFO, ipmi_address='192.0.2.10', ipmi_username='root',
                 ipmi_password='calvin')


def eesv(eeid=EESV_ID, group_id='100', power='on', max_eeio_count=16,
         up=True):
    """Build a server engine as EEM's devices/detail reports it."""
    status = ['up', 'up'] if up else ['down', 'down']
    return eem.Device({
        'id': eeid, 'status': 'eesv', 'type': '40g',
        'group_id': group_id, 'power_status': power,
        'max_eeio_count': str(max_eeio_count),
        'notification_status0': status, 'notification_status1': status,
        'link_status0': 'up' if up else 'down', 'link_status1': 'down',
        'update_time': '1521117379726'})


def eeio(eeid=EEIO_ID, group_id='4093', up=True, class_code='0x030200',
         vendor='0x10de', device='0x1db6'):
    """Build an IO engine (a GPU by default) as EEM reports it."""
    status = ['up', 'down'] if up else ['down', 'down']
    return eem.Device({
        'id': eeid, 'status': 'eeio', 'type': '40g', 'group_id': group_id,
        'notification_status0': status, 'notification_status1': status,
        'link_status0': 'up' if up else 'down', 'link_status1': 'down',
        'pcie_class_code': class_code, 'pcie_vendor_id': vendor,
        'pcie_device_id': device, 'update_time': '1521117379726'})


class DriverTestCase(db_base.DbTestCase):
    """A DbTestCase with expether enabled and the EEM client mocked."""

    driver_info = INFO

    def setUp(self):
        super().setUp()
        # The vendor interface keeps its devices in the pool's tables.
        pool_models.Base.metadata.create_all(pool_session.get_engine())
        self.config(enabled_hardware_types=['expether', 'fake-hardware'],
                    enabled_power_interfaces=['expether', 'fake'],
                    enabled_management_interfaces=['expether', 'fake'],
                    enabled_vendor_interfaces=['expether', 'no-vendor',
                                               'fake'],
                    enabled_boot_interfaces=['fake'],
                    enabled_deploy_interfaces=['fake'])
        # One EEM request per power read here; the shared snapshot has its
        # own tests (tests/unit/eem_access/test_snapshot.py).
        self.config(power_state_cache_ttl=0, group='expether')
        for reset in (utils.clear_client_cache, power.DELEGATES.reset,
                      management.DELEGATES.reset):
            reset()
            self.addCleanup(reset)
        self.node = obj_utils.create_test_node(
            self.context, driver='expether',
            driver_info=dict(self.driver_info))
        self.client = mock.create_autospec(eem.EEMClient, instance=True)
        patcher = mock.patch.object(utils, 'get_client', autospec=True,
                                    return_value=self.client)
        self.mock_get_client = patcher.start()
        self.addCleanup(patcher.stop)

    def devices(self, *devices):
        """Make client.get_device answer from the given devices."""
        by_id = {d.id: d for d in devices}

        def get_device(eeid):
            try:
                return by_id[eeid]
            except KeyError:
                raise eem.EEMNotFound('GET', 'devices/%s' % eeid, 404,
                                      code='40400',
                                      eem_message='No such device')

        self.client.get_device.side_effect = get_device
        return by_id
