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

"""The ``expether`` vendor interface: node passthru methods.

All methods are synchronous and return dicts:

* ``attach`` (POST, ``resource_id``): plug a device into the node;
* ``detach`` (POST, ``resource_id``): return a device to the free pool;
* ``devices`` (GET): the devices in the node's group.

``resource_id`` is the pool uuid of a device or the EE id of its IO engine
(EEIO). Attach and detach claim the device in the pool first
(:mod:`ironic_expether.pool.claims`); the EEM moves themselves are in
:mod:`ironic_expether.eem_access.fabric`.

The Valence-compatible methods (driver passthru and ``release``,
``register``) come from :class:`ironic_expether.valence.passthru.
ValencePassthruMixin`, the deploy/clean steps from
:class:`ironic_expether.drivers.steps.DeviceStepsMixin`; the vendor
interface lists both where they meet.
"""

import functools
import types

from ironic.common import exception
from ironic.common.i18n import _
from ironic.drivers import base
from oslo_log import log
from oslo_utils import uuidutils

from ironic_expether.drivers import service
from ironic_expether.drivers import steps
from ironic_expether.eem_access import fabric
from ironic_expether.eem_access import utils
from ironic_expether.pool import claims
from ironic_expether.pool import compose
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.valence import passthru
from ironic_expether.valence import views


LOG = log.getLogger(__name__)


def brief_user_errors(name, func):
    """A passthru route's function that logs a user's mistake in one line.

    Ironic's passthru wrapper logs every error of a passthru method as an
    ERROR with a traceback. ``validate`` refuses most mistakes before it;
    this covers those only EEM can tell (``compose`` when no server engine
    is free, ``manage`` of an EE id EEM does not know). It calls the
    method without Ironic's wrapper (``__wrapped__``) and logs as that
    wrapper does, except an answer below 500: one WARNING line.

    :param name: the passthru method's name.
    :param func: the route's bound method, as Ironic built it.
    :returns: the function the route calls instead.
    """
    inner = getattr(func, '__wrapped__', None)
    if inner is None or getattr(func, '__self__', None) is None:
        return func
    inner = types.MethodType(inner, func.__self__)

    @functools.wraps(func)
    def call(*args, **kwargs):
        try:
            return inner(*args, **kwargs)
        except exception.IronicException as e:
            if 400 <= int(e.code) < 500:
                LOG.warning('Passthru method %(method)s refused a request '
                            '(%(code)s): %(err)s',
                            {'method': name, 'code': int(e.code), 'err': e})
            else:
                LOG.exception('vendor_passthru failed with method %s', name)
            raise
        except Exception as e:
            LOG.exception('vendor_passthru failed with method %s', name)
            raise exception.VendorPassthruException(message=e) from e
    return call


def _check_resource_id(method, value):
    if isinstance(value, str) and uuidutils.is_uuid_like(value):
        return value
    eeid = utils.normalize_eeid(value)
    if eeid is None:
        raise exception.InvalidParameterValue(
            _('%(method)s: resource_id "%(value)s" is not a device id (a '
              'pool uuid, or an EE id: "0x" followed by 10 to 12 '
              'hexadecimal digits).') %
            {'method': method, 'value': value})
    return eeid


def _describe(device):
    holder = (_(', held by node %s') % device.node_uuid
              if device.node_uuid else '')
    return (_('device %(uuid)s (%(eeid)s) is %(state)s%(holder)s') %
            {'uuid': device.uuid, 'eeid': device.eeid,
             'state': device.state, 'holder': holder})


def check_in_pool(node, method, ref):
    """Refuse an attach or detach the pool already knows cannot work.

    Runs in :meth:`ExpEtherVendor.validate`, before Ironic's passthru
    wrapper, which logs every error of a passthru method with a traceback:
    a user's mistake is answered without an ERROR in the conductor log.
    Only the pool database is read; the method itself checks again under
    its claim, so a race is still answered right.

    :param node: the Ironic node.
    :param method: ``'attach'``, ``'detach'`` or ``'release'``.
    :param ref: the checked ``resource_id`` (pool uuid or lower-case EE id).
    :raises: NotFound for a pool uuid (or, on detach and release, an EE
        id) the node's pod manager does not have.
    :raises: Conflict for a device that is not free (attach) or that the
        node does not hold (detach, release).
    """
    info = utils.parse_driver_info(node)
    try:
        podm = db_api.get_pod_manager_by_url(info['address'])
    except exception.NotFound:
        # NOTE(expether): the first call for this EEM registers it.
        return
    try:
        device = db_api.find_device(ref, podm_uuid=podm.uuid)
    except exception.NotFound:
        if method == 'attach' and not uuidutils.is_uuid_like(ref):
            # An EE id the pool has not seen yet: attach asks EEM.
            return
        raise exception.NotFound(
            _('%(method)s: resource_id %(ref)s is not a device of the pod '
              'manager of node %(node)s (EEM %(eem)s).') %
            {'method': method, 'ref': ref, 'node': node.uuid,
             'eem': utils.safe_address(info['address'])})
    if method == 'attach':
        if device.node_uuid == node.uuid and \
                device.state == models.DEVICE_ALLOCATED:
            return
        if device.state != models.DEVICE_FREE:
            raise exception.Conflict(_('attach: %s, not free.') %
                                     _describe(device))
    elif device.node_uuid != node.uuid:
        raise exception.Conflict(
            _('%(method)s: %(desc)s, not attached to node %(node)s.') %
            {'method': method, 'desc': _describe(device), 'node': node.uuid})


#: Arguments of each passthru method: name -> (required, checker).
ARGUMENTS = {
    'attach': {'resource_id': (True, _check_resource_id)},
    'detach': {'resource_id': (True, _check_resource_id)},
    'devices': {},
}


def _device_dict(device):
    """Describe one device (EEIO) for the ``devices`` passthru."""
    return {
        'id': device.id,
        'type': device.pci_type,
        'engine_type': device.type,
        'vendor_name': device.pci_vendor_name,
        'device_name': device.pci_device_name,
        'pci_vendor_id': (None if device.pci_vendor_id is None
                          else '0x%04x' % device.pci_vendor_id),
        'pci_device_id': (None if device.pci_device_id is None
                          else '0x%04x' % device.pci_device_id),
        'state': 'up' if device.is_up else 'down',
        'group_id': device.group_id,
    }


class ExpEtherVendor(service.ServiceStepsMixin, passthru.ValencePassthruMixin,
                     steps.DeviceStepsMixin, base.VendorInterface):
    """Attach, detach and list the ExpEther devices of a node.

    Its passthru methods and steps come from the mixins listed here: the
    service steps and the verify step (:class:`ironic_expether.drivers.
    service.ServiceStepsMixin`), the Valence-compatible methods
    (:class:`ironic_expether.valence.passthru.ValencePassthruMixin`) and
    the deploy/clean steps (:class:`ironic_expether.drivers.steps.
    DeviceStepsMixin`).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for routes in (self.vendor_routes, self.driver_routes):
            for name, route in routes.items():
                route['func'] = brief_user_errors(name, route['func'])

    def get_properties(self):
        """Return the properties of the interface.

        :returns: :data:`utils.COMMON_PROPERTIES`.
        """
        return utils.COMMON_PROPERTIES.copy()

    def validate(self, task, method=None, **kwargs):
        """Check the node's driver_info and a passthru call's arguments.

        No network I/O is done.

        :param task: a TaskManager instance containing the node to act on.
        :param method: the passthru method called, or None to check the
            driver_info only.
        :param kwargs: the call's ``http_method`` and JSON body.
        :raises: MissingParameterValue if a required argument or driver_info
            key is missing, naming it.
        :raises: InvalidParameterValue on an unknown method or argument, or
            a malformed value, naming it.
        :raises: NotFound, Conflict for an attach, detach or release the
            pool already refuses (see :func:`check_in_pool`).
        """
        utils.parse_driver_info(task.node)
        if method is None:
            return
        if method in passthru.NODE_METHODS:
            self.validate_node_method(task, method, **kwargs)
            if method == 'release':
                for ref in kwargs.get('resource_ids') or ():
                    check_in_pool(task.node, method,
                                  _check_resource_id(method, ref))
            return
        kwargs.pop('http_method', None)
        spec = ARGUMENTS.get(method)
        if spec is None:
            raise exception.InvalidParameterValue(
                _('Unknown passthru method %s.') % method)
        unknown = sorted(set(kwargs) - set(spec))
        if unknown:
            raise exception.InvalidParameterValue(
                _('%(method)s: unknown argument(s) %(args)s; accepted: '
                  '%(accepted)s.') %
                {'method': method, 'args': ', '.join(unknown),
                 'accepted': ', '.join(sorted(spec)) or _('none')})
        for name, (required, check) in spec.items():
            if name not in kwargs:
                if required:
                    raise exception.MissingParameterValue(
                        _('%(method)s: argument %(arg)s is required.') %
                        {'method': method, 'arg': name})
                continue
            check(method, kwargs[name])
        if method in ('attach', 'detach'):
            check_in_pool(task.node, method,
                          _check_resource_id(method, kwargs['resource_id']))

    @base.passthru(['POST'], async_call=False,
                   description=_('Attach a device to the node. Argument: '
                                 'resource_id, the pool uuid or EE id of '
                                 'the device. Returns the device.'))
    def attach(self, task, http_method=None, resource_id=None):
        """Attach a free device of the node's pod manager to the node.

        :param task: a TaskManager instance containing the node to act on.
        :param http_method: ``'POST'``.
        :param resource_id: pool uuid or EE id of the device (EEIO).
        :returns: the device in Valence's detail shape.
        :raises: InvalidParameterValue, NotFound, Conflict,
            DriverOperationError as :func:`claims.attach`.
        """
        ref = _check_resource_id('attach', resource_id)
        eesv_id = utils.parse_driver_info(task.node)['eesv_id']
        device = claims.attach(task.node, ref)
        compose.describe_node(task.node)
        return views.device_detail(device, {task.node.uuid: eesv_id})

    @base.passthru(['POST'], async_call=False,
                   description=_('Detach a device from the node. Argument: '
                                 'resource_id, the pool uuid or EE id of '
                                 'the device. Returns the device.'))
    def detach(self, task, http_method=None, resource_id=None):
        """Return a device the node holds to the free pool.

        Only a device held by this node can be detached (Valence detached
        any device, whatever node the URL named).

        :param task: a TaskManager instance containing the node to act on.
        :param http_method: ``'POST'``.
        :param resource_id: pool uuid or EE id of the device (EEIO).
        :returns: the device in Valence's detail shape (now free).
        :raises: InvalidParameterValue, NotFound, Conflict (the node does
            not hold it), DriverOperationError as :func:`claims.detach`.
        """
        ref = _check_resource_id('detach', resource_id)
        device = claims.detach(task.node, ref)
        compose.describe_node(task.node)
        return views.device_detail(device)

    @base.passthru(['GET'], async_call=False, require_exclusive_lock=False,
                   description=_('List the devices attached to the node.'))
    def devices(self, task, http_method=None):
        """List the devices in the group of the node's server engine.

        :param task: a TaskManager instance containing the node to act on.
        :param http_method: ``'GET'``.
        :returns: ``{'eesv_id': ..., 'group_id': ..., 'max_eeio_count': ...,
            'devices': [{'id', 'type', 'engine_type', 'vendor_name',
            'device_name', 'pci_vendor_id', 'pci_device_id', 'state',
            'group_id'}, ...]}``.
        :raises: InvalidParameterValue, DriverOperationError as
            :func:`fabric.devices_of`.
        """
        info = utils.parse_driver_info(task.node)
        eesv, devices = fabric.devices_of(utils.get_client(info),
                                          info['eesv_id'], node=task.node)
        return {'eesv_id': info['eesv_id'],
                'group_id': eesv.group_id,
                'max_eeio_count': eesv.max_eeio_count,
                'devices': [_device_dict(d)
                            for d in sorted(devices, key=lambda d: d.id)]}
