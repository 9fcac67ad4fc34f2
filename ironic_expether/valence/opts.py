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

"""Options of the Valence-compatible API (``ironic-expether-valence-api``).

The facade has its own configuration file: ``[valence_api]`` says where it
listens, ``[ironic]`` how it reaches Ironic (keystoneauth1 session, auth
and adapter options: ``auth_type = none`` with ``endpoint_override``, or
``auth_type = http_basic``, or ``auth_type = password`` with Keystone).
"""

import copy

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

API_GROUP = cfg.OptGroup(
    'valence_api',
    title='Valence-compatible API options',
    help='Where the Valence-compatible REST facade listens.')

IRONIC_GROUP = cfg.OptGroup(
    'ironic',
    title='Ironic API access of the Valence-compatible API',
    help='How the facade reaches the Ironic API: keystoneauth1 session, '
         'auth and adapter options. Without Keystone, set '
         '"auth_type = none" and "endpoint_override = http://HOST:6385".')

DEFAULT_IRONIC_TIMEOUT = 120
DEFAULT_VALID_INTERFACES = ['internal', 'public']

api_opts = [
    cfg.HostAddressOpt('host',
                       default='127.0.0.1',
                       help='IP address or host name to listen on.'),
    cfg.PortOpt('port',
                default=8181,
                help='TCP port to listen on (Valence\'s default is 8181).'),
    cfg.IntOpt('workers',
               default=8,
               min=1,
               help='Number of threads serving requests.'),
    cfg.StrOpt('auth_strategy',
               default='noauth',
               choices=[('noauth', 'No authentication; Ironic is called '
                         'with the [ironic] credentials. Only on a loopback '
                         'address, unless allow_noauth_on_any_address.'),
                        ('http_basic', 'HTTP basic authentication against '
                         'http_basic_auth_user_file, as Ironic does; the '
                         'caller\'s credentials are sent on to Ironic.'),
                        ('keystone', 'Keystone tokens checked by '
                         'keystonemiddleware ([keystone_authtoken]); the '
                         'caller\'s token is sent on to Ironic.')],
               help='How callers of the facade authenticate. With '
                    'http_basic and keystone the facade acts for the '
                    'caller, and Ironic\'s own authentication and policy '
                    'decide what the caller may do.'),
    cfg.StrOpt('http_basic_auth_user_file',
               default='/etc/ironic/htpasswd',
               help='Apache htpasswd file (bcrypt digests only) of the '
                    'http_basic strategy. Ironic checks the same '
                    'credentials again, so this is usually Ironic\'s own '
                    '[DEFAULT]http_basic_auth_user_file.'),
    cfg.BoolOpt('allow_noauth_on_any_address',
                default=False,
                help='With auth_strategy = noauth, listen on an address '
                     'that is not loopback. Anyone who reaches the port '
                     'then acts with the facade\'s [ironic] credentials.'),
    cfg.IntOpt('max_request_body_size',
               default=1024 * 1024,
               min=1024,
               help='Largest request body accepted, in bytes; larger '
                    'requests get 413.'),
]


def register_opts(conf):
    """Register the facade's options on a ConfigOpts object.

    :param conf: an oslo_config.cfg.ConfigOpts instance.
    """
    # NOTE(expether): oslo.config keeps option values (overrides included)
    # in the OptGroup object; fresh groups keep two ConfigOpts apart.
    for group in (API_GROUP, IRONIC_GROUP):
        conf.register_group(cfg.OptGroup(group.name, title=group.title,
                                         help=group.help))
    conf.register_opts(api_opts, group=API_GROUP.name)
    ks_loading.register_session_conf_options(conf, IRONIC_GROUP.name)
    ks_loading.register_auth_conf_options(conf, IRONIC_GROUP.name)
    ks_loading.register_adapter_conf_options(conf, IRONIC_GROUP.name,
                                             include_deprecated=False)
    conf.set_default('timeout', DEFAULT_IRONIC_TIMEOUT,
                     group=IRONIC_GROUP.name)
    conf.set_default('service_type', 'baremetal', group=IRONIC_GROUP.name)
    conf.set_default('valid_interfaces', DEFAULT_VALID_INTERFACES,
                     group=IRONIC_GROUP.name)


def _ironic_opts():
    """Return the [ironic] options for the sample configuration.

    The auth plugin options are registered at run time, according to
    ``auth_type``; the sample lists those of the common plugins.

    :returns: a list of oslo.config options.
    """
    opts = []
    names = set()

    def add(new_opts):
        for opt in new_opts:
            if opt.name not in names:
                names.add(opt.name)
                opts.append(copy.deepcopy(opt))

    add(ks_loading.get_auth_common_conf_options())
    for plugin in ('none', 'http_basic', 'password'):
        add(ks_loading.get_auth_plugin_conf_options(
            ks_loading.get_plugin_loader(plugin)))
    session_opts = copy.deepcopy(ks_loading.get_session_conf_options())
    cfg.set_defaults(session_opts, timeout=DEFAULT_IRONIC_TIMEOUT)
    add(session_opts)
    adapter_opts = copy.deepcopy(
        ks_loading.get_adapter_conf_options(include_deprecated=False))
    cfg.set_defaults(adapter_opts, service_type='baremetal',
                     valid_interfaces=DEFAULT_VALID_INTERFACES)
    add(adapter_opts)
    return sorted(opts, key=lambda opt: opt.name)


def list_opts():
    """Return the facade's options (the oslo.config.opts entry point).

    :returns: a list of (group, options) pairs.
    """
    return [(API_GROUP, api_opts), (IRONIC_GROUP, _ironic_opts())]
