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

import datetime
from unittest import mock

from ironic.common import exception
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from ironic_expether import eem
from ironic_expether.pool.db import api
from ironic_expether.pool.db import models
from ironic_expether.pool.db import session
from ironic_expether.pool import reconcile
from ironic_expether.tests.unit.pool import base

PASSWORD = 'S3cret-pw'


class PodManagerTestCase(base.PoolTestCase):

    def test_create_and_get(self):
        podm = self.create_podm(url='HTTP://EEM.example.com:8080/eem/',
                                verify=False)
        self.assertTrue(uuidutils.is_uuid_like(podm.uuid))
        self.assertEqual('http://eem.example.com:8080/eem', podm.url)
        self.assertEqual('False', podm.verify)
        self.assertEqual('unknown', podm.status)
        self.assertEqual('expether', podm.driver)
        self.assertIsNotNone(podm.created_at)
        got = api.get_pod_manager(podm.uuid)
        self.assertEqual(podm.url, got.url)
        self.assertEqual(PASSWORD, got.password)
        self.assertEqual(podm.uuid, api.get_pod_manager_by_url(
            'http://eem.example.com:8080/eem//').uuid)

    def test_get_unknown(self):
        exc = self.assertRaises(exception.NotFound, api.get_pod_manager,
                                'c2b7b1a4-0000-4000-8000-000000000000')
        self.assertIn('c2b7b1a4-0000-4000-8000-000000000000', str(exc))
        self.assertRaises(exception.NotFound, api.get_pod_manager_by_url,
                          'http://nowhere/eem')

    def test_duplicate_url_and_name(self):
        self.create_podm(name='a', url='http://eem/eem')
        exc = self.assertRaises(exception.Conflict, self.create_podm,
                                name='b', url='http://EEM/eem/')
        self.assertIn('url', str(exc))
        self.assertNotIn(PASSWORD, str(exc))
        # The driver's error (holding every inserted value) is not chained.
        self.assertTrue(exc.__suppress_context__)
        self.assertIsNone(exc.__cause__)
        exc = self.assertRaises(exception.Conflict, self.create_podm,
                                name='a', url='http://other/eem')
        self.assertIn('name=a', str(exc))
        self.assertNotIn(PASSWORD, str(exc))

    def test_bad_values(self):
        for kw, field in [({'url': 'ftp://x/eem'}, 'url'),
                          ({'url': 'not a url'}, 'url'),
                          ({'name': ''}, 'name'),
                          ({'status': 'Online'}, 'status'),
                          ({'verify': ''}, 'verify'),
                          ({'colour': 'red'}, 'colour')]:
            exc = self.assertRaises(exception.InvalidParameterValue,
                                    self.create_podm, **kw)
            self.assertIn(field, str(exc))

    def test_url_with_credentials_is_refused_without_echo(self):
        exc = self.assertRaises(exception.InvalidParameterValue,
                                self.create_podm,
                                url='http://admin:%s@eem/eem' % PASSWORD)
        self.assertNotIn(PASSWORD, str(exc))

    def test_password_masked(self):
        podm = self.create_podm()
        self.assertNotIn(PASSWORD, repr(podm))
        self.assertEqual(models.MASK, podm.as_dict()['password'])
        self.assertEqual(PASSWORD,
                         podm.as_dict(show_password=True)['password'])

    def test_list(self):
        a = self.create_podm()
        b = self.create_podm()
        self.assertEqual([a.uuid, b.uuid],
                         [p.uuid for p in api.list_pod_managers()])
        api.set_pod_manager_status(b.uuid, 'online')
        self.assertEqual([b.uuid], [p.uuid for p in
                                    api.list_pod_managers(status='online')])

    def test_update(self):
        podm = self.create_podm()
        other = self.create_podm()
        updated = api.update_pod_manager(podm.uuid, {
            'name': 'renamed', 'url': 'https://new/eem/', 'verify': 'yes'})
        self.assertEqual('renamed', updated.name)
        self.assertEqual('https://new/eem', updated.url)
        self.assertEqual('True', updated.verify)
        self.assertRaises(exception.Conflict, api.update_pod_manager,
                          podm.uuid, {'url': other.url})
        self.assertRaises(exception.InvalidParameterValue,
                          api.update_pod_manager, podm.uuid,
                          {'uuid': uuidutils.generate_uuid()})
        self.assertRaises(exception.NotFound, api.update_pod_manager,
                          uuidutils.generate_uuid(), {'name': 'x'})

    def test_set_status_writes_only_changes(self):
        podm = self.create_podm()
        self.assertTrue(api.set_pod_manager_status(podm.uuid, 'offline',
                                                   'refused'))
        self.assertFalse(api.set_pod_manager_status(podm.uuid, 'offline',
                                                    'refused'))
        self.assertTrue(api.set_pod_manager_status(podm.uuid, 'offline',
                                                   'timeout'))
        self.assertTrue(api.set_pod_manager_status(podm.uuid, 'online'))
        self.assertFalse(api.set_pod_manager_status(podm.uuid, 'online'))
        got = api.get_pod_manager(podm.uuid)
        self.assertEqual(('online', None), (got.status, got.status_reason))
        self.assertRaises(exception.InvalidParameterValue,
                          api.set_pod_manager_status, podm.uuid, 'up')

    def test_delete(self):
        podm = self.create_podm()
        self.create_devices(podm, 2)
        self.assertTrue(api.acquire_lease(podm.uuid, 'c1', 60))
        self.assertTrue(api.record_enrollment(
            podm.uuid, '0x8cdf9d000001', uuidutils.generate_uuid()))
        api.delete_pod_manager(podm.uuid)
        self.assertRaises(exception.NotFound, api.get_pod_manager, podm.uuid)
        self.assertEqual([], api.list_devices(podm_uuid=podm.uuid))
        self.assertIsNone(api.get_lease(podm.uuid))
        self.assertEqual([], api.list_enrolled_servers(podm.uuid))
        self.assertRaises(exception.NotFound, api.delete_pod_manager,
                          podm.uuid)

    def test_delete_refused_while_devices_held(self):
        podm = self.create_podm()
        free, held = self.create_devices(podm, 2)
        api.update_device(held.uuid, {'state': 'allocated',
                                      'node_uuid': uuidutils.generate_uuid()})
        exc = self.assertRaises(exception.Conflict, api.delete_pod_manager,
                                podm.uuid)
        self.assertIn('1 of its devices', str(exc))
        # Nothing was deleted.
        self.assertEqual(2, len(api.list_devices(podm_uuid=podm.uuid)))
        api.get_pod_manager(podm.uuid)

    def test_ensure_for_url_creates_once(self):
        podm = api.ensure_pod_manager_for_url('http://10.1.1.1:8080/eem/',
                                              'admin', PASSWORD, True)
        self.assertEqual('http://10.1.1.1:8080/eem', podm.url)
        self.assertEqual('eem-10.1.1.1-8080', podm.name)
        self.assertEqual(PASSWORD, podm.password)
        again = api.ensure_pod_manager_for_url('http://10.1.1.1:8080/eem',
                                               'other', 'other-pw', False)
        self.assertEqual(podm.uuid, again.uuid)
        self.assertEqual('admin', again.username)
        self.assertEqual(1, len(api.list_pod_managers()))

    def test_ensure_for_url_name_taken(self):
        self.create_podm(name='eem-10.1.1.1-8080', url='http://other/eem')
        podm = api.ensure_pod_manager_for_url('http://10.1.1.1:8080/eem')
        self.assertTrue(podm.name.startswith('eem-10.1.1.1-8080-'))

    def test_ensure_for_url_lost_race(self):
        winner = self.create_podm(url='http://10.1.1.1/eem')
        real_get = api.get_pod_manager_by_url
        # The first lookup misses (the other creator has not committed
        # yet), the insert then hits the unique URL.
        with mock.patch.object(api, 'get_pod_manager_by_url', autospec=True,
                               side_effect=[exception.NotFound('x'),
                                            real_get(winner.url)]):
            podm = api.ensure_pod_manager_for_url('http://10.1.1.1/eem')
        self.assertEqual(winner.uuid, podm.uuid)


class DeviceTestCase(base.PoolTestCase):

    def setUp(self):
        super().setUp()
        self.podm = self.create_podm()

    def test_create_and_get(self):
        dev = api.create_device(self.podm.uuid, {
            'eeid': '0x8CDF9D535B14', 'type': 'GPU', 'pci_class': 0x030200,
            'pci_vendor_id': 0x10de, 'model': '40g', 'group_id': '4093'})
        self.assertEqual('0x8cdf9d535b14', dev.eeid)
        self.assertEqual('free', dev.state)
        self.assertEqual('eeio', dev.kind)
        self.assertEqual(dev.uuid, api.get_device(dev.uuid).uuid)
        self.assertEqual(dev.uuid, api.get_device_by_eeid(
            self.podm.uuid, '0x8cdf9d535b14').uuid)
        self.assertEqual(0x030200, api.get_device(dev.uuid).pci_class)

    def test_duplicate_eeid(self):
        self.create_devices(self.podm, 1)
        self.assertRaises(exception.Conflict, self.create_devices,
                          self.podm, 1)
        # The same EE id is fine in another pod manager.
        self.create_devices(self.create_podm(), 1)

    def test_create_bad_values(self):
        for values, field in [({'eeid': 'nope'}, 'EE id'),
                              ({'eeid': '0x000000000001', 'state': 'x'},
                               'state'),
                              ({'eeid': '0x000000000001', 'purpose': 'x'},
                               'purpose'),
                              ({'type': 'GPU'}, 'eeid'),
                              ({'eeid': '0x000000000001', 'foo': 1}, 'foo')]:
            exc = self.assertRaises(exception.InvalidParameterValue,
                                    api.create_device, self.podm.uuid,
                                    values)
            self.assertIn(field, str(exc))

    def test_create_unknown_podm(self):
        self.assertRaises(exception.NotFound, api.create_device,
                          uuidutils.generate_uuid(),
                          {'eeid': '0x000000000001'})

    def test_create_devices_is_one_transaction(self):
        self.assertRaises(exception.Conflict, api.create_devices,
                          self.podm.uuid, [{'eeid': '0x000000000001'},
                                           {'eeid': '0x000000000001'}])
        self.assertEqual([], api.list_devices())
        self.assertEqual([], api.create_devices(self.podm.uuid, []))

    def test_create_devices_in_one_statement(self):
        statements = []

        def on_execute(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith('INSERT'):
                statements.append(statement)
        engine = session.get_engine()
        sa.event.listen(engine, 'before_cursor_execute', on_execute)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        on_execute)
        values = [{'eeid': '0x%012x' % n, 'type': 'GPU', 'group_id': '4093'}
                  for n in range(1, 51)]
        values[7]['state'] = 'missing'
        self.assertEqual(50, api.create_devices(self.podm.uuid, values,
                                                returning=False))
        # One statement, not one per device.
        self.assertEqual(1, len(statements))
        devices = api.list_devices(podm_uuid=self.podm.uuid)
        self.assertEqual(50, len(devices))
        self.assertEqual({'free'}, {d.state for d in devices} - {'missing'})
        self.assertEqual('missing', api.get_device_by_eeid(
            self.podm.uuid, '0x000000000008').state)
        self.assertTrue(all(d.uuid and d.created_at and d.kind == 'eeio'
                            for d in devices))
        self.assertEqual(50, len({d.uuid for d in devices}))

    def test_create_devices_in_one_statement_conflict(self):
        api.create_device(self.podm.uuid, {'eeid': '0x000000000002'})
        self.assertRaises(exception.Conflict, api.create_devices,
                          self.podm.uuid, [{'eeid': '0x000000000001'},
                                           {'eeid': '0x000000000002'}],
                          returning=False)
        self.assertEqual(['0x000000000002'],
                         [d.eeid for d in api.list_devices()])

    def test_get_unknown(self):
        self.assertRaises(exception.NotFound, api.get_device,
                          uuidutils.generate_uuid())
        exc = self.assertRaises(exception.NotFound, api.get_device_by_eeid,
                                self.podm.uuid, '0x000000000099')
        self.assertIn('0x000000000099', str(exc))

    def test_find_device(self):
        dev, = self.create_devices(self.podm, 1)
        other_podm = self.create_podm()
        self.assertEqual(dev.uuid, api.find_device(dev.uuid).uuid)
        self.assertEqual(dev.uuid, api.find_device(dev.eeid).uuid)
        self.assertEqual(dev.uuid, api.find_device(
            dev.eeid.upper().replace('0X', '0x'), self.podm.uuid).uuid)
        self.assertRaises(exception.NotFound, api.find_device, dev.uuid,
                          other_podm.uuid)
        self.assertRaises(exception.NotFound, api.find_device, dev.eeid,
                          other_podm.uuid)
        self.assertRaises(exception.InvalidParameterValue, api.find_device,
                          'gpu-1')
        self.create_devices(other_podm, 1)
        self.assertRaises(exception.InvalidParameterValue, api.find_device,
                          dev.eeid)
        self.assertRaises(exception.NotFound, api.find_device,
                          '0x0000000000ff')

    def test_list_filters(self):
        node = uuidutils.generate_uuid()
        gpu1, gpu2 = self.create_devices(self.podm, 2, type='GPU')
        ssd, = self.create_devices(self.podm, 1, type='SSD', start=10)
        other = self.create_devices(self.create_podm(), 1, start=20)[0]
        api.update_device(gpu2.uuid, {'state': 'allocated',
                                      'node_uuid': node,
                                      'purpose': 'deployment',
                                      'group_id': '100'})

        def uuids(**kw):
            return [d.uuid for d in api.list_devices(**kw)]

        self.assertEqual([gpu1.uuid, gpu2.uuid, ssd.uuid, other.uuid],
                         uuids())
        self.assertEqual([gpu1.uuid, gpu2.uuid, ssd.uuid],
                         uuids(podm_uuid=self.podm.uuid))
        self.assertEqual([gpu2.uuid], uuids(node_uuid=node))
        self.assertEqual([gpu1.uuid, ssd.uuid, other.uuid],
                         uuids(state='free'))
        self.assertEqual([gpu1.uuid, gpu2.uuid],
                         uuids(podm_uuid=self.podm.uuid,
                               state=('allocated', 'free'),
                               type=['GPU', 'SSD'], limit=2))
        self.assertEqual([ssd.uuid], uuids(type='SSD'))
        self.assertEqual([gpu2.uuid], uuids(group_id='100'))
        self.assertEqual([gpu2.uuid], uuids(purpose='deployment'))
        self.assertEqual([gpu1.uuid], uuids(eeid=gpu1.eeid))

    def test_compare_and_set(self):
        dev, = self.create_devices(self.podm, 1)
        self.assertFalse(api.compare_and_set_device(
            dev.uuid, {'state': 'allocated'}, {'state': 'missing'}))
        self.assertTrue(api.compare_and_set_device(
            dev.uuid, {'state': ('free', 'claimed'), 'node_uuid': None},
            {'state': 'missing'}))
        got = api.get_device(dev.uuid)
        self.assertEqual('missing', got.state)
        self.assertGreaterEqual(got.updated_at, got.created_at)
        self.assertFalse(api.compare_and_set_device(
            uuidutils.generate_uuid(), {}, {'state': 'free'}))
        self.assertRaises(exception.InvalidParameterValue,
                          api.compare_and_set_device, dev.uuid, {},
                          {'eeid': '0x000000000002'})
        self.assertRaises(exception.InvalidParameterValue,
                          api.compare_and_set_device, dev.uuid,
                          {'bogus': 1}, {'state': 'free'})

    def test_update_device(self):
        dev, = self.create_devices(self.podm, 1)
        got = api.update_device(dev.uuid, {'vendor_name': 'NVIDIA'})
        self.assertEqual('NVIDIA', got.vendor_name)
        exc = self.assertRaises(exception.Conflict, api.update_device,
                                dev.uuid, {'state': 'missing'},
                                expected={'state': 'allocated'})
        self.assertIn(dev.uuid, str(exc))
        self.assertIn('free', str(exc))
        self.assertRaises(exception.NotFound, api.update_device,
                          uuidutils.generate_uuid(), {'state': 'free'})

    def test_update_devices_bulk(self):
        a, b, c = self.create_devices(self.podm, 3)
        changed = api.update_devices([
            (a.uuid, {'group_id': '200'}),
            (b.uuid, {'state': 'missing'}, {'state': 'free'}),
            (c.uuid, {'state': 'missing'}, {'state': 'allocated'}),
            (uuidutils.generate_uuid(), {'state': 'free'}),
        ])
        self.assertEqual([a.uuid, b.uuid], changed)
        self.assertEqual('200', api.get_device(a.uuid).group_id)
        self.assertEqual('missing', api.get_device(b.uuid).state)
        self.assertEqual('free', api.get_device(c.uuid).state)

    def test_delete_device(self):
        free, held = self.create_devices(self.podm, 2)
        api.update_device(held.uuid, {'state': 'missing',
                                      'node_uuid': uuidutils.generate_uuid()})
        api.delete_device(free.uuid)
        self.assertRaises(exception.NotFound, api.get_device, free.uuid)
        exc = self.assertRaises(exception.Conflict, api.delete_device,
                                held.uuid)
        self.assertIn('missing by node', str(exc))
        self.assertRaises(exception.NotFound, api.delete_device,
                          free.uuid)

    def test_device_values_from_eem(self):
        eem_device = eem.Device({
            'id': '0x8CDF9D535B14', 'status': 'eeio', 'type': '40g',
            'group_id': '4093', 'mac_address': '8c:df:9d:53:5b:14',
            'pcie_class_code': '0x010802', 'pcie_vendor_id': '0x144d',
            'pcie_device_id': '0xa808'})
        values = reconcile.device_values_from_eem(eem_device)
        self.assertEqual('0x8cdf9d535b14', values['eeid'])
        self.assertEqual('SSD', values['type'])
        self.assertEqual('40g', values['model'])
        self.assertEqual(0x010802, values['pci_class'])
        dev = api.create_device(self.podm.uuid, values)
        self.assertEqual('4093', dev.group_id)


class FlavorTestCase(base.PoolTestCase):

    def test_crud(self):
        props = {'pci_device': {'type': ['GPU', 'GPU', 'SSD']}}
        flavor = api.create_flavor({'name': 'gpu2', 'description': 'two',
                                    'properties': props})
        got = api.get_flavor(flavor.uuid)
        self.assertEqual(props, got.properties)
        self.assertEqual('two', got.description)
        # Valence allowed duplicate names.
        second = api.create_flavor({'name': 'gpu2'})
        self.assertEqual({}, second.properties)
        self.assertEqual([flavor.uuid, second.uuid],
                         [f.uuid for f in api.list_flavors()])
        updated = api.update_flavor(second.uuid, {'description': 'd'})
        self.assertEqual('d', updated.description)
        api.delete_flavor(flavor.uuid)
        self.assertRaises(exception.NotFound, api.get_flavor, flavor.uuid)
        self.assertRaises(exception.NotFound, api.delete_flavor, flavor.uuid)
        self.assertRaises(exception.NotFound, api.update_flavor, flavor.uuid,
                          {'name': 'x'})

    def test_bad_values(self):
        self.assertRaises(exception.InvalidParameterValue, api.create_flavor,
                          {'description': 'no name'})
        self.assertRaises(exception.InvalidParameterValue, api.create_flavor,
                          {'name': 'x', 'properties': ['GPU']})
        self.assertRaises(exception.InvalidParameterValue, api.create_flavor,
                          {'name': 'x', 'memory': 1})
        flavor = api.create_flavor({'name': 'x'})
        self.assertRaises(exception.InvalidParameterValue, api.update_flavor,
                          flavor.uuid, {'uuid': uuidutils.generate_uuid()})
        self.assertRaises(exception.Conflict, api.create_flavor,
                          {'name': 'y', 'uuid': flavor.uuid})


class LeaseTestCase(base.PoolTestCase):

    def setUp(self):
        super().setUp()
        self.podm = self.create_podm()

    def test_acquire_renew_release(self):
        self.assertIsNone(api.get_lease(self.podm.uuid))
        self.assertTrue(api.acquire_lease(self.podm.uuid, 'c1', 60))
        self.assertFalse(api.acquire_lease(self.podm.uuid, 'c2', 60))
        first = api.get_lease(self.podm.uuid).expires_at
        self.assertTrue(api.acquire_lease(self.podm.uuid, 'c1', 120))
        self.assertGreater(api.get_lease(self.podm.uuid).expires_at, first)
        self.assertFalse(api.release_lease(self.podm.uuid, 'c2'))
        self.assertTrue(api.release_lease(self.podm.uuid, 'c1'))
        self.assertIsNone(api.get_lease(self.podm.uuid))
        self.assertTrue(api.acquire_lease(self.podm.uuid, 'c2', 60))
        self.assertEqual('c2', api.get_lease(self.podm.uuid).holder)

    def test_expired_lease_is_taken_over(self):
        self.assertTrue(api.acquire_lease(self.podm.uuid, 'c1', 60))
        later = timeutils.utcnow() + datetime.timedelta(seconds=61)
        with mock.patch.object(timeutils, 'utcnow', autospec=True,
                               return_value=later):
            self.assertTrue(api.acquire_lease(self.podm.uuid, 'c2', 60))
        self.assertEqual('c2', api.get_lease(self.podm.uuid).holder)

    def test_unknown_pod_manager(self):
        self.assertRaises(exception.NotFound, api.acquire_lease,
                          uuidutils.generate_uuid(), 'c1', 60)


class EnrolledServerTestCase(base.PoolTestCase):

    def setUp(self):
        super().setUp()
        self.podm = self.create_podm()
        self.node_uuid = uuidutils.generate_uuid()

    def test_recorded_once(self):
        self.assertTrue(api.record_enrollment(
            self.podm.uuid, '0x8CDF9D000001', self.node_uuid))
        # Another conductor, or a later cycle: the unique key says no.
        self.assertFalse(api.record_enrollment(
            self.podm.uuid, '0x8cdf9d000001', uuidutils.generate_uuid()))
        other = self.create_podm()
        self.assertTrue(api.record_enrollment(
            other.uuid, '0x8cdf9d000001', uuidutils.generate_uuid()))
        enrolled = api.list_enrolled_servers(self.podm.uuid)
        self.assertEqual([('0x8cdf9d000001', self.node_uuid)],
                         [(e.eeid, e.node_uuid) for e in enrolled])
        self.assertIsNotNone(enrolled[0].created_at)

    def test_delete(self):
        api.record_enrollment(self.podm.uuid, '0x8cdf9d000001',
                              self.node_uuid)
        self.assertTrue(api.delete_enrollment(self.podm.uuid,
                                              '0x8cdf9d000001'))
        self.assertFalse(api.delete_enrollment(self.podm.uuid,
                                               '0x8cdf9d000001'))
        self.assertEqual([], api.list_enrolled_servers(self.podm.uuid))
        self.assertTrue(api.record_enrollment(
            self.podm.uuid, '0x8cdf9d000001', self.node_uuid))

    def test_bad_values(self):
        self.assertRaises(exception.InvalidParameterValue,
                          api.record_enrollment, self.podm.uuid, 'sv-1',
                          self.node_uuid)
        self.assertRaises(exception.NotFound, api.record_enrollment,
                          uuidutils.generate_uuid(), '0x8cdf9d000001',
                          self.node_uuid)
