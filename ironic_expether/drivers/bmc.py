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

"""Lazily built BMC interfaces that the expether interfaces delegate to.

EEM cannot switch a server's power or choose its boot device; the node's
BMC can. When ``driver_info`` has ``redfish_address`` or ``ipmi_address``,
the expether power and management interfaces hand those jobs to Ironic's own
redfish or ipmitool implementation.

NOTE(expether): the implementations are built on first use, not at import
or load time: Ironic's ipmitool interfaces look for the ``ipmitool`` binary
in their constructor, which must not stop a conductor whose nodes all use
Redfish (or no BMC).
"""

import threading

from ironic.common import exception
from ironic.common.i18n import _
from ironic.drivers.modules import ipmitool
from ironic.drivers.modules.redfish import utils as redfish_utils

from ironic_expether.eem_access import utils


class Delegates(object):
    """One lazily built BMC interface per kind of BMC.

    :param factories: a dict mapping a BMC kind (``'redfish'``,
        ``'ipmi'``, as returned by :func:`utils.bmc_kind`) to a callable
        that builds the interface.
    """

    def __init__(self, factories):
        self._factories = dict(factories)
        self._instances = {}
        self._lock = threading.Lock()

    def get(self, node):
        """Return the BMC interface a node delegates to, or None.

        :param node: an Ironic node.
        :returns: an interface instance, or None when the node has no BMC.
        :raises: InvalidParameterValue (HTTP 400) naming the node and its
            BMC key if the implementation cannot be built on this conductor
            (for example when ``ipmitool`` is not installed).
        """
        kind = utils.bmc_kind(node)
        if kind is None:
            return None
        with self._lock:
            instance = self._instances.get(kind)
            if instance is None:
                try:
                    instance = self._factories[kind]()
                except exception.DriverLoadError as e:
                    # NOTE(expether): Ironic answers a DriverLoadError with
                    # a 500; the fix is in the node's driver_info (or the
                    # conductor's packages), so say so with a 400.
                    key = dict(utils.BMC_ADDRESS_KEYS)[kind]
                    raise exception.InvalidParameterValue(
                        _('Node %(node)s has %(key)s in driver_info, but '
                          'this conductor cannot use that BMC: %(err)s. '
                          'Give the node a BMC this conductor can use, or '
                          'install what it lacks.') %
                        {'node': node.uuid, 'key': key, 'err': e}) from e
                self._instances[kind] = instance
            return instance

    def reset(self):
        """Forget the built interfaces (for tests)."""
        with self._lock:
            self._instances.clear()


def bmc_properties(*modules_properties):
    """Describe the BMC driver_info keys next to the EEM ones.

    :param modules_properties: pairs ``(label, properties)`` where
        ``properties`` is a BMC implementation's ``COMMON_PROPERTIES``.
    :returns: a dict of the BMC keys, each description prefixed with the
        label, plus ``redfish_address`` and ``ipmi_address`` described as
        optional switches of the delegation.
    """
    result = {}
    for label, properties in modules_properties:
        for key, description in properties.items():
            result[key] = '(%s) %s' % (label, description)
    result['redfish_address'] = _(
        'Address of the node\'s Redfish BMC. When set, power and boot '
        'devices are handled through Redfish (redfish_* keys), otherwise '
        'the power state is read from EEM and cannot be changed. '
        'Optional.')
    result['ipmi_address'] = _(
        'Address of the node\'s IPMI BMC, used when redfish_address is not '
        'set. When set, power and boot devices are handled with ipmitool '
        '(ipmi_* keys). Optional.')
    return result


def no_bmc_error(node, reason):
    """Build the error for something only a BMC can do.

    :param node: the Ironic node without a BMC.
    :param reason: why EEM cannot do it, as a translated phrase.
    :returns: an InvalidParameterValue (HTTP 400) to raise.
    """
    return exception.InvalidParameterValue(
        _('Node %(node)s has no BMC, and %(reason)s. Set driver_info '
          'redfish_address (and the other redfish_* keys) or ipmi_address '
          '(and ipmi_*) to use a BMC.') % {'node': node.uuid,
                                           'reason': reason})


class DelegatingInterfaceMixin(object):
    """What the expether power and management interfaces share.

    Both describe and check the EEM keys and the keys of the BMC they hand
    work to. A subclass sets :attr:`delegates`.
    """

    #: The :class:`Delegates` of the interface.
    delegates = None

    def get_properties(self):
        """Return the properties of the interface.

        :returns: the EEM keys of :data:`utils.COMMON_PROPERTIES` and the
            keys of the redfish and ipmitool BMC implementations.
        """
        properties = bmc_properties(
            ('Redfish BMC', redfish_utils.COMMON_PROPERTIES),
            ('IPMI BMC', ipmitool.COMMON_PROPERTIES))
        properties.update(utils.COMMON_PROPERTIES)
        return properties

    def validate(self, task):
        """Check the EEM and BMC driver_info of the node, without network I/O.

        :param task: a TaskManager instance containing the node to act on.
        :raises: MissingParameterValue, InvalidParameterValue on a missing
            or malformed key, naming the node and the key.
        :raises: InvalidParameterValue if the node has an IPMI BMC and
            ``ipmitool`` is not installed.
        """
        utils.parse_driver_info(task.node)
        delegate = self.delegates.get(task.node)
        if delegate is not None:
            delegate.validate(task)

    def _require_delegate(self, task, reason):
        """Return the node's BMC interface, or raise when it has no BMC.

        :param task: a TaskManager instance containing the node to act on.
        :param reason: why EEM cannot do the job, as a translated phrase.
        :raises: InvalidParameterValue (HTTP 400) when the node has no BMC.
        """
        delegate = self.delegates.get(task.node)
        if delegate is None:
            raise no_bmc_error(task.node, reason)
        return delegate
