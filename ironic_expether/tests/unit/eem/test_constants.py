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

import ddt
from oslotest import base

from ironic_expether import eem
from ironic_expether.eem import constants


@ddt.ddt
class ConstantsTestCase(base.BaseTestCase):

    def test_values(self):
        self.assertEqual('4093', eem.EEIO_FREE_GROUP)
        self.assertEqual('4094', eem.EESV_DEFAULT_GROUP)
        self.assertEqual(16, eem.MIN_GROUP_ID)
        self.assertEqual(4092, eem.MAX_GROUP_ID)
        self.assertEqual(('SSD', 'NIC', 'GPU', 'Multi', 'USB', 'ACS',
                          'SWITCH', 'Unknown'), eem.PCI_TYPES)
        self.assertIs(constants.EEID_PATTERN, eem.EEID_PATTERN)
        self.assertIs(constants.is_valid_eeid, eem.is_valid_eeid)

    @ddt.data('0x8cdf9d911c60', '0x8CDF9D911C60', '0x1111111111',
              '0x00112233445')
    def test_valid_eeid(self, value):
        self.assertTrue(eem.is_valid_eeid(value))

    @ddt.data('0x123456789', '0x8cdf9d911c6000', '8cdf9d911c60',
              '0X8cdf9d911c60', '0x8cdf9d911c6g', '0x8cdf9d911c60\n',
              ' 0x8cdf9d911c60', '0x8cdf9d/1c60', '', None, 0x8cdf9d911c60,
              b'0x8cdf9d911c60')
    def test_invalid_eeid(self, value):
        self.assertFalse(eem.is_valid_eeid(value))
