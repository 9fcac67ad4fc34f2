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

"""Common ground of the driver tests: the shared fixtures and a node."""

from ironic.tests.unit.objects import utils as obj_utils

from ironic_expether.drivers import management
from ironic_expether.drivers import power
from ironic_expether.pool.db import models as pool_models
from ironic_expether.pool.db import session as pool_session
from ironic_expether.tests.unit import base
from ironic_expether.tests.unit.pool import fakes

# The shared fixtures (tests/unit/base.py), under the names the driver
# tests use.
EEM_ADDRESS = base.EEM_ADDRESS
EESV_ID = base.EESV_ID
EEIO_ID = base.EEIO_ID
OTHER_EEIO_ID = base.OTHER_EEIO_ID
SECRET = base.SECRET
INFO = base.INFO
REDFISH_INFO = base.REDFISH_INFO
IPMI_INFO = base.IPMI_INFO
eesv = base.eesv
eeio = base.eeio


class _ResetDelegates(object):
    """Forget the BMC interfaces the driver built, before and after."""

    def setUp(self):
        super().setUp()
        for reset in (power.DELEGATES.reset, management.DELEGATES.reset):
            reset()
            self.addCleanup(reset)


class ComposeTestCase(_ResetDelegates, fakes.ComposeTestCase):
    """The pool's composition test case, for tests of the driver."""


class DriverTestCase(_ResetDelegates, base.ExpEtherTestCase):
    """The shared expether test case, plus the pool's tables and a node."""

    driver_info = INFO

    def setUp(self):
        super().setUp()
        # The vendor interface keeps its devices in the pool's tables.
        pool_models.Base.metadata.create_all(pool_session.get_engine())
        # One EEM request per power read here; the shared snapshot has its
        # own tests (tests/unit/eem_access/test_snapshot.py).
        self.config(power_state_cache_ttl=0, group='expether')
        self.node = obj_utils.create_test_node(
            self.context, driver='expether',
            driver_info=dict(self.driver_info))
