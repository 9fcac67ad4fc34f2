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

"""Tenancy limits: devices per node, devices of a type per node owner.

Two limits bound what the ``attach_devices`` service step may attach:

* ``[expether] max_devices_per_node``: devices one node may hold (any
  type, any purpose);
* ``[expether] max_devices_per_owner``: devices of a type the nodes of one
  owner (the node's ``owner`` project) may hold together; every device a
  node holds counts against its owner.

A node's ``driver_info`` may set ``expether_max_devices`` and
``expether_max_devices_per_owner``, which can only **lower** the
configured values. NOTE(expether): under Ironic 39's default policy a
node's owner may edit its ``driver_info`` (``baremetal:node:update:
driver_info`` is ``SYSTEM_MEMBER_OR_OWNER_MEMBER``), so a per-node value
that could raise a limit would let a tenant lift its own limit.

How a limit holds across conductors (:func:`check_claim`): a device is
claimed with one conditional ``UPDATE`` that commits before anything else
happens, and only then are the devices held by the node and by its owner
counted, in a new transaction, claims included. Of two concurrent claims
that would pass a limit together, the one committed second counts both
(the first was committed before its count started) and gives its claim
back before any EEM move, so the limit is never passed; at worst both give
up (each counted the other before it was given back) and the step can be
run again. :func:`check_request` is the early, cheap check before
anything is claimed, so that a request over a limit fails with nothing
claimed and nothing moved.
"""

import collections

from ironic.common import exception
from ironic.common.i18n import _
from ironic.db import api as ironic_dbapi
from oslo_serialization import jsonutils

from ironic_expether import conf
from ironic_expether.pool.db import api as db_api

NODE_KEY = 'expether_max_devices'
OWNER_KEY = 'expether_max_devices_per_owner'

#: The limits of one node: most devices it may hold (None: no limit), and
#: most devices of each type its owner may hold (types not in the dict
#: are not limited).
Limits = collections.namedtuple('Limits', ['per_node', 'per_owner'])


def _invalid(node, key, reason):
    return exception.InvalidParameterValue(
        _('Invalid driver_info/%(key)s on node %(node)s: %(reason)s') %
        {'key': key, 'node': node.uuid, 'reason': reason})


def _count(node, key, value):
    try:
        number = int(str(value).strip(), 10)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool) or number < 0:
        raise _invalid(node, key, _('"%s" is not a whole number 0 or '
                                    'more') % (value,))
    return number


def _type_counts(node, key, value):
    if isinstance(value, str):
        text = value.strip()
        if text.startswith('{'):
            try:
                value = jsonutils.loads(text)
            except ValueError:
                raise _invalid(node, key, _('not a JSON object'))
        else:
            pairs = [p for p in text.split(',') if p.strip()]
            value = {}
            for pair in pairs:
                name, sep, number = pair.partition(':')
                if not sep:
                    raise _invalid(node, key, _('"%s" is not TYPE:COUNT')
                                   % pair.strip())
                value[name.strip()] = number
    if not isinstance(value, dict):
        raise _invalid(node, key, _('expected TYPE:COUNT pairs, for '
                                    'example "GPU:1,SSD:2"'))
    return {str(t): _count(node, '%s/%s' % (key, t), n)
            for t, n in value.items()}


def limits_of(node):
    """The limits that apply to a node.

    :param node: an Ironic node.
    :returns: a :class:`Limits`.
    :raises: InvalidParameterValue naming the driver_info key when a
        per-node value is malformed.
    """
    options = conf.CONF.expether
    info = node.driver_info or {}
    per_node = options.max_devices_per_node or None
    if info.get(NODE_KEY) not in (None, ''):
        own = _count(node, NODE_KEY, info[NODE_KEY])
        per_node = own if per_node is None else min(per_node, own)
    per_owner = {t: _count(node, '[expether]max_devices_per_owner/%s' % t,
                           n)
                 for t, n in (options.max_devices_per_owner or {}).items()}
    if info.get(OWNER_KEY) not in (None, ''):
        for pci_type, number in _type_counts(node, OWNER_KEY,
                                             info[OWNER_KEY]).items():
            per_owner[pci_type] = min(per_owner.get(pci_type, number),
                                      number)
    return Limits(per_node, per_owner)


def _describe_node_limit(node):
    info = node.driver_info or {}
    if info.get(NODE_KEY) not in (None, ''):
        return 'max_devices_per_node (driver_info/%s)' % NODE_KEY
    return '[expether]max_devices_per_node'


def _describe_owner_limit(node, pci_type):
    own = None
    try:
        own = _type_counts(node, OWNER_KEY,
                           (node.driver_info or {}).get(OWNER_KEY) or {})
    except exception.InvalidParameterValue:
        pass
    if own and pci_type in own:
        return 'max_devices_per_owner (driver_info/%s)' % OWNER_KEY
    return '[expether]max_devices_per_owner'


def owner_node_uuids(owner):
    """The uuids of the nodes of an owner project.

    :param owner: a project id.
    :returns: a list of node uuids.
    """
    rows = ironic_dbapi.get_instance().get_node_list(
        filters={'owner': owner}, fields=['uuid'])
    return [row.uuid for row in rows]


def held_by_owner(owner, pci_type):
    """How many devices of a type the nodes of an owner hold.

    :param owner: a project id.
    :param pci_type: a device type.
    :returns: the number of pool devices held (any state, any purpose).
    """
    uuids = owner_node_uuids(owner)
    if not uuids:
        return 0
    return len(db_api.list_devices(node_uuid=uuids, type=pci_type))


def held_by_node(node_uuid):
    """How many devices a node holds (any state, any purpose).

    :param node_uuid: the node's uuid.
    :returns: a number.
    """
    return len(db_api.list_devices(node_uuid=node_uuid))


def check_request(node, wanted, step='attach_devices'):
    """Fail early when a request would pass a limit.

    :param node: the Ironic node.
    :param wanted: a :class:`collections.Counter` of device types the
        request attaches.
    :param step: the step's name, for the message.
    :raises: Conflict naming the limit, the node or owner, what they hold
        and what the request asks for.
    :raises: InvalidParameterValue on a malformed per-node limit.
    """
    limits = limits_of(node)
    total = sum(wanted.values())
    if limits.per_node is not None:
        held = held_by_node(node.uuid)
        if held + total > limits.per_node:
            raise exception.Conflict(
                _('%(step)s: limit %(limit)s=%(max)d of node %(node)s: it '
                  'holds %(held)d device(s) and the step asks for %(n)d '
                  'more; nothing was attached') %
                {'step': step, 'limit': _describe_node_limit(node),
                 'max': limits.per_node, 'node': node.uuid, 'held': held,
                 'n': total})
    if not node.owner:
        return
    for pci_type, number in sorted(wanted.items()):
        maximum = limits.per_owner.get(pci_type)
        if maximum is None:
            continue
        held = held_by_owner(node.owner, pci_type)
        if held + number > maximum:
            raise exception.Conflict(
                _('%(step)s: limit %(limit)s %(type)s=%(max)d of owner '
                  '%(owner)s: its nodes hold %(held)d %(type)s device(s) '
                  'and the step asks for %(n)d more; nothing was '
                  'attached') %
                {'step': step, 'type': pci_type,
                 'limit': _describe_owner_limit(node, pci_type),
                 'max': maximum, 'owner': node.owner, 'held': held,
                 'n': number})


def check_claim(node, device, step='attach_devices'):
    """Check the limits again once a device is claimed (claim included).

    The caller gives the claim back when this raises, before any EEM
    move. See the module's docstring for why this holds across conductors.

    :param node: the Ironic node holding the claim.
    :param device: the claimed pool device.
    :param step: the step's name, for the message.
    :raises: Conflict naming the limit when the claim passes it.
    """
    limits = limits_of(node)
    if limits.per_node is not None:
        held = held_by_node(node.uuid)
        if held > limits.per_node:
            raise exception.Conflict(
                _('%(step)s: limit %(limit)s=%(max)d of node %(node)s '
                  'reached while claiming device %(dev)s (a concurrent '
                  'request took the last place); it was not attached') %
                {'step': step, 'limit': _describe_node_limit(node),
                 'max': limits.per_node, 'node': node.uuid,
                 'dev': device.eeid})
    maximum = limits.per_owner.get(device.type)
    if node.owner and maximum is not None:
        held = held_by_owner(node.owner, device.type)
        if held > maximum:
            raise exception.Conflict(
                _('%(step)s: limit %(limit)s %(type)s=%(max)d of owner '
                  '%(owner)s reached while claiming device %(dev)s (a '
                  'concurrent request took the last place); it was not '
                  'attached') %
                {'step': step, 'type': device.type,
                 'limit': _describe_owner_limit(node, device.type),
                 'max': maximum, 'owner': node.owner, 'dev': device.eeid})
