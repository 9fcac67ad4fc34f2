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

"""How a node shows its devices: ``properties`` and traits.

Compose, manage, attach, detach, release and discovery all describe a
node through this module, with one rule:

    A node lists a device when it holds it for its **composition** or
    since a **service** step attached it, and the device is **allocated**
    (EEM has it in the node's group and reports it up). Devices being
    moved (``claimed``), devices EEM no longer reports or reports down
    (``missing``), and devices attached at deploy time (purpose
    ``deployment``, they leave with the instance) are not listed.

For the listed devices, ``properties['expether_devices']`` holds one entry
per device (``uuid``, ``id``, ``type``, ``vendor_name``, ``device_name``,
sorted by EE id) and the node carries one trait ``CUSTOM_EXPETHER_<TYPE>``
per type present.

The plugin owns exactly the traits of :data:`OWNED_TRAITS`, one per device
type EEM can report (``CUSTOM_EXPETHER_GPU``, ``CUSTOM_EXPETHER_SSD``...).
It adds and removes those only; every other trait of a node, including
an operator's own ``CUSTOM_EXPETHER_ADD_GPU`` naming a deploy template,
is never touched.

:data:`NODE_TRAIT` (``CUSTOM_EXPETHER``) is set apart, by the vendor
interface's verify step, its service steps and inspection, on every
expether node whatever its devices, so that runbooks can match any
expether node; it is never removed.
"""

import collections

from ironic.db.sqlalchemy import api as ironic_db
from ironic import objects

from ironic_expether import eem
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models

#: Key of node.properties listing the node's usable composition devices.
DEVICES_PROPERTY = 'expether_devices'
#: Prefix of the traits of device types. Traits with this prefix that are
#: not in :data:`OWNED_TRAITS` belong to the operator.
TRAIT_PREFIX = 'CUSTOM_EXPETHER_'


def trait_for(pci_type):
    """The Ironic trait of a device type.

    :param pci_type: ``GPU``, ``SSD``, ``Multi``...
    :returns: ``CUSTOM_EXPETHER_GPU``...
    """
    return TRAIT_PREFIX + pci_type.upper()


#: The trait every expether node carries (runbooks match it).
NODE_TRAIT = 'CUSTOM_EXPETHER'

#: The traits the plugin sets and removes; no other trait is ever changed.
OWNED_TRAITS = frozenset(trait_for(t) for t in eem.PCI_TYPES)

#: What a node's devices say: the ``properties`` list and the trait set.
Description = collections.namedtuple('Description', ['devices', 'traits'])

#: A change :func:`update_node` made: the EE ids listed before and after,
#: and the owned traits now set.
Change = collections.namedtuple('Change', ['old_ids', 'new_ids', 'traits'])


def is_listed(device):
    """Whether a node lists a device it holds (the rule of this module).

    :param device: a pool device record, or any object with ``state``
        and ``purpose``.
    :returns: True for an ``allocated`` device of purpose ``composition``
        or ``service``.
    """
    return (device.state == models.DEVICE_ALLOCATED
            and device.purpose in models.LISTED_PURPOSES)


def describe_devices(devices):
    """What a node shows for the devices it holds.

    :param devices: the pool records (or objects with ``uuid``, ``eeid``,
        ``type``, ``vendor_name``, ``device_name``, ``state`` and
        ``purpose``) held by ONE node, in any state and of any purpose;
        this function applies the rule.
    :returns: a :class:`Description`: ``devices`` is the value of
        ``properties['expether_devices']`` (a list sorted by EE id, empty
        when nothing is listed) and ``traits`` the set of owned traits the
        node must carry.
    """
    listed = sorted((d for d in devices if is_listed(d)),
                    key=lambda d: d.eeid)
    return Description(
        [{'uuid': d.uuid, 'id': d.eeid, 'type': d.type,
          'vendor_name': d.vendor_name, 'device_name': d.device_name}
         for d in listed],
        {trait_for(d.type) for d in listed if d.type in eem.PCI_TYPES})


def shows(node_properties, node_owned_traits, description):
    """Whether a node already shows a description.

    :param node_properties: the node's ``properties``.
    :param node_owned_traits: the node's traits in :data:`OWNED_TRAITS`.
    :param description: a :class:`Description`.
    :returns: True when nothing needs to be written.
    """
    current = (node_properties or {}).get(DEVICES_PROPERTY) or []
    return (current == description.devices
            and set(node_owned_traits) == description.traits)


# NOTE(expether): Ironic's own trait writes are not retried when SQLite is
# busy (its node writes are); concurrent compositions need them to be.
@ironic_db.wrap_sqlite_retry
def _set_traits(context, node_id, traits):
    objects.TraitList.create(context, node_id, sorted(traits))


def update_node(node):
    """Make a node's properties and owned traits show its devices.

    Reads the devices the node holds from the pool, applies the rule of
    this module and writes only what differs: ``properties`` (the node is
    saved) and the owned traits (all the node's traits in one
    transaction, every trait not in :data:`OWNED_TRAITS` kept as it is).
    The caller holds the node's exclusive lock (a task, or the reservation
    of a node compose is creating), so no trait change of the API can
    interleave.

    :param node: an Ironic node object.
    :returns: a :class:`Change`, or None when the node already showed its
        devices (nothing written).
    """
    description = describe_devices(db_api.list_devices(node_uuid=node.uuid))
    every = set(objects.TraitList.get_by_node_id(
        node._context, node.id).get_trait_names())
    owned = every & OWNED_TRAITS
    if shows(node.properties, owned, description):
        return None
    properties = dict(node.properties or {})
    old = properties.get(DEVICES_PROPERTY) or []
    if description.devices:
        properties[DEVICES_PROPERTY] = description.devices
    else:
        properties.pop(DEVICES_PROPERTY, None)
    if properties != (node.properties or {}):
        node.properties = properties
        node.save()
    if owned != description.traits:
        _set_traits(node._context, node.id,
                    (every - OWNED_TRAITS) | description.traits)
    return Change(sorted(d.get('id') for d in old
                         if isinstance(d, dict) and d.get('id')),
                  [d['id'] for d in description.devices],
                  sorted(description.traits))


@ironic_db.wrap_sqlite_retry
def _add_trait(context, node_id, trait):
    objects.Trait(context, node_id=node_id, trait=trait).create()


def ensure_node_trait(node):
    """Give a node :data:`NODE_TRAIT` if it does not carry it yet.

    The write is retried while SQLite is busy (see :func:`_set_traits`).

    :param node: an Ironic node object whose exclusive lock the caller
        holds.
    :returns: True if the trait was added.
    """
    context = node._context
    if objects.Trait.exists(context, node.id, NODE_TRAIT):
        return False
    _add_trait(context, node.id, NODE_TRAIT)
    return True
