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

"""Fixtures shared by the unit tests of every layer.

The one EEM-device builder (:func:`raw_eesv`, :func:`raw_eeio` in EEM's
wire format, :func:`eesv`, :func:`eeio` parsed) and the one test case with
the expether hardware type enabled and the EEM client mocked
(:class:`ExpEtherTestCase`). It imports nothing above Ironic-side EEM
access (``tools/check_layers.py`` checks it), so that the tests of every
layer may use it.
"""

from unittest import mock

from ironic.tests.unit.db import base as db_base

from ironic_expether import eem
from ironic_expether.eem_access import utils
from ironic_expether.emulator import inventory

EEM_ADDRESS = 'https://eem.example.com:30500/eem'
EESV_ID = '0x8cdf9d535b14'
EEIO_ID = '0x8cdf9d911cb0'
OTHER_EEIO_ID = '0x8cdf9d911c60'
SECRET = 's3cr3t-Pa55'
UPDATE_TIME = '1521117379726'
#: A GPU of the emulator's catalogue: (name, vendor id, device id, class).
GPU_CARD = inventory.PCI_CATALOGUE['GPU'][1][0]

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


def _engine(eeid, status, group_id, up, ports_up, link, update_time,
            fields):
    statuses = ports_up if up else ['down', 'down']
    raw = {'id': eeid, 'status': status, 'type': '40g',
           'group_id': group_id, 'notification_status0': statuses,
           'notification_status1': list(statuses)}
    if link:
        raw.update(link_status0='up' if up else 'down',
                   link_status1='down')
    if update_time is not None:
        raw['update_time'] = update_time
    raw.update(fields)
    return raw


def raw_eesv(eeid=EESV_ID, group_id='100', power='on', max_eeio_count=16,
             up=True, link=True, update_time=UPDATE_TIME, full=False,
             **fields):
    """A server engine as EEM's ``devices/detail`` reports it (a dict).

    :param link: whether to report link statuses.
    :param update_time: its ``update_time``, or None to leave it out.
    :param full: every field EEM sends, as the emulator's inventory makes
        it (serial numbers, ports, ...); then only ``group_id``, ``power``
        and ``fields`` are applied to it.
    :param fields: more fields, or fields to replace.
    """
    if full:
        raw = inventory.make_eesv(eeid)
        raw.update(group_id=group_id, power_status=power, **fields)
        return raw
    return _engine(eeid, 'eesv', group_id, up, ['up', 'up'], link,
                   update_time, dict({'power_status': power,
                                      'max_eeio_count': str(max_eeio_count)},
                                     **fields))


def raw_eeio(eeid=EEIO_ID, group_id='4093', up=True, class_code='0x030200',
             vendor='0x10de', device='0x1db6', link=True,
             update_time=UPDATE_TIME, card=None, **fields):
    """An IO engine (a GPU by default) as EEM reports it (a dict).

    :param link: whether to report link statuses.
    :param update_time: its ``update_time``, or None to leave it out.
    :param card: ``(name, vendor id, device id, class code)`` from the
        emulator's catalogue for every field EEM sends, as the emulator's
        inventory makes it; then only ``group_id``, ``up`` (its
        notification statuses) and ``fields`` are applied to it.
    :param fields: more fields, or fields to replace.
    """
    if card is not None:
        raw = inventory.make_eeio(eeid, card)
        raw['group_id'] = group_id
        if not up:
            raw['notification_status0'] = ['down', 'down']
            raw['notification_status1'] = ['down', 'down']
        raw.update(fields)
        return raw
    return _engine(eeid, 'eeio', group_id, up, ['up', 'down'], link,
                   update_time, dict({'pcie_class_code': class_code,
                                      'pcie_vendor_id': vendor,
                                      'pcie_device_id': device}, **fields))


def eesv(*args, **kwargs):
    """:func:`raw_eesv` parsed into an :class:`ironic_expether.eem.Device`."""
    return eem.Device(raw_eesv(*args, **kwargs))


def eeio(*args, **kwargs):
    """:func:`raw_eeio` parsed into an :class:`ironic_expether.eem.Device`."""
    return eem.Device(raw_eeio(*args, **kwargs))


def expether_enabled():
    """The options that enable the expether hardware type in a test."""
    return dict(enabled_hardware_types=['expether', 'fake-hardware'],
                enabled_power_interfaces=['expether', 'fake'],
                enabled_management_interfaces=['expether', 'fake'],
                enabled_vendor_interfaces=['expether', 'no-vendor', 'fake'],
                enabled_boot_interfaces=['fake'],
                enabled_deploy_interfaces=['fake'])


class ExpEtherTestCase(db_base.DbTestCase):
    """A DbTestCase with expether enabled and the EEM client mocked.

    ``self.client`` is an autospec mock of
    :class:`ironic_expether.eem.EEMClient` that
    :func:`ironic_expether.eem_access.utils.get_client` returns; no EEM
    client is cached before or after a test.
    """

    def setUp(self):
        super().setUp()
        self.config(**expether_enabled())
        utils.clear_client_cache()
        self.addCleanup(utils.clear_client_cache)
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
