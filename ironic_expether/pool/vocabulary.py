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

"""The pool's request vocabulary: device types and the ``pci_device`` request.

A request for devices names them by type, one entry per device:
``{"type": ["GPU", "NIC"]}``. Compose requests, stored flavors and the
``compose_devices`` deploy step share this shape (:data:`PCI_DEVICE`), and
:func:`validate` checks a request body against a JSON schema, answering
a 400 that names the first bad field. The Valence API
(:mod:`ironic_expether.valence.schemas`) builds its request schemas on
these.
"""

from ironic.common import exception
from ironic.common.i18n import _
import jsonschema

from ironic_expether import eem

#: Device types a request may name (Valence's vocabulary).
DEVICE_TYPES = list(eem.PCI_TYPES)
#: Most devices one request may ask for (the largest max_eeio_count seen).
MAX_DEVICES = 16

#: A request for devices, one type per device: ``{"type": ["GPU"]}``.
PCI_DEVICE = {
    'type': 'object',
    'properties': {
        'type': {'type': 'array', 'maxItems': MAX_DEVICES,
                 'items': {'type': 'string', 'enum': DEVICE_TYPES}},
    },
    'required': ['type'],
    'additionalProperties': False,
}


def _field_path(error):
    path = [str(p) for p in error.absolute_path]
    return '.'.join(path) if path else None


def _message(error, what):
    """Turn a jsonschema error into a message that names the field."""
    field = _field_path(error)
    if error.validator == 'additionalProperties':
        extra = sorted(set(error.instance) - set(
            error.schema.get('properties', {})))
        names = ', '.join('.'.join(filter(None, [field, k])) for k in extra)
        return _('%(what)s: unknown field(s) %(names)s; accepted: '
                 '%(known)s') % {
                     'what': what, 'names': names,
                     'known': ', '.join(sorted(error.schema.get(
                         'properties', {}))) or _('none')}
    if error.validator == 'required':
        missing = [k for k in error.validator_value
                   if k not in error.instance]
        names = ', '.join('.'.join(filter(None, [field, k]))
                          for k in missing)
        return _('%(what)s: missing required field(s) %(names)s') % {
            'what': what, 'names': names}
    if error.validator == 'not' and field is None:
        return _('%s: give either flavor_id or properties, not '
                 'both') % what
    # NOTE(expether): never echo a value whose field is a password.
    if field and 'password' in field:
        return _("%(what)s: invalid value of field '%(field)s'") % {
            'what': what, 'field': field}
    if error.validator in ('pattern', 'anyOf', 'enum', 'type') and field:
        detail = {
            'pattern': _('does not match %s') % error.validator_value,
            'enum': _('must be one of %s') % ', '.join(
                str(v) for v in error.validator_value),
            'type': _('must be of type %s') % (error.validator_value,),
        }.get(error.validator, _('is not valid'))
        return _("%(what)s: invalid value %(value)r of field '%(field)s': "
                 "%(detail)s") % {'what': what, 'value': error.instance,
                                  'field': field, 'detail': detail}
    return _("%(what)s: invalid field '%(field)s': %(msg)s") % {
        'what': what, 'field': field or _('(body)'), 'msg': error.message}


def validate(schema, body, what):
    """Validate a request body; raise a 400 naming the field.

    :param schema: a JSON schema (draft 7), e.g. :data:`PCI_DEVICE`.
    :param body: the request's arguments (a dict).
    :param what: the method's name, to start the message with.
    :raises: InvalidParameterValue naming the first bad field.
    :raises: MissingParameterValue naming a missing required field.
    """
    validator = jsonschema.Draft7Validator(schema)
    # NOTE(expether): the shallowest error first; at the same depth an
    # unknown field before a missing one, since a misspelt field is both.
    errors = sorted(validator.iter_errors(body),
                    key=lambda e: (len(e.absolute_path),
                                   e.validator != 'additionalProperties',
                                   str(e.path)))
    if not errors:
        return
    error = errors[0]
    message = _message(error, what)
    if error.validator == 'required':
        raise exception.MissingParameterValue(message)
    raise exception.InvalidParameterValue(message)


def check_pci_device(pci_device, what):
    """Check a ``pci_device`` request; return its types.

    :param pci_device: the request, e.g. ``{"type": ["GPU", "NIC"]}``.
    :param what: what to start an error message with.
    :returns: the list of types, repeats kept.
    :raises: InvalidParameterValue, MissingParameterValue naming the field.
    """
    validate(PCI_DEVICE, pci_device, what)
    return list(pci_device['type'])
