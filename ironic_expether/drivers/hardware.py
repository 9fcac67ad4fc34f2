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

"""The ``expether`` hardware type: servers with an ExpEther server engine.

Each list names the expether implementation first, so that it is the
default whenever it is enabled. The other entries are there so that enabling
the hardware type never forces an operator to enable an interface they do
not use: Ironic's redfish and ipmitool power and management, ``noop``
management and ``no-vendor`` work too (without EEM's power reading, LED and
sensors). Ironic's ``fake`` boot and deploy come last, for development and
the standalone demo, so a node can reach ``active`` without PXE or IPA.
"""

from ironic.drivers import generic
from ironic.drivers.modules import fake
from ironic.drivers.modules import ipmitool
from ironic.drivers.modules import noop
from ironic.drivers.modules import noop_mgmt
from ironic.drivers.modules.redfish import management as redfish_mgmt
from ironic.drivers.modules.redfish import power as redfish_power

from ironic_expether.drivers import inspect
from ironic_expether.drivers import management
from ironic_expether.drivers import power
from ironic_expether.drivers import vendor


class ExpEtherHardware(generic.GenericHardware):
    """NEC ExpEther composable servers, managed through EEM."""

    @property
    def supported_power_interfaces(self):
        """List of supported power interfaces."""
        return [power.ExpEtherPower, redfish_power.RedfishPower,
                ipmitool.IPMIPower]

    @property
    def supported_management_interfaces(self):
        """List of supported management interfaces."""
        return [management.ExpEtherManagement,
                redfish_mgmt.RedfishManagement, ipmitool.IPMIManagement,
                noop_mgmt.NoopManagement]

    @property
    def supported_inspect_interfaces(self):
        """List of supported inspect interfaces (expether, then generic)."""
        return ([inspect.ExpEtherInspect]
                + super().supported_inspect_interfaces)

    @property
    def supported_vendor_interfaces(self):
        """List of supported vendor interfaces."""
        return [vendor.ExpEtherVendor, noop.NoVendor]

    @property
    def supported_boot_interfaces(self):
        """List of supported boot interfaces (generic ones, then fake)."""
        return super().supported_boot_interfaces + [fake.FakeBoot]

    @property
    def supported_deploy_interfaces(self):
        """List of supported deploy interfaces (generic ones, then fake)."""
        return super().supported_deploy_interfaces + [fake.FakeDeploy]
