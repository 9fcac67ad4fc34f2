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

"""Service steps changing the devices of a deployed node.

Run with ``baremetal node service <node> --service-steps '[...]'`` on an
``active`` node, or from a runbook. None of them needs a ramdisk.

* ``attach_devices``: ``pci_device`` (``{"type": ["GPU", "GPU"]}``, the
  argument of the ``compose_devices`` deploy step: one free device per
  entry) and/or ``resource_ids`` (pool uuids or EE ids of free devices).
  The devices are the node's (purpose ``service``) until
  ``detach_devices``, or until the node is torn down (the
  ``release_devices`` clean step). On a failure the devices the step
  attached go back to the pool and the node is left in ``service failed``
  with a ``last_error`` naming the device and the EEM step; service it
  again, or abort.
* ``detach_devices``: ``resource_ids`` (devices the node holds) and/or
  ``types`` (every device of these types the node holds, except devices
  attached at deploy time).
* ``release_devices`` (also a clean step, see
  :mod:`ironic_expether.drivers.steps`).

Every step takes ``reboot_after`` (default false): reboot the node through
its power interface once the devices changed, for hosts that do not
rescan PCIe when a device is hot-added or removed.

Limits (:mod:`ironic_expether.pool.limits`) are checked before anything is
claimed, and again under each claim, before any EEM move. Every change is
written to the node's history (user, project, device), and the node's
``properties['expether_devices']`` and ``CUSTOM_EXPETHER_*`` traits follow.
"""

import collections

from ironic.common import exception
from ironic.common.i18n import _
from ironic.common import states
from ironic.conductor import utils as conductor_utils
from ironic.drivers import base
from oslo_log import log
from oslo_utils import uuidutils

from ironic_expether.eem_access import fabric
from ironic_expether.eem_access import utils
from ironic_expether.pool import claims
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.pool import describe
from ironic_expether.pool import limits
from ironic_expether.pool import podm as podm_api
from ironic_expether.pool import vocabulary
from ironic_expether.valence import schemas

LOG = log.getLogger(__name__)

#: Priority of the verify step giving every node :data:`describe.NODE_TRAIT`.
NODE_TRAIT_VERIFY_PRIORITY = 10

_REF = {'type': 'string',
        'anyOf': [{'pattern': schemas.UUID_PATTERN},
                  {'pattern': schemas.EEID_PATTERN}]}
_REFS = {'type': 'array', 'uniqueItems': True,
         'maxItems': vocabulary.MAX_DEVICES, 'items': _REF}
_REBOOT = {'type': 'boolean'}

ATTACH_SCHEMA = {
    'type': 'object',
    'properties': {'pci_device': vocabulary.PCI_DEVICE,
                   'resource_ids': _REFS,
                   'reboot_after': _REBOOT},
    'additionalProperties': False,
}
DETACH_SCHEMA = {
    'type': 'object',
    'properties': {'resource_ids': _REFS,
                   'types': {'type': 'array', 'uniqueItems': True,
                             'items': {'type': 'string',
                                       'enum': vocabulary.DEVICE_TYPES}},
                   'reboot_after': _REBOOT},
    'additionalProperties': False,
}

_REBOOT_INFO = {
    'description': _('Reboot the node (power interface) once its devices '
                     'changed, for a host that does not rescan PCIe. '
                     'Default: false.'),
    'required': False}

ATTACH_ARGSINFO = {
    'pci_device': {
        'description': _('Free devices to attach, one per entry (repeats '
                         'allowed), as in the compose_devices deploy step: '
                         '{"type": ["GPU", "GPU"]}. Types: %s.') %
        ', '.join(vocabulary.DEVICE_TYPES),
        'required': False},
    'resource_ids': {
        'description': _('Free devices to attach by pool uuid or EE id: '
                         '["0x8cdf9d911cb0"].'),
        'required': False},
    'reboot_after': _REBOOT_INFO,
}
DETACH_ARGSINFO = {
    'resource_ids': {
        'description': _('Devices of the node to return to the pool, by '
                         'pool uuid or EE id.'),
        'required': False},
    'types': {
        'description': _('Return every device of these types the node '
                         'holds (devices attached at deploy time excepted): '
                         '["GPU"].'),
        'required': False},
    'reboot_after': _REBOOT_INFO,
}


def _validate(node, schema, step, args):
    try:
        vocabulary.validate(schema, args, step)
    except exception.IronicException as e:
        raise exception.InvalidParameterValue(
            _('Service step %(step)s of node %(node)s: %(err)s') %
            {'step': step, 'node': node.uuid, 'err': e})


def _who(task):
    ctx = task.context
    return (getattr(ctx, 'user_id', None) or _('unknown user'),
            getattr(ctx, 'project_id', None) or _('no project'))


def record(task, event, error=False):
    """Write an event to the node's history, naming who asked.

    :param task: a TaskManager instance.
    :param event: what happened (the device, the step).
    :param error: whether it is an error (also sets ``last_error``).
    """
    user, project = _who(task)
    conductor_utils.node_history_record(
        task.node, event='%s (user %s, project %s)' % (event, user, project),
        event_type='service', user=getattr(task.context, 'user_id', None),
        project=getattr(task.context, 'project_id', None), error=error)


def _device_text(device):
    return '%s (%s, %s)' % (device.eeid, device.type, device.uuid)


def _find_in_pool(podm, ref):
    if uuidutils.is_uuid_like(ref):
        device = db_api.find_device(ref, podm_uuid=podm.uuid)
    else:
        device = db_api.get_device_by_eeid(podm.uuid, ref.lower())
    return device


def _connect_claimed(task, device, client, eesv_id):
    """Check the limits under a claim, then move; the claim goes on error."""
    node = task.node
    try:
        limits.check_claim(node, device)
        group_id = fabric.connect(client, eesv_id, device.eeid, node=node)
    except Exception:
        claims.release_claim(device.uuid, node.uuid)
        raise
    return claims.confirm_claim(device.uuid, node.uuid, group_id)


def _reboot(task, step):
    LOG.info('Node %(node)s: rebooting after %(step)s', {
        'node': task.node.uuid, 'step': step})
    conductor_utils.node_power_action(task, states.REBOOT)
    record(task, _('%s: rebooted the node so that the host sees its '
                   'devices') % step)


class ServiceStepsMixin(object):
    """Service steps of the vendor interface, and its verify step."""

    @base.verify_step(priority=NODE_TRAIT_VERIFY_PRIORITY)
    def tag_expether_node(self, task):
        """Give the node the CUSTOM_EXPETHER trait runbooks match.

        A database error does not fail the verification: servicing and
        inspection add the trait too, and an operator can add it by hand.

        :param task: a TaskManager instance.
        """
        try:
            added = describe.ensure_node_trait(task.node)
        except Exception as e:
            LOG.error('Node %(node)s: could not add trait %(trait)s '
                      '(%(err)s); add it with "baremetal node add trait" '
                      'for runbooks to match the node',
                      {'node': task.node.uuid, 'trait': describe.NODE_TRAIT,
                       'err': e})
            return
        if added:
            LOG.info('Node %(node)s: added trait %(trait)s', {
                'node': task.node.uuid, 'trait': describe.NODE_TRAIT})

    @base.service_step(priority=0, requires_ramdisk=False,
                       argsinfo=ATTACH_ARGSINFO)
    def attach_devices(self, task, **args):
        """Attach free devices to a deployed node.

        :param task: a TaskManager instance.
        :param args: ``pci_device``, ``resource_ids``, ``reboot_after``.
        :raises: InvalidParameterValue for a bad argument.
        :raises: NotFound for a device the pool does not know.
        :raises: Conflict when a limit would be passed, no free device of
            a type is left, a device is not free, or EEM refuses a move;
            the devices the step attached are returned.
        :raises: TemporaryFailure when EEM fails; likewise.
        """
        node = task.node
        step = 'attach_devices'
        _validate(node, ATTACH_SCHEMA, step, args)
        types = list((args.get('pci_device') or {}).get('type') or [])
        refs = list(args.get('resource_ids') or [])
        if not types and not refs:
            raise exception.MissingParameterValue(
                _('Service step attach_devices of node %s: pci_device or '
                  'resource_ids is required') % node.uuid)
        info = utils.parse_driver_info(node)
        podm = podm_api.pod_manager_of_node(node, info=info)
        describe.ensure_node_trait(node)
        wanted = []
        for ref in refs:
            try:
                wanted.append(_find_in_pool(podm, ref))
            except exception.NotFound:
                raise exception.NotFound(
                    _('attach_devices: resource_ids: device %(ref)s is not '
                      'in the pool of EEM %(eem)s') %
                    {'ref': ref, 'eem': utils.safe_address(podm.url)})
        limits.check_request(
            node, collections.Counter(types + [d.type for d in wanted]))
        client = utils.get_client(info)
        attached = []
        current = None
        try:
            for pci_type in types:
                current = _('a free %s device') % pci_type
                device = claims.claim_free_device(
                    podm.uuid, pci_type, node.uuid,
                    purpose=models.PURPOSE_SERVICE)
                current = _device_text(device)
                attached.append(_connect_claimed(task, device, client,
                                                 info['eesv_id']))
            for device in wanted:
                current = _device_text(device)
                device = claims.claim_device(None, device.uuid, node.uuid,
                                             purpose=models.PURPOSE_SERVICE)
                attached.append(_connect_claimed(task, device, client,
                                                 info['eesv_id']))
        except Exception as e:
            self._roll_back(task, attached, current, e)
        describe.update_node(node)
        for device in attached:
            record(task, _('attach_devices: attached device %s') %
                   _device_text(device))
        LOG.info('Node %(node)s: service step attach_devices attached '
                 '%(devs)s', {'node': node.uuid,
                              'devs': ', '.join(map(_device_text,
                                                    attached))})
        if args.get('reboot_after'):
            _reboot(task, step)

    @staticmethod
    def _roll_back(task, attached, current, error):
        """Return what a failed attach_devices attached, then raise."""
        node = task.node
        returned, kept = [], []
        for device in attached:
            try:
                claims.release(node, [device.uuid])
                returned.append(device)
            except exception.IronicException as e:
                LOG.error('Node %(node)s: could not return device %(dev)s '
                          'after a failed attach_devices: %(err)s',
                          {'node': node.uuid, 'dev': device.uuid, 'err': e})
                kept.append(device)
        try:
            describe.update_node(node)
        except Exception as e:
            LOG.error('Node %(node)s: could not update its devices after a '
                      'failed attach_devices: %(err)s',
                      {'node': node.uuid, 'err': e})
        msg = (_('attach_devices failed on %(dev)s: %(err)s. Returned to '
                 'the pool: %(returned)s.') %
               {'dev': current, 'err': str(error).rstrip('.'),
                'returned': ', '.join(d.eeid for d in returned) or _('none')})
        if kept:
            msg += ' ' + (_('Still attached (detach them or service again): '
                            '%s.') % ', '.join(d.eeid for d in kept))
        record(task, msg, error=True)
        if isinstance(error, exception.IronicException):
            raise type(error)(msg) from error
        raise exception.DriverOperationError(msg) from error

    @base.service_step(priority=0, requires_ramdisk=False,
                       argsinfo=DETACH_ARGSINFO)
    def detach_devices(self, task, **args):
        """Return devices of a deployed node to the pool.

        :param task: a TaskManager instance.
        :param args: ``resource_ids``, ``types``, ``reboot_after``.
        :raises: InvalidParameterValue for a bad argument.
        :raises: Conflict for a device the node does not hold (nothing is
            detached then), or a device being moved.
        :raises: TemporaryFailure when EEM fails for a device (the others
            are detached).
        """
        node = task.node
        step = 'detach_devices'
        _validate(node, DETACH_SCHEMA, step, args)
        refs = list(args.get('resource_ids') or [])
        types = set(args.get('types') or [])
        if not refs and not types:
            raise exception.MissingParameterValue(
                _('Service step detach_devices of node %s: resource_ids or '
                  'types is required') % node.uuid)
        held = claims.devices_of_node(node.uuid)
        chosen = {}
        for ref in refs:
            match = [d for d in held
                     if ref.lower() in (d.uuid.lower(), d.eeid.lower())]
            if not match:
                raise exception.Conflict(
                    _('detach_devices: resource_ids: node %(node)s does not '
                      'hold device %(ref)s; nothing was detached') %
                    {'node': node.uuid, 'ref': ref})
            chosen[match[0].uuid] = match[0]
        for device in held:
            if (device.type in types
                    and device.purpose in models.LISTED_PURPOSES):
                chosen[device.uuid] = device
        released, first_error = [], None
        for device in sorted(chosen.values(), key=lambda d: d.eeid):
            try:
                claims.release(node, [device.uuid])
            except exception.IronicException as e:
                record(task, _('detach_devices failed on device %(dev)s: '
                               '%(err)s') % {'dev': _device_text(device),
                                             'err': e}, error=True)
                first_error = first_error or e
                continue
            released.append(device)
            record(task, _('detach_devices: returned device %s to the '
                           'pool') % _device_text(device))
        describe.update_node(node)
        if first_error is not None:
            raise first_error
        if released and args.get('reboot_after'):
            _reboot(task, step)
