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

"""The periodic discovery task of the driver (drivers/periodics.py)."""

from unittest import mock

from futurist import periodics as futurist_periodics
from ironic.conductor import periodics

from ironic_expether.drivers import power
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.pool import discovery
from ironic_expether.tests.unit.pool import test_discovery


class PeriodicTestCase(test_discovery.DiscoveryTestCase):

    def _task(self):
        method = power.ExpEtherPower._expether_discovery
        periodics.refresh_periodic_attributes(method)
        return method

    def test_spacing_from_config(self):
        self.config(discovery_interval=42, group='expether')
        method = self._task()
        self.assertTrue(futurist_periodics.is_periodic(method))
        self.assertTrue(method._is_periodic)
        self.assertEqual(42, method._periodic_spacing)

    def test_zero_disables(self):
        self.config(discovery_interval=0, group='expether')
        self.assertFalse(self._task()._is_periodic)

    @mock.patch.object(discovery, 'sync', autospec=True)
    def test_runs_sync_with_lease(self, mock_sync):
        mock_sync.return_value = []
        power.ExpEtherPower()._expether_discovery(mock.sentinel.manager,
                                                  self.context)
        mock_sync.assert_called_once_with(self.context, use_lease=True)

    @mock.patch.object(discovery, 'sync', autospec=True)
    def test_error_does_not_end_task(self, mock_sync):
        mock_sync.side_effect = RuntimeError('boom')
        power.ExpEtherPower()._expether_discovery(mock.sentinel.manager,
                                                  self.context)

    def test_end_to_end_with_lease(self):
        eeid = test_discovery.IO[0]
        self.set_pod(test_discovery.eeio(eeid))
        power.ExpEtherPower()._expether_discovery(mock.sentinel.manager,
                                                  self.context)
        self.assertEqual(models.DEVICE_FREE, self.device(eeid).state)
        self.assertEqual('conductor-a',
                         db_api.get_lease(self.podm.uuid).holder)
