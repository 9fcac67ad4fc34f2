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


"""``baremetal expether flavor ...``: stored compose requests."""

from osc_lib.cli import format_columns

from ironic_expether.cli import common


def _types(flavor):
    pci = (flavor.get('properties') or {}).get('pci_device') or {}
    return list(pci.get('type') or [])


def flatten(flavor):
    """A flavor as a flat dict."""
    return {'uuid': flavor.get('uuid'), 'name': flavor.get('name'),
            'description': flavor.get('description'),
            'devices': format_columns.ListColumn(_types(flavor)),
            'created_at': flavor.get('created_at'),
            'updated_at': flavor.get('updated_at')}


class CreateFlavor(common.ShowOne):
    """Store a flavor: the devices a compose request names."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>',
                            help='name of the flavor')
        parser.add_argument(
            '--device', metavar='<type>', action='append', required=True,
            help='a device by type (GPU, SSD, NIC, ...); repeat it for '
                 'each device')
        parser.add_argument('--description', metavar='<description>',
                            help='description of the flavor')
        return parser

    def take_action(self, parsed_args):
        body = {'name': parsed_args.name,
                'properties': common.pci_properties(
                    common.device_types(parsed_args.device))}
        if parsed_args.description is not None:
            body['description'] = parsed_args.description
        flavor = self.api.driver_passthru('flavors', 'POST', body)
        return zip(*sorted(flatten(flavor).items()))


class ListFlavor(common.Lister):
    """List the stored flavors."""

    def take_action(self, parsed_args):
        flavors = self.api.driver_passthru('flavors')['flavors']
        return (('UUID', 'Name', 'Devices', 'Description'),
                [(f['uuid'], f.get('name'),
                  format_columns.ListColumn(_types(f)), f.get('description'))
                 for f in flavors])


class DeleteFlavor(common.Command):
    """Delete a stored flavor."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('flavor', metavar='<flavor>',
                            help='name or uuid of the flavor')
        return parser

    def take_action(self, parsed_args):
        uuid = common.find_flavor(self.api, parsed_args.flavor)
        self.api.driver_passthru('flavors', 'DELETE', {'uuid': uuid})
        self.progress('Deleted flavor %s' % uuid)
