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


import configparser
import os
import stat
import tempfile

import ironic.conf.opts
from oslo_concurrency import opts as concurrency_opts
from oslo_config import cfg
from oslo_db import options as db_options
from oslo_log import log
from oslotest import base

from ironic_expether.conf import opts as expether_opts
from ironic_expether.standalone import config


def _registered_conf():
    """A fresh ConfigOpts with every option Ironic and the plugin know."""
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    db_options.set_defaults(conf)
    for group, opts in ironic.conf.opts.list_opts():
        # NOTE(expether): the keystoneauth options of [cinder], [glance],
        # ... are required once registered; the stack uses none of them.
        conf.register_opts([opt for opt in opts if not opt.required],
                           group=None if group == 'DEFAULT' else group)
    for group, opts in concurrency_opts.list_opts():
        conf.register_opts(opts, group=group)
    for group, opts in expether_opts.list_opts():
        conf.register_opts(opts, group=group)
    return conf


class IronicConfTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix='expether-config-')
        self.sections = config.ironic_conf(
            self.tmp, 16385, sync_power_state_interval=3,
            automated_clean=False,
            expether={'request_timeout': 5, 'request_retries': 0})
        self.path = config.write_ironic_conf(
            os.path.join(self.tmp, 'ironic.conf'), self.sections)

    def test_values_seen_by_oslo_config(self):
        conf = _registered_conf()
        conf(['--config-file', self.path], project='ironic')
        self.assertEqual('noauth', conf.auth_strategy)
        self.assertEqual('none', conf.rpc_transport)
        self.assertEqual(['expether'], conf.enabled_hardware_types)
        self.assertEqual(['expether'], conf.enabled_power_interfaces)
        self.assertEqual(['expether'], conf.enabled_management_interfaces)
        self.assertEqual(['expether', 'no-vendor'],
                         conf.enabled_vendor_interfaces)
        self.assertEqual(['fake'], conf.enabled_boot_interfaces)
        self.assertEqual(['fake'], conf.enabled_deploy_interfaces)
        self.assertEqual('noop', conf.default_network_interface)
        self.assertEqual('127.0.0.1', conf.api.host_ip)
        self.assertEqual(16385, conf.api.port)
        self.assertFalse(conf.conductor.automated_clean)
        self.assertEqual(3, conf.conductor.sync_power_state_interval)
        self.assertEqual(
            'sqlite:///%s' % os.path.join(self.tmp, 'ironic.sqlite'),
            conf.database.connection)
        self.assertEqual(5.0, conf.expether.request_timeout)
        self.assertEqual(0, conf.expether.request_retries)

    def test_every_option_is_known(self):
        # A misspelt option would be silently ignored by oslo.config.
        conf = _registered_conf()
        conf([], project='ironic')
        for section, options in self.sections.items():
            group = conf if section == 'DEFAULT' else conf[section]
            for key in options:
                self.assertIn(key, group, '%s.%s' % (section, key))

    def test_every_interface_type_is_enabled_explicitly(self):
        # The conductor refuses to start when a hardware type has no
        # enabled implementation of an interface type; listing each one
        # keeps Ironic's defaults (ipxe, direct, ...) out.
        from ironic.drivers import base as driver_base
        defaults = self.sections['DEFAULT']
        for iface in driver_base.ALL_INTERFACES:
            self.assertIn('enabled_%s_interfaces' % iface, defaults)

    def test_file_is_private(self):
        mode = stat.S_IMODE(os.stat(self.path).st_mode)
        self.assertEqual(0o600, mode)

    def test_rewrite_replaces(self):
        sections = config.ironic_conf(self.tmp, 7000)
        config.write_ironic_conf(self.path, sections)
        parser = configparser.ConfigParser()
        parser.read(self.path)
        self.assertEqual('7000', parser['api']['port'])
        self.assertFalse(parser.has_section('expether'))

    def test_overrides_win(self):
        sections = config.ironic_conf(
            self.tmp, 7000, overrides={'conductor': {'automated_clean': False},
                                       'redfish': {'connection_attempts': 2}})
        self.assertEqual('false', sections['conductor']['automated_clean'])
        self.assertEqual('2', sections['redfish']['connection_attempts'])
        self.assertEqual('60', sections['conductor'][
            'sync_power_state_interval'])

    def test_render_refuses_newlines(self):
        self.assertRaises(ValueError, config.render_ini,
                          {'DEFAULT': {'host': 'a\nb'}})

    def test_render_default_first(self):
        text = config.render_ini({'b': {'x': '1'}, 'DEFAULT': {'y': '2'},
                                  'a': {}})
        self.assertEqual('[DEFAULT]\ny = 2\n\n[b]\nx = 1\n', text)


class SushyConfTestCase(base.BaseTestCase):

    def test_loadable_python(self):
        tmp = tempfile.mkdtemp(prefix='expether-sushy-')
        systems = [{'uuid': 'u1', 'name': 'eesv-1', 'power_state': 'Off',
                    'nics': [{'mac': '02:00:00:00:00:01'}]}]
        path = config.write_sushy_conf(os.path.join(tmp, 'sushy.conf'),
                                       systems, os.path.join(tmp, 'state'),
                                       port=8123)
        namespace = {}
        with open(path) as stream:
            exec(compile(stream.read(), path, 'exec'), namespace)
        self.assertTrue(namespace['SUSHY_EMULATOR_FAKE_DRIVER'])
        self.assertEqual(systems, namespace['SUSHY_EMULATOR_FAKE_SYSTEMS'])
        self.assertEqual(8123, namespace['SUSHY_EMULATOR_LISTEN_PORT'])
        self.assertEqual('127.0.0.1', namespace['SUSHY_EMULATOR_LISTEN_IP'])
        self.assertEqual(os.path.join(tmp, 'state'),
                         namespace['SUSHY_EMULATOR_STATE_DIR'])
