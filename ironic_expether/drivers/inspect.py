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

"""The ``expether`` inspect interface: out-of-band, no ramdisk.

One ``devices/detail`` request to the node's EEM gives the server engine
(EESV) and the devices (EEIOs) in its group. They are stored in the node's
inventory (``baremetal node inventory save``) in the format of Ironic's own
inspection:

* ``inventory['pci_devices']`` (and ``plugin_data['pci_devices']``, where
  the ``pci-devices`` hook reads it): one entry per device with
  ``vendor_id``, ``product_id`` (4 hexadecimal digits, no ``0x``),
  ``class`` (6 digits), ``revision`` and ``bus`` (None: EEM does not know
  the PCI address the host gives the device), plus ``expether_id``,
  ``expether_type``, ``vendor_name`` and ``device_name``;
* ``inventory['expether']``: the server engine (``eesv_id``, ``group_id``,
  ``max_eeio_count``, ``power_state``).

The node's properties get ``expether_group_id`` and
``expether_max_eeio_count``.

When the node has a Redfish BMC (``redfish_address``), Ironic's ``redfish``
inspection runs as usual (CPU, memory, disks, NICs, ports; its hooks and
inspection rules) with the EEM devices merged into its ``pci_devices``, so
the hooks and rules see both. Without a BMC, the hooks of
``[expether]inspection_hooks`` and the inspection rules run on the EEM
inventory; memory, CPU and disks stay unknown (nothing sets
``memory_mb``, ``local_gb`` and ``cpu_arch``).
"""

import threading

from ironic.common import exception
from ironic.common.i18n import _
from ironic.common.inspection_rules import engine
from ironic.common import states
from ironic.drivers import base
from ironic.drivers.modules import inspect_utils
from ironic.drivers.modules.redfish import inspect as redfish_inspect
from ironic.drivers.modules.redfish import utils as redfish_utils
from oslo_log import log

from ironic_expether import conf
from ironic_expether.drivers import bmc
from ironic_expether import eem
from ironic_expether.eem_access import utils

LOG = log.getLogger(__name__)

#: Inventory key of the server engine's description.
INVENTORY_KEY = 'expether'


def _hex(value, width):
    return None if value is None else '%0*x' % (width, value)


def pci_device_entry(device):
    """One EEM device as an entry of the inventory's ``pci_devices``.

    :param device: an EEIO :class:`ironic_expether.eem.Device`.
    :returns: a dict with the keys Ironic's inspection hooks read
        (``vendor_id``, ``product_id``, ``class``, ``revision``, ``bus``)
        and the ExpEther ones.
    """
    return {
        'vendor_id': _hex(device.pci_vendor_id, 4),
        'product_id': _hex(device.pci_device_id, 4),
        'class': _hex(device.pci_class, 6),
        'revision': None,
        # NOTE(expether): the host numbers its PCI buses itself; EEM does
        # not know the address, but the accelerators hook reads the key.
        'bus': None,
        'expether_id': device.id,
        'expether_type': device.pci_type,
        'vendor_name': device.pci_vendor_name,
        'device_name': device.pci_device_name,
    }


def read_eem(node):
    """Read a node's server engine and the devices in its group.

    One ``devices/detail`` request.

    :param node: an Ironic node with expether driver_info.
    :returns: a tuple ``(eesv, devices)``: the EESV and the EEIOs in its
        group (none while it has the default group), sorted by EE id.
    :raises: MissingParameterValue, InvalidParameterValue on bad
        driver_info, or when EEM does not list ``eesv_id`` as a server
        engine.
    :raises: TemporaryFailure when EEM cannot be reached or fails.
    """
    info = utils.parse_driver_info(node)
    client = utils.get_client(info)
    with utils.eem_errors(node, _('listing the devices for inspection'),
                          address=info['address']):
        devices = client.list_devices()
    eesv = next((d for d in devices
                 if d.is_eesv and (d.id or '').lower() == info['eesv_id']),
                None)
    if eesv is None:
        raise exception.InvalidParameterValue(
            _('Invalid driver_info/eesv_id on node %(node)s: EEM %(eem)s '
              'lists no server engine %(eesv)s') %
            {'node': node.uuid, 'eem': utils.safe_address(info['address']),
             'eesv': info['eesv_id']})
    try:
        own_group = (eem.MIN_GROUP_ID <= int(eesv.group_id)
                     <= eem.MAX_GROUP_ID)
    except (TypeError, ValueError):
        own_group = False
    members = sorted((d for d in devices
                      if own_group and d.is_eeio
                      and d.group_id == eesv.group_id),
                     key=lambda d: d.id or '')
    return eesv, members


def eem_inventory(eesv, devices):
    """The inventory parts EEM knows.

    :param eesv: the server engine.
    :param devices: the EEIOs in its group.
    :returns: a tuple ``(pci_devices, expether)``.
    """
    return ([pci_device_entry(d) for d in devices],
            {'eesv_id': eesv.id, 'group_id': eesv.group_id,
             'max_eeio_count': eesv.max_eeio_count,
             'power_state': eesv.power_state,
             'device_count': len(devices)})


def _set_properties(node, eesv):
    node.set_property('expether_group_id', eesv.group_id)
    node.set_property('expether_max_eeio_count', eesv.max_eeio_count)


class _RedfishWithEEM(redfish_inspect.RedfishInspect):
    """Ironic's redfish inspection, with the EEM devices added.

    NOTE(expether): the EEM devices join redfish's own PCIe devices before
    redfish runs its hooks, stores the inventory and applies the inspection
    rules, so all of them see one inventory. The devices of the inspection
    in progress are kept per thread: one instance serves every node.
    """

    def __init__(self):
        super().__init__()
        self._local = threading.local()

    def inspect_with(self, task, pci_devices, expether):
        """Run redfish inspection with EEM's devices merged in.

        :param task: a TaskManager instance.
        :param pci_devices: the EEM ``pci_devices`` entries.
        :param expether: the inventory's ``expether`` section.
        :returns: what redfish inspection returns.
        """
        self._local.extra = (pci_devices, expether)
        try:
            return self.inspect_hardware(task)
        finally:
            self._local.extra = None

    def _get_pcie_devices(self, system):
        found = super()._get_pcie_devices(system)
        extra = getattr(self._local, 'extra', None)
        return found + list(extra[0]) if extra else found


class ExpEtherInspect(base.InspectInterface):
    """Out-of-band inspection of the devices EEM has in the node's group."""

    #: The BMC inspection a node with ``redfish_address`` delegates to.
    delegates = bmc.Delegates({'redfish': _RedfishWithEEM})

    def __init__(self):
        super().__init__()
        self._hooks = None
        self._hooks_lock = threading.Lock()

    def _get_hooks(self):
        with self._hooks_lock:
            if self._hooks is None:
                names = [n.strip() for n in
                         conf.CONF.expether.inspection_hooks.split(',')
                         if n.strip()]
                self._hooks = inspect_utils.validate_inspection_hooks(
                    'expether', names)
            return self._hooks

    def get_properties(self):
        """Return the properties of the interface.

        :returns: the EEM keys, and the Redfish BMC keys.
        """
        properties = bmc.bmc_properties(
            ('Redfish BMC', redfish_utils.COMMON_PROPERTIES))
        properties.pop('ipmi_address', None)
        properties.update(utils.COMMON_PROPERTIES)
        return properties

    def validate(self, task):
        """Check the node's driver_info, without network I/O.

        :param task: a TaskManager instance containing the node to act on.
        :raises: MissingParameterValue, InvalidParameterValue on a missing
            or malformed key, naming it.
        """
        utils.parse_driver_info(task.node)
        if utils.bmc_kind(task.node) == 'redfish':
            redfish_utils.parse_driver_info(task.node)

    def inspect_hardware(self, task):
        """Inspect the node: EEM's devices, and the BMC's view if any.

        :param task: a TaskManager instance containing the node to act on.
        :returns: ``states.MANAGEABLE``.
        :raises: InvalidParameterValue on bad driver_info.
        :raises: TemporaryFailure when EEM fails.
        :raises: HardwareInspectionFailure when the BMC's inspection or a
            hook fails.
        """
        node = task.node
        eesv, devices = read_eem(node)
        pci_devices, expether = eem_inventory(eesv, devices)
        # NOTE(expether): only Redfish inspection is delegated to; a node
        # with an IPMI BMC is inspected from EEM alone.
        if utils.bmc_kind(node) == 'redfish':
            delegate = self.delegates.get(node)
            # Redfish saves node.properties from its own copy: ours first.
            _set_properties(node, eesv)
            result = delegate.inspect_with(task, pci_devices, expether)
            self._add_section(task, expether)
        else:
            inventory = {'cpu': {'count': 0, 'architecture': ''},
                         'interfaces': [],
                         'pci_devices': pci_devices,
                         INVENTORY_KEY: expether}
            plugin_data = {'pci_devices': list(pci_devices)}
            inspect_utils.run_inspection_hooks(task, inventory, plugin_data,
                                               self._get_hooks(), None)
            inspect_utils.store_inspection_data(node, inventory, plugin_data,
                                                task.context)
            engine.apply_rules(task, inventory, plugin_data, 'main')
            _set_properties(node, eesv)
            node.save()
            result = states.MANAGEABLE
        LOG.info('Inspected node %(node)s: server engine %(eesv)s, group '
                 '%(gid)s, devices %(devs)s', {
                     'node': node.uuid, 'eesv': eesv.id,
                     'gid': eesv.group_id,
                     'devs': ', '.join('%s (%s)' % (d.id, d.pci_type)
                                       for d in devices) or 'none'})
        return result

    @staticmethod
    def _add_section(task, expether):
        """Add the server engine's section to the stored inventory."""
        try:
            data = inspect_utils.get_inspection_data(task.node, task.context)
        except exception.NodeInventoryNotFound:
            return
        inventory = dict(data.get('inventory') or {})
        inventory[INVENTORY_KEY] = expether
        inspect_utils.store_inspection_data(
            task.node, inventory, data.get('plugin_data') or {},
            task.context)
