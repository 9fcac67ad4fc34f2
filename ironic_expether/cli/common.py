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


"""What the ``baremetal expether`` commands share."""

import re
import sys

from osc_lib.command import command
from osc_lib import exceptions

from ironic_expether.cli import client
from ironic_expether.eem import constants

_UUID = re.compile('^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   '[0-9a-f]{12}$', re.IGNORECASE)
#: Device types the pool knows (the Valence vocabulary).
DEVICE_TYPES = constants.PCI_TYPES


def is_uuid(value):
    """Whether a string looks like a uuid."""
    return bool(_UUID.match(value or ''))


class ExpEtherMixin(object):
    """The Ironic API of the running application."""

    _api = None

    @property
    def api(self):
        """An :class:`ironic_expether.cli.client.IronicAPI`."""
        if self._api is None:
            self._api = client.IronicAPI.from_app(self.app)
        return self._api

    def progress(self, text):
        """Print a progress line on standard error."""
        stream = getattr(self.app, 'stderr', None) or sys.stderr
        stream.write(text + '\n')
        stream.flush()


class Command(ExpEtherMixin, command.Command):
    """A command without output."""


class Lister(ExpEtherMixin, command.Lister):
    """A command printing a table."""


class ShowOne(ExpEtherMixin, command.ShowOne):
    """A command printing one object."""


def find_pod_manager(api, ref):
    """The uuid of a pod manager given by uuid or name.

    :raises: CommandError when there is no such pod manager or the name
        is not unique.
    """
    if is_uuid(ref):
        return ref.lower()
    podms = api.driver_passthru('pod_managers')['pod_managers']
    found = [p['uuid'] for p in podms if p.get('name') == ref]
    if len(found) == 1:
        return found[0]
    if not found:
        raise exceptions.CommandError(
            'No pod manager has the name or uuid %s' % ref)
    raise exceptions.CommandError(
        'Several pod managers are named %s; give its uuid' % ref)


def find_flavor(api, ref):
    """The uuid of a stored flavor given by uuid or name.

    :raises: CommandError when there is no such flavor or the name is not
        unique.
    """
    if is_uuid(ref):
        return ref.lower()
    flavors = api.driver_passthru('flavors')['flavors']
    found = [f['uuid'] for f in flavors if f.get('name') == ref]
    if len(found) == 1:
        return found[0]
    if not found:
        raise exceptions.CommandError(
            'No flavor has the name or uuid %s' % ref)
    raise exceptions.CommandError(
        'Several flavors are named %s; give its uuid' % ref)


def device_types(values):
    """``--device`` values as the pool's type names (case as the pool's).

    :param values: the strings given, one device each.
    :returns: a list of type names.
    :raises: CommandError naming an unknown type.
    """
    known = {t.lower(): t for t in DEVICE_TYPES}
    result = []
    for value in values or ():
        name = known.get(value.strip().lower())
        if name is None:
            raise exceptions.CommandError(
                '--device: unknown device type %r; known types: %s'
                % (value, ', '.join(DEVICE_TYPES)))
        result.append(name)
    return result


def pci_properties(types):
    """The ``properties`` of a compose request or flavor for some types."""
    return {'pci_device': {'type': list(types)}}


def describe_types(types):
    """``"2 GPU, 1 SSD"`` for a list of types."""
    counts = {}
    for name in types:
        counts[name] = counts.get(name, 0) + 1
    return ', '.join('%d %s' % (n, t) for t, n in counts.items()) or 'none'
