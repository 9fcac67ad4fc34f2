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

"""Valence's response bodies, built from pool records and Ironic nodes.

Every function returns plain JSON types. Timestamps are Valence's
``"%Y-%m-%d %H:%M:%S UTC"`` strings; passwords are always masked.

Fields are Valence's (``eem-and-valence.md`` section 5); where Valence
had a quirk the choice is written next to the field. Additions, which
Valence clients ignore: ``node_uuid`` and ``purpose`` on devices (the
Ironic node holding a device and why) and its PCI ids and names (its
model), ``provision_state`` on nodes.
"""

import datetime

from ironic.common import states

from ironic_expether.pool import podm as podm_api

#: What a password looks like in every answer.
MASK = '******'
TIME_FORMAT = '%Y-%m-%d %H:%M:%S UTC'

#: Pool status -> Valence's pod manager status.
_PODM_STATUS = {'online': 'Online', 'offline': 'Offline',
                'unknown': 'Unknown'}


def timestamp(value):
    """Format a datetime the way Valence did.

    :param value: a naive (UTC) or aware datetime, or None.
    :returns: ``"2018-04-20 04:40:01 UTC"`` or None.
    """
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
    return value.strftime(TIME_FORMAT)


def _created_updated(record):
    created = getattr(record, 'created_at', None)
    updated = getattr(record, 'updated_at', None) or created
    return {'created_at': timestamp(created),
            'updated_at': timestamp(updated)}


def pod_manager(podm):
    """A pod manager as Valence showed it, password masked.

    :param podm: a pool ``PodManager`` record.
    :returns: ``{uuid, name, url, driver, authentication, status,
        created_at, updated_at}``.
    """
    authentication = []
    if podm.username is not None or podm.password is not None:
        authentication.append({
            'type': 'basic',
            'auth_items': {'username': podm.username,
                           'password': MASK if podm.password else ''}})
    body = {'uuid': podm.uuid, 'name': podm.name, 'url': podm.url,
            'driver': podm.driver or podm_api.DRIVER,
            'authentication': authentication,
            'status': _PODM_STATUS.get(podm.status, 'Unknown')}
    body.update(_created_updated(podm))
    return body


def resource_uri(eeid):
    """Valence's ``resource_uri`` of an engine.

    :param eeid: an EE id.
    :returns: ``"devices/<eeid>"``.
    """
    return 'devices/%s' % eeid


def device(record, holders=None):
    """A pool device in Valence's list shape.

    :param record: a pool ``Device`` record.
    :param holders: dict of Ironic node uuid -> EE id of its server engine,
        to fill ``node_id`` the way Valence did (the EESV EE id). A holder
        missing from it gives the node uuid instead.
    :returns: ``{uuid, podm_id, type, state, node_id, resource_uri,
        pooled_group_id, node_uuid, purpose, pci_vendor_id, pci_device_id,
        vendor_name, device_name}``; the PCI ids as ``"0x10de"`` (None when
        EEM did not report them), the names from the PCI id database (None
        without one).
    """
    node_id = None
    if record.node_uuid:
        node_id = (holders or {}).get(record.node_uuid) or record.node_uuid
    return {'uuid': record.uuid,
            'podm_id': record.pod_manager_uuid,
            'type': record.type,
            'state': record.state,
            'node_id': node_id,
            'resource_uri': resource_uri(record.eeid),
            'pooled_group_id': record.group_id,
            'node_uuid': record.node_uuid,
            'purpose': record.purpose,
            'pci_vendor_id': pci_id(record.pci_vendor_id),
            'pci_device_id': pci_id(record.pci_device_id),
            'vendor_name': record.vendor_name,
            'device_name': record.device_name}


def pci_id(value):
    """A PCI vendor or device id as ``"0x10de"``, or None."""
    return None if value is None else '0x%04x' % value


def device_detail(record, holders=None):
    """A pool device in Valence's detail shape.

    NOTE(expether): ``properties.model`` holds the engine generation
    (``"40g"``), as Valence's did.

    :param record: a pool ``Device`` record.
    :param holders: as for :func:`device`.
    :returns: the list shape plus ``properties``, ``extra``,
        ``created_at`` and ``updated_at``.
    """
    body = device(record, holders)
    body['properties'] = {'device_id': record.eeid,
                          'mac_address': record.mac_address,
                          'model': record.model}
    body['extra'] = {'vendor_name': record.vendor_name,
                     'device_name': record.device_name}
    body.update(_created_updated(record))
    return body


def is_registered(node):
    """Whether a node left ``enroll``: Valence's ``managed_by: ironic``.

    :param node: an Ironic node object.
    :returns: a bool.
    """
    return node.provision_state != states.ENROLL


def node(ironic_node, podm_uuid=None):
    """An Ironic node of the expether driver as a Valence node.

    ``name`` is the node's name, or its server engine's EE id when it has
    none (what Valence's ``manage`` stored).

    :param ironic_node: an Ironic node object.
    :param podm_uuid: the uuid of the pod manager of its EEM, or None.
    :returns: ``{uuid, name, index, resource_uri, podm_id, managed_by,
        provision_state, created_at, updated_at}``.
    """
    eesv_id = (ironic_node.driver_info or {}).get('eesv_id')
    if isinstance(eesv_id, str):
        eesv_id = eesv_id.lower()
    body = {'uuid': ironic_node.uuid,
            'name': ironic_node.name or eesv_id,
            'index': eesv_id,
            'resource_uri': resource_uri(eesv_id),
            'podm_id': podm_uuid,
            'provision_state': ironic_node.provision_state}
    if is_registered(ironic_node):
        body['managed_by'] = 'ironic'
    body.update(_created_updated(ironic_node))
    return body


def composed(ironic_node):
    """The answer of compose and manage.

    :param ironic_node: the Ironic node.
    :returns: ``{uuid, name, index, resource_uri}``.
    """
    body = node(ironic_node)
    return {key: body[key] for key in ('uuid', 'name', 'index',
                                       'resource_uri')}


def node_detail(node_body, eesv):
    """Merge EEM's view of a server engine into a node body.

    As Valence did, the live fields come first and the stored ones win.

    :param node_body: the dict of :func:`node`.
    :param eesv: the server engine's :class:`ironic_expether.eem.Device`,
        or None when EEM could not be asked.
    :returns: the node body plus ``serial_number``, ``power_state``,
        ``host_model``, ``host_serial_number``, ``description``, ``type``,
        ``mac_address`` and ``pooled_group_id``.
    """
    live = {'serial_number': None, 'power_state': None, 'host_model': None,
            'host_serial_number': None, 'description': None, 'type': None,
            'mac_address': None, 'pooled_group_id': None}
    if eesv is not None:
        live.update({'serial_number': eesv.serial_number,
                     'power_state': eesv.power_state,
                     'host_model': eesv.host_model,
                     'host_serial_number': eesv.host_serial_number,
                     'description': eesv.model,
                     'type': eesv.type,
                     'mac_address': eesv.mac_address,
                     'pooled_group_id': eesv.group_id})
    live.update(node_body)
    return live


def flavor(record):
    """A stored flavor.

    :param record: a pool ``Flavor`` record.
    :returns: ``{uuid, name, description, properties, created_at,
        updated_at}`` (Valence dropped ``description``; it is kept here).
    """
    body = {'uuid': record.uuid, 'name': record.name,
            'description': record.description,
            'properties': record.properties or {}}
    body.update(_created_updated(record))
    return body


def requested_types(properties):
    """The device types a request or flavor asks for, in order.

    :param properties: Valence's ``properties`` dict, or None.
    :returns: a list of type names, repeats kept.
    """
    pci = (properties or {}).get('pci_device') or {}
    return list(pci.get('type') or [])
