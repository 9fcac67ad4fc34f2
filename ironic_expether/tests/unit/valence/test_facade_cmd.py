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

"""Tests of the ironic-expether-valence-api command."""

import io
import json
import threading
from unittest import mock
from urllib import request as urlrequest

import fixtures
from oslotest import base

from ironic_expether.cmd import valence_api
from ironic_expether.tests.unit.valence import test_facade_ironic_client


class LoadConfigTestCase(base.BaseTestCase):

    def test_defaults(self):
        conf = valence_api.load_config([])
        self.assertEqual('127.0.0.1', conf.valence_api.host)
        self.assertEqual(8181, conf.valence_api.port)
        self.assertIsNone(conf.ironic.endpoint_override)

    def test_config_file_and_overrides(self):
        path = self.useFixture(fixtures.TempDir()).join('valence.conf')
        with open(path, 'w') as f:
            f.write('[valence_api]\nhost = 127.0.0.2\nport = 9000\n'
                    '[ironic]\nauth_type = none\n'
                    'endpoint_override = http://127.0.0.1:6385\n')
        conf = valence_api.load_config(['--config-file', path])
        self.assertEqual(9000, conf.valence_api.port)
        self.assertEqual('http://127.0.0.1:6385',
                         conf.ironic.endpoint_override)
        conf = valence_api.load_config(
            ['--config-file', path, '--host', '127.0.0.1', '--port', '0',
             '--ironic-url', 'http://127.0.0.1:7000'])
        self.assertEqual('127.0.0.1', conf.valence_api.host)
        self.assertEqual(0, conf.valence_api.port)
        self.assertEqual('http://127.0.0.1:7000',
                         conf.ironic.endpoint_override)

    def test_main_without_ironic(self):
        stderr = self.useFixture(fixtures.MonkeyPatch(
            'sys.stderr', io.StringIO())).new_value
        self.assertEqual(2, valence_api.main(['--port', '0']))
        self.assertIn('--ironic-url', stderr.getvalue())


class ServeTestCase(base.BaseTestCase):

    def test_serve_and_stop(self):
        ironic = self.useFixture(test_facade_ironic_client.FakeIronic())
        ironic.answer(200, {'flavors': [{'uuid': 'f'}]})
        conf = valence_api.load_config(['--port', '0', '--ironic-url',
                                        ironic.url])
        server = valence_api.build_server(conf)
        stop = threading.Event()
        result = {}
        printed = threading.Event()

        def fake_print(*args, **kwargs):
            result['line'] = args[0]
            printed.set()

        with mock.patch('builtins.print', autospec=True,
                        side_effect=fake_print):
            thread = threading.Thread(
                target=lambda: result.update(
                    bound=valence_api.serve(server, stop)))
            thread.start()
            self.assertTrue(printed.wait(10))
        port = server.bind_addr[1]
        self.assertEqual('Valence API listening on http://127.0.0.1:%d'
                         % port, result['line'])
        with urlrequest.urlopen('http://127.0.0.1:%d/v1/flavors/' % port,
                                timeout=10) as response:
            self.assertEqual(200, response.status)
            self.assertEqual([{'uuid': 'f'}], json.loads(response.read()))
        stop.set()
        thread.join(15)
        self.assertFalse(thread.is_alive())
        self.assertEqual(('127.0.0.1', port), result['bound'])
