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

"""The ``expether`` power interface.

* With a BMC (``redfish_address`` or ``ipmi_address`` in ``driver_info``)
  every power operation goes to Ironic's own redfish or ipmitool power
  interface.
* Without a BMC the power state is read from EEM (the ``power_status`` of
  the server engine); EEM cannot switch power, so any change is refused
  with a 400 that says a BMC is needed.
"""

from ironic.common.i18n import _
from ironic.common import states
from ironic.conductor import task_manager
from ironic.drivers import base
from ironic.drivers.modules import ipmitool
from ironic.drivers.modules.redfish import power as redfish_power
from ironic.drivers.modules.redfish import utils as redfish_utils

from ironic_expether.drivers import bmc
from ironic_expether.drivers import management
from ironic_expether.drivers import periodics
from ironic_expether.eem_access import utils

#: BMC power implementations, built on first use.
DELEGATES = bmc.Delegates({'redfish': redfish_power.RedfishPower,
                           'ipmi': ipmitool.IPMIPower})


def _eem_cannot(action):
    """Why EEM alone cannot do a power action, for the no-BMC error."""
    return _('ExpEther Manager (EEM) can only read the power state of a '
             'server, not change it, so %s is not possible') % action


class ExpEtherPower(periodics.DiscoveryMixin, bmc.DelegatingInterfaceMixin,
                    base.PowerInterface):
    """Power through the node's BMC, or read-only power state from EEM."""

    delegates = DELEGATES

    def get_power_state(self, task):
        """Return the power state of the node.

        :param task: a TaskManager instance containing the node to act on.
        :returns: ``states.POWER_ON``, ``states.POWER_OFF`` or
            ``states.ERROR``.
        :raises: MissingParameterValue, InvalidParameterValue on bad
            driver_info.
        :raises: DriverOperationError (or the BMC implementation's errors)
            when EEM or the BMC fails.
        """
        delegate = DELEGATES.get(task.node)
        if delegate is not None:
            return delegate.get_power_state(task)
        return utils.eem_power_state(task.node)

    def _restore_redfish_boot_device(self, task, power_state):
        """Re-apply a remembered Redfish boot device before powering on.

        Ironic's redfish power does this only when the management interface
        is redfish's own; the expether management interface delegates to
        it, so the expether power interface does it instead.
        """
        if (power_state not in (states.POWER_ON, states.REBOOT,
                                states.SOFT_REBOOT)
                or utils.bmc_kind(task.node) != 'redfish'
                or not isinstance(task.driver.management,
                                  management.ExpEtherManagement)
                or not task.node.driver_internal_info.get(
                    'redfish_boot_device')):
            return
        mgmt = management.DELEGATES.get(task.node)
        mgmt.restore_boot_device(task, redfish_utils.get_system(task.node))

    @task_manager.require_exclusive_lock
    def set_power_state(self, task, power_state, timeout=None):
        """Switch the node's power through its BMC.

        :param task: a TaskManager instance containing the node to act on.
        :param power_state: any power state of :mod:`ironic.common.states`.
        :param timeout: seconds to wait for the new state, or None.
        :raises: InvalidParameterValue (HTTP 400) when the node has no BMC.
        :raises: the BMC implementation's errors.
        """
        delegate = self._require_delegate(
            task, _eem_cannot(_('setting the power state to %s') %
                              power_state))
        self._restore_redfish_boot_device(task, power_state)
        delegate.set_power_state(task, power_state, timeout=timeout)

    @task_manager.require_exclusive_lock
    def reboot(self, task, timeout=None):
        """Reboot the node (or power it on) through its BMC.

        :param task: a TaskManager instance containing the node to act on.
        :param timeout: seconds to wait for the node to be on, or None.
        :raises: InvalidParameterValue (HTTP 400) when the node has no BMC.
        :raises: the BMC implementation's errors.
        """
        delegate = self._require_delegate(task, _eem_cannot(_('rebooting')))
        self._restore_redfish_boot_device(task, states.REBOOT)
        delegate.reboot(task, timeout=timeout)

    def get_supported_power_states(self, task):
        """Return the power states the node can be set to.

        NOTE(expether): without a BMC there are none. The conductor asks for
        this list synchronously before every power change, so the clear
        "a BMC is needed" error is raised here: the API then answers 400
        instead of accepting the request and failing in the background.

        :param task: a TaskManager instance containing the node to act on.
        :returns: the BMC implementation's list.
        :raises: InvalidParameterValue (HTTP 400) when the node has no BMC.
        """
        delegate = self._require_delegate(
            task, _eem_cannot(_('changing the power state')))
        return delegate.get_supported_power_states(task)

    def supports_power_sync(self, task):
        """Tell whether the conductor may force the recorded power state.

        :param task: a TaskManager instance containing the node to act on.
        :returns: True with a BMC; False without one, as EEM cannot switch
            power (the conductor then records what EEM reports).
        """
        return utils.bmc_kind(task.node) is not None
