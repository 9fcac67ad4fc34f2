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

"""JSON schemas of every Valence-compatible passthru request.

Each passthru method validates its JSON body with :func:`validate` (the
pool's :func:`ironic_expether.pool.vocabulary.validate`) before doing
anything. Compared with Valence's schemas these are strict: unknown
keys are rejected everywhere, EE ids must match their pattern, device
types must be known, group ids must be numbers in EEM's range, and
``driver`` must be ``expether``. A failure is an
``InvalidParameterValue`` (HTTP 400) whose message names the field.

Valence's bodies are accepted as they are; see
``doc/source/valence-migration.rst`` for the few keys added (``verify`` of
a pod manager) and for the register key mapping.
"""

from ironic_expether import eem
from ironic_expether.pool import podm
from ironic_expether.pool import vocabulary

#: EE id of an engine: "0x" and 12 hexadecimal digits (its MAC address).
EEID_PATTERN = '^0x[0-9a-fA-F]{12}$'
UUID_PATTERN = ('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                '[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
#: Device types a request may name (Valence's vocabulary).
DEVICE_TYPES = vocabulary.DEVICE_TYPES
#: Device states of the pool, as filters.
DEVICE_STATES = ['free', 'allocated', 'claimed', 'missing']

_EEID = {'type': 'string', 'pattern': EEID_PATTERN}
_UUID = {'type': 'string', 'pattern': UUID_PATTERN}
_UUID_OR_EEID = {'type': 'string',
                 'anyOf': [{'pattern': UUID_PATTERN},
                           {'pattern': EEID_PATTERN}]}
_NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255}
_DESCRIPTION = {'type': ['string', 'null'], 'maxLength': 1024}
#: A group id in a filter: EEM's user range 16..4092 plus the defaults
#: 4093 (free devices) and 4094 (servers without a group).
_GROUP_ID = {'anyOf': [
    {'type': 'string', 'pattern': '^[0-9]{1,4}$'},
    {'type': 'integer', 'minimum': eem.MIN_GROUP_ID, 'maximum': 4094}]}

_PCI_DEVICE = vocabulary.PCI_DEVICE

# NOTE(expether): memory and processor are accepted as Valence accepted
# them; an ExpEther server's memory and CPUs cannot be composed, so they
# are ignored (as Valence's ExpEther driver did).
_MEMORY = {
    'type': 'object',
    'properties': {'capacity_mib': {'type': ['string', 'integer']},
                   'type': {'type': 'string'}},
    'additionalProperties': False,
}
_PROCESSOR = {
    'type': 'object',
    'properties': {'total_cores': {'type': ['string', 'integer']},
                   'model': {'type': 'string'}},
    'additionalProperties': False,
}
_PROPERTIES = {
    'type': 'object',
    'properties': {'memory': _MEMORY, 'processor': _PROCESSOR,
                   'pci_device': _PCI_DEVICE},
    'additionalProperties': False,
}


def _obj(properties, required=()):
    return {'type': 'object', 'properties': properties,
            'required': list(required), 'additionalProperties': False}


POD_MANAGER_GET = _obj({'uuid': _UUID})
POD_MANAGER_DELETE = _obj({'uuid': _UUID}, ['uuid'])
POD_MANAGER_CREATE = _obj({
    'name': _NAME,
    'url': {'type': 'string', 'minLength': 1, 'maxLength': 255,
            'pattern': '^[hH][tT][tT][pP][sS]?://'},
    'driver': {'type': 'string', 'enum': [podm.DRIVER]},
    'authentication': {
        'type': 'array', 'minItems': 1, 'maxItems': 1,
        'items': _obj({
            'type': {'type': 'string', 'enum': ['basic']},
            'auth_items': _obj({'username': {'type': 'string',
                                             'maxLength': 255},
                                'password': {'type': 'string',
                                             'maxLength': 255}},
                               ['username', 'password']),
        }, ['type', 'auth_items']),
    },
    'verify': {'type': ['boolean', 'string'], 'minLength': 1},
}, ['name', 'url', 'authentication'])

DEVICES_GET = _obj({
    'podm_id': _UUID,
    'node_id': {'anyOf': [_UUID, _EEID]},
    'state': {'type': 'string', 'enum': DEVICE_STATES},
    'type': {'type': 'string', 'enum': DEVICE_TYPES},
    'pooled_group_id': _GROUP_ID,
    'resource_uri': {'type': 'string',
                     'pattern': '^devices/0x[0-9a-fA-F]{12}$'},
})
DEVICE_GET = _obj({'uuid': _UUID_OR_EEID}, ['uuid'])
NODES_GET = _obj({'uuid': _UUID})

COMPOSE = {
    'type': 'object',
    'properties': {
        'name': _NAME,
        'description': _DESCRIPTION,
        'podm_id': _UUID,
        'flavor_id': _UUID,
        'properties': _PROPERTIES,
    },
    'required': ['name'],
    'additionalProperties': False,
    # NOTE(expether): as in Valence, a request names a flavor or gives
    # properties, not both.
    'not': {'required': ['flavor_id', 'properties']},
}
MANAGE = _obj({'podm_id': _UUID, 'node_index': _EEID}, ['node_index'])
SYNC = _obj({'podm_id': _UUID})

FLAVORS_GET = _obj({'uuid': _UUID})
FLAVORS_DELETE = _obj({'uuid': _UUID}, ['uuid'])
FLAVORS_CREATE = _obj({
    'name': _NAME,
    'description': _DESCRIPTION,
    'properties': _PROPERTIES,
}, ['name', 'properties'])

RELEASE = _obj({
    'resource_ids': {'type': 'array', 'uniqueItems': True,
                     'maxItems': 256, 'items': _UUID_OR_EEID},
})

#: driver_info keys ``register`` accepts: Valence's generic ones (mapped,
#: see :func:`ironic_expether.valence.passthru.bmc_driver_info`) and the
#: BMC keys of Ironic's redfish and ipmi interfaces.
REGISTER_DRIVER_INFO_KEYS = (
    'address', 'username', 'password', 'port', 'system_id',
    'redfish_address', 'redfish_username', 'redfish_password',
    'redfish_system_id', 'redfish_verify_ca', 'redfish_auth_type',
    'ipmi_address', 'ipmi_username', 'ipmi_password', 'ipmi_port',
    'ipmi_priv_level', 'ipmi_protocol_version', 'ipmi_terminal_port',
    'ipmi_cipher_suite',
)
_DRIVER_INFO_VALUE = {'type': ['string', 'integer', 'boolean'],
                      'maxLength': 1024}
REGISTER = _obj({
    'driver_info': {
        'type': 'object', 'minProperties': 1,
        'properties': {key: _DRIVER_INFO_VALUE
                       for key in REGISTER_DRIVER_INFO_KEYS},
        'additionalProperties': False,
    },
    'mac': {'type': 'string',
            'pattern': '^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$'},
    'driver': {'type': 'string', 'enum': [podm.DRIVER]},
}, ['driver_info'])

#: Validate a request body; see :func:`ironic_expether.pool.vocabulary.
#: validate`.
validate = vocabulary.validate
