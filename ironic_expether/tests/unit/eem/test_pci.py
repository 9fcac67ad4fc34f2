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

import os
import threading
import time
from unittest import mock

import ddt
import fixtures
from oslotest import base

from ironic_expether.eem import pci
from ironic_expether.tests.unit.eem import base as eem_base


@ddt.ddt
class PciTypeTestCase(base.BaseTestCase):

    @ddt.data((0x010802, 'SSD'),    # NVMe (Valence on py3: Unknown)
              (0x010601, 'SSD'),    # SATA AHCI
              (0x020000, 'NIC'),
              (0x028000, 'NIC'),
              (0x030000, 'GPU'),    # VGA
              (0x030200, 'GPU'),    # 3D controller (Tesla)
              (0x040300, 'Multi'),
              (0x060400, 'SWITCH'),
              (0x0c0330, 'USB'),    # xHCI
              (0x0c0400, 'USB'),    # Fibre Channel: serial bus class
              (0x120000, 'ACS'),
              (0x0b4000, 'Unknown'),  # co-processor
              (0x000000, 'Unknown'),
              (0xff0000, 'Unknown'))
    @ddt.unpack
    def test_pci_type(self, code, expected):
        self.assertEqual(expected, pci.pci_type(code))

    def test_pci_type_none(self):
        self.assertIsNone(pci.pci_type(None))

    @ddt.data(('0x10de', 0x10de), ('10de', 0x10de), ('0X10DE', 0x10de),
              (' 0x1db6 ', 0x1db6), ('0x010802', 0x010802),
              ('010802', 0x010802), (4318, 4318), (0, 0))
    @ddt.unpack
    def test_parse_hex(self, value, expected):
        self.assertEqual(expected, pci.parse_hex(value))

    @ddt.data(None, '', '0x', 'zz', '0xgg', True, -1, 1.5, [], {},
              '1' * 17)
    def test_parse_hex_invalid(self, value):
        self.assertIsNone(pci.parse_hex(value))


class PciIdsTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        pci.reset_database()
        self.addCleanup(pci.reset_database)

    def test_from_file(self):
        db = pci.PciIds.from_file(eem_base.PCI_IDS_FIXTURE)
        self.assertEqual(4, len(db))
        self.assertEqual('NVIDIA Corporation', db.vendor_name(0x10de))
        self.assertEqual('GV100GL [Tesla V100 PCIe 32GB]',
                         db.device_name(0x10de, 0x1db6))
        self.assertEqual('GA100 [A100 PCIe 80GB]',
                         db.device_name(0x10de, 0x20b5))
        self.assertEqual('PCIe Data Center SSD',
                         db.device_name(0x8086, 0x0953))
        # Subsystem lines are not devices.
        self.assertIsNone(db.device_name(0x10de, 0x124a))
        # The class section (after "C ") is not read as devices of the
        # last vendor.
        self.assertEqual('Illegal Vendor ID', db.vendor_name(0xffff))
        self.assertIsNone(db.device_name(0xffff, 0x08))
        self.assertIsNone(db.vendor_name(0x1234))
        self.assertIsNone(db.device_name(0x8086, 0xffff))
        self.assertIsNone(db.device_name(0x1234, 0x0953))

    def test_env_var_selects_file(self):
        self.useFixture(fixtures.EnvironmentVariable(
            pci.PCI_IDS_ENV, eem_base.PCI_IDS_FIXTURE))
        self.assertEqual('Samsung Electronics Co Ltd',
                         pci.vendor_name(0x144d))
        self.assertEqual('NVMe SSD Controller SM981/PM981/PM983',
                         pci.device_name(0x144d, 0xa808))
        self.assertIsNone(pci.vendor_name(None))
        self.assertIsNone(pci.device_name(0x144d, None))

    def test_missing_file_gives_no_names(self):
        self.useFixture(fixtures.EnvironmentVariable(
            pci.PCI_IDS_ENV, os.path.join(self.useFixture(
                fixtures.TempDir()).path, 'nothing-here')))
        self.assertIsNone(pci.vendor_name(0x10de))
        self.assertIsNone(pci.device_name(0x10de, 0x1db6))
        self.assertEqual(0, len(pci.get_database()))

    def test_no_file_anywhere(self):
        self.useFixture(fixtures.EnvironmentVariable(pci.PCI_IDS_ENV))
        with mock.patch.object(pci.os.path, 'isfile', autospec=True,
                               return_value=False):
            self.assertIsNone(pci.vendor_name(0x10de))
        self.assertEqual(0, len(pci.get_database()))

    def test_default_paths_in_order(self):
        self.useFixture(fixtures.EnvironmentVariable(pci.PCI_IDS_ENV))
        seen = []

        def isfile(path):
            seen.append(path)
            return path == '/usr/share/hwdata/pci.ids'

        with mock.patch.object(pci.os.path, 'isfile', autospec=True,
                               side_effect=isfile), \
                mock.patch.object(pci.PciIds, 'from_file', autospec=True,
                                  return_value=pci.PciIds()) as from_file:
            pci.get_database()
        self.assertEqual(['/usr/share/misc/pci.ids',
                          '/usr/share/hwdata/pci.ids'], seen)
        from_file.assert_called_once_with('/usr/share/hwdata/pci.ids')

    def test_loaded_once_under_concurrency(self):
        self.useFixture(fixtures.EnvironmentVariable(
            pci.PCI_IDS_ENV, eem_base.PCI_IDS_FIXTURE))
        real = pci.PciIds.from_file
        barrier = threading.Barrier(8)
        results = []

        def slow_load(path):
            # Long enough for every thread to reach the lock meanwhile.
            time.sleep(0.05)
            return real(path)

        def lookup():
            barrier.wait()
            results.append(pci.vendor_name(0x10de))

        with mock.patch.object(pci.PciIds, 'from_file', autospec=True,
                               side_effect=slow_load) as from_file:
            threads = [threading.Thread(target=lookup) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            pci.vendor_name(0x8086)
        self.assertEqual(1, from_file.call_count)
        self.assertEqual(['NVIDIA Corporation'] * 8, results)

    def test_reset_reloads(self):
        self.useFixture(fixtures.EnvironmentVariable(pci.PCI_IDS_ENV))
        with mock.patch.object(pci.os.path, 'isfile', autospec=True,
                               return_value=False):
            self.assertIsNone(pci.vendor_name(0x10de))
        self.useFixture(fixtures.EnvironmentVariable(
            pci.PCI_IDS_ENV, eem_base.PCI_IDS_FIXTURE))
        # Still the cached, empty database.
        self.assertIsNone(pci.vendor_name(0x10de))
        pci.reset_database()
        self.assertEqual('NVIDIA Corporation', pci.vendor_name(0x10de))
