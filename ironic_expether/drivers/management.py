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

"""The ``expether`` management interface.

* Boot devices, boot modes, secure boot and NMI go to the node's BMC
  (Ironic's redfish or ipmitool management) when ``driver_info`` has
  ``redfish_address`` or ``ipmi_address``. Without a BMC there are no boot
  devices.
* Indicators: the UID LED of the server engine (EESV), through EEM. BMC
  indicators are not offered (one LED per node keeps the ids stable).
* Sensors: link and notification status of the EESV and of every device
  (EEIO) in its group, from EEM, merged with the BMC's sensors.
"""

from ironic.common import components
from ironic.common import exception
from ironic.common.i18n import _
from ironic.common import indicator_states
from ironic.conductor import task_manager
from ironic.drivers import base
from ironic.drivers.modules import ipmitool
from ironic.drivers.modules.redfish import management as redfish_mgmt
from oslo_log import log

from ironic_expether.drivers import bmc
from ironic_expether.eem_access import fabric
from ironic_expether.eem_access import utils

LOG = log.getLogger(__name__)

#: BMC management implementations, built on first use.
DELEGATES = bmc.Delegates({'redfish': redfish_mgmt.RedfishManagement,
                           'ipmi': ipmitool.IPMIManagement})

#: Sensor type under which the EEM sensors are reported.
SENSOR_TYPE = 'ExpEther'

#: Indicator states of EEM's UID LED.
LED_STATES = [indicator_states.OFF, indicator_states.ON]


def led_indicator_id(eesv_id):
    """Return the indicator id of an EESV's UID LED.

    :param eesv_id: EE id of the server engine.
    :returns: ``'led-<eesv_id>'``.
    """
    return 'led-%s' % eesv_id


def _status(value):
    if value is None:
        return 'unknown'
    if isinstance(value, (list, tuple)):
        return ','.join(str(v) for v in value) or 'unknown'
    return str(value)


def _device_sensor(device):
    sensor = {
        'Sensor ID': device.id,
        'Sensor Reading': 'up' if device.is_up else 'down',
        'Engine Kind': _status(device.kind),
        'Engine Type': _status(device.type),
        'Group ID': _status(device.group_id),
        'Link Status 0': _status(device.link_status0),
        'Link Status 1': _status(device.link_status1),
        'Notification Status 0': _status(device.notification_status0),
        'Notification Status 1': _status(device.notification_status1),
    }
    if device.is_eeio:
        sensor['PCI Type'] = _status(device.pci_type)
    return sensor


class ExpEtherManagement(bmc.DelegatingInterfaceMixin,
                         base.ManagementInterface):
    """Boot devices through the BMC; UID LED and engine sensors via EEM."""

    delegates = DELEGATES

    # Boot devices and other BMC matters.

    def get_supported_boot_devices(self, task):
        """Return the boot devices the node's BMC supports.

        :param task: a TaskManager instance containing the node to act on.
        :returns: the BMC implementation's list, or an empty list without a
            BMC.
        """
        delegate = DELEGATES.get(task.node)
        if delegate is None:
            return []
        return delegate.get_supported_boot_devices(task)

    @task_manager.require_exclusive_lock
    def set_boot_device(self, task, device, persistent=False):
        """Set the boot device through the node's BMC.

        :param task: a TaskManager instance containing the node to act on.
        :param device: a boot device of :mod:`ironic.common.boot_devices`.
        :param persistent: whether the setting applies to all later boots.
        :raises: InvalidParameterValue (HTTP 400) when the node has no BMC.
        :raises: the BMC implementation's errors.
        """
        delegate = self._require_delegate(
            task, _('ExpEther Manager (EEM) cannot set a boot device'))
        delegate.set_boot_device(task, device, persistent=persistent)

    def get_boot_device(self, task):
        """Return the boot device the node's BMC reports.

        :param task: a TaskManager instance containing the node to act on.
        :returns: ``{'boot_device': ..., 'persistent': ...}``; both None
            without a BMC.
        :raises: the BMC implementation's errors.
        """
        delegate = DELEGATES.get(task.node)
        if delegate is None:
            return {'boot_device': None, 'persistent': None}
        return delegate.get_boot_device(task)

    def _bmc_or_base(self, task):
        """The node's BMC interface, or the base class's (unsupported)."""
        delegate = DELEGATES.get(task.node)
        return delegate if delegate is not None else super()

    def get_supported_boot_modes(self, task):
        """Return the boot modes the node's BMC supports.

        :param task: a TaskManager instance containing the node to act on.
        :raises: UnsupportedDriverExtension without a BMC or when the BMC
            implementation has no boot mode support.
        """
        return self._bmc_or_base(task).get_supported_boot_modes(task)

    @task_manager.require_exclusive_lock
    def set_boot_mode(self, task, mode):
        """Set the boot mode through the node's BMC.

        :param task: a TaskManager instance containing the node to act on.
        :param mode: a boot mode of :mod:`ironic.common.boot_modes`.
        :raises: UnsupportedDriverExtension without a BMC or when the BMC
            implementation has no boot mode support.
        """
        return self._bmc_or_base(task).set_boot_mode(task, mode)

    def get_boot_mode(self, task):
        """Return the boot mode the node's BMC reports.

        :param task: a TaskManager instance containing the node to act on.
        :raises: UnsupportedDriverExtension without a BMC or when the BMC
            implementation has no boot mode support.
        """
        return self._bmc_or_base(task).get_boot_mode(task)

    @task_manager.require_exclusive_lock
    def inject_nmi(self, task):
        """Inject a non-maskable interrupt through the node's BMC.

        :param task: a TaskManager instance containing the node to act on.
        :raises: UnsupportedDriverExtension without a BMC.
        """
        return self._bmc_or_base(task).inject_nmi(task)

    def restore_boot_device(self, task, system):
        """Re-apply a remembered Redfish boot device (see redfish power).

        :param task: a TaskManager instance containing the node to act on.
        :param system: a sushy System of the node.
        """
        delegate = DELEGATES.get(task.node)
        if isinstance(delegate, redfish_mgmt.RedfishManagement):
            delegate.restore_boot_device(task, system)

    # Indicators: the EESV's UID LED.

    def get_supported_indicators(self, task, component=None):
        """Return the UID LED of the node's server engine.

        :param task: a TaskManager instance containing the node to act on.
        :param component: None or a component of
            :mod:`ironic.common.components`.
        :returns: ``{'system': {'led-<eesv_id>': {'readonly': False,
            'states': ['off', 'on']}}}``, or ``{}`` for another component.
        :raises: MissingParameterValue, InvalidParameterValue on bad
            driver_info.
        """
        info = utils.parse_driver_info(task.node)
        if component not in (None, components.SYSTEM):
            return {}
        return {components.SYSTEM: {
            led_indicator_id(info['eesv_id']): {
                'readonly': False, 'states': list(LED_STATES)}}}

    def _check_indicator(self, task, component, indicator):
        info = utils.parse_driver_info(task.node)
        expected = led_indicator_id(info['eesv_id'])
        if component != components.SYSTEM or indicator != expected:
            raise exception.InvalidParameterValue(
                _('Node %(node)s has no indicator %(indicator)s on component '
                  '%(component)s; its only indicator is %(expected)s on '
                  '%(system)s.') % {'node': task.node.uuid,
                                    'indicator': indicator,
                                    'component': component,
                                    'expected': expected,
                                    'system': components.SYSTEM})
        return info

    @task_manager.require_exclusive_lock
    def set_indicator_state(self, task, component, indicator, state):
        """Switch the UID LED of the node's server engine.

        :param task: a TaskManager instance containing the node to act on.
        :param component: ``'system'``.
        :param indicator: the id from :meth:`get_supported_indicators`.
        :param state: ``'on'`` or ``'off'``.
        :raises: InvalidParameterValue for another component, indicator or
            state.
        :raises: TemporaryFailure when EEM fails (see
            :func:`utils.eem_errors`).
        """
        info = self._check_indicator(task, component, indicator)
        if state not in LED_STATES:
            raise exception.InvalidParameterValue(
                _('The UID LED of node %(node)s can be %(states)s, not '
                  '%(state)s.') % {'node': task.node.uuid,
                                   'states': ' or '.join(LED_STATES),
                                   'state': state})
        client = utils.get_client(info)
        with utils.eem_errors(task.node, _('switching the UID LED of %s') %
                              info['eesv_id'], address=info['address'],
                              not_found=exception.InvalidParameterValue):
            client.set_uid_led(info['eesv_id'],
                               state == indicator_states.ON)

    def get_indicator_state(self, task, component, indicator):
        """Read the UID LED of the node's server engine.

        :param task: a TaskManager instance containing the node to act on.
        :param component: ``'system'``.
        :param indicator: the id from :meth:`get_supported_indicators`.
        :returns: ``'on'`` or ``'off'``.
        :raises: InvalidParameterValue for another component or indicator.
        :raises: TemporaryFailure when EEM fails (see
            :func:`utils.eem_errors`).
        """
        info = self._check_indicator(task, component, indicator)
        client = utils.get_client(info)
        with utils.eem_errors(task.node, _('reading the UID LED of %s') %
                              info['eesv_id'], address=info['address'],
                              not_found=exception.InvalidParameterValue):
            on = client.get_uid_led(info['eesv_id'])
        return indicator_states.ON if on else indicator_states.OFF

    # Sensors.

    def get_sensors_data(self, task):
        """Return engine status from EEM, merged with the BMC's sensors.

        EEM sensors are under the ``ExpEther`` sensor type, one per engine
        (the EESV and every EEIO in its group), keyed by EE id; ``Sensor
        Reading`` is ``up`` or ``down``. A failure of one source (EEM or the
        BMC) is logged and the other source's sensors are still returned;
        only when both fail (or EEM fails and there is no BMC) is
        FailedToGetSensorData raised.

        :param task: a TaskManager instance containing the node to act on.
        :returns: a dict of sensor type to sensor id to sensor fields.
        :raises: FailedToGetSensorData when no source answered.
        """
        sensors = {}
        errors = []
        delegate = DELEGATES.get(task.node)
        if delegate is not None:
            try:
                sensors.update(delegate.get_sensors_data(task) or {})
            except exception.IronicException as e:
                LOG.warning('Could not read the BMC sensors of node %(node)s,'
                            ' returning the EEM sensors only: %(error)s',
                            {'node': task.node.uuid, 'error': e})
                errors.append(e)
        try:
            info = utils.parse_driver_info(task.node)
            eesv, devices = fabric.devices_of(
                utils.get_client(info), info['eesv_id'], node=task.node)
        except exception.IronicException as e:
            if delegate is None or errors:
                errors.append(e)
                raise exception.FailedToGetSensorData(
                    node=task.node.uuid,
                    error='; '.join(str(x) for x in errors))
            LOG.warning('Could not read the EEM sensors of node %(node)s, '
                        'returning the BMC sensors only: %(error)s',
                        {'node': task.node.uuid, 'error': e})
            return sensors
        sensors[SENSOR_TYPE] = {d.id: _device_sensor(d)
                                for d in [eesv] + devices}
        return sensors
