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


"""``baremetal expether pod manager ...``: one EEM each."""

from osc_lib import exceptions

from ironic_expether.cli import common
from ironic_expether.cli import node as node_cmd

#: Environment variable the EEM password is read from (the standalone
#: stack's too).
PASSWORD_ENV = 'EXPETHER_EEM_PASSWORD'

FIELDS = ('uuid', 'name', 'url', 'username', 'status', 'created_at',
          'updated_at')


def flatten(podm):
    """A pod manager as a flat dict, password left out (it is masked)."""
    result = {key: podm.get(key) for key in FIELDS if key != 'username'}
    auth = podm.get('authentication') or []
    result['username'] = (auth[0].get('auth_items', {}).get('username')
                          if auth else None)
    return result


class CreatePodManager(common.ShowOne):
    """Create a pod manager: an EEM the pool composes from."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>',
                            help='name of the pod manager')
        parser.add_argument('--url', metavar='<url>', required=True,
                            help='URL of the EEM REST API, ending in /eem')
        parser.add_argument(
            '--username', metavar='<username>',
            help='EEM user; the password is read from the %s environment '
                 'variable, or asked for on a terminal (never from the '
                 'command line)' % PASSWORD_ENV)
        verify = parser.add_mutually_exclusive_group()
        verify.add_argument('--insecure', action='store_true',
                            help="do not verify the EEM's TLS certificate")
        verify.add_argument('--ca-bundle', metavar='<path>',
                            help='CA bundle (on the conductor) to verify '
                                 "the EEM's TLS certificate with")
        return parser

    def take_action(self, parsed_args):
        username = parsed_args.username or ''
        password = ''
        if username:
            password = node_cmd.read_password(PASSWORD_ENV, 'EEM password: ')
            if password is None:
                raise exceptions.CommandError(
                    'No EEM password: set %s or run the command on a '
                    'terminal' % PASSWORD_ENV)
        body = {'name': parsed_args.name, 'url': parsed_args.url,
                'driver': 'expether',
                'authentication': [{'type': 'basic', 'auth_items': {
                    'username': username, 'password': password}}]}
        if parsed_args.insecure:
            body['verify'] = False
        elif parsed_args.ca_bundle:
            body['verify'] = parsed_args.ca_bundle
        podm = self.api.driver_passthru('pod_managers', 'POST', body)
        return zip(*sorted(flatten(podm).items()))


class ListPodManager(common.Lister):
    """List the pod managers."""

    def take_action(self, parsed_args):
        podms = self.api.driver_passthru('pod_managers')['pod_managers']
        return (('UUID', 'Name', 'URL', 'Status'),
                [(p['uuid'], p.get('name'), p.get('url'), p.get('status'))
                 for p in podms])


class ShowPodManager(common.ShowOne):
    """Show a pod manager."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('pod_manager', metavar='<pod-manager>',
                            help='name or uuid of the pod manager')
        return parser

    def take_action(self, parsed_args):
        uuid = common.find_pod_manager(self.api, parsed_args.pod_manager)
        podm = self.api.driver_passthru('pod_managers', 'GET',
                                        {'uuid': uuid})
        return zip(*sorted(flatten(podm).items()))


class DeletePodManager(common.Command):
    """Delete a pod manager (its devices leave the pool)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('pod_manager', metavar='<pod-manager>',
                            help='name or uuid of the pod manager')
        return parser

    def take_action(self, parsed_args):
        uuid = common.find_pod_manager(self.api, parsed_args.pod_manager)
        self.api.driver_passthru('pod_managers', 'DELETE', {'uuid': uuid})
        self.progress('Deleted pod manager %s' % uuid)
