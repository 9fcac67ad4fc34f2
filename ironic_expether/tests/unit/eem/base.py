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

"""Helpers of the EEM client tests."""

import json
import os
from unittest import mock

from oslotest import base
import requests

from ironic_expether.eem import connector

SAMPLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'samples')

#: JSON samples of EEM answers (the files of shared/reference/eem-samples).
SAMPLE_FILES = ('devices-detail-eesv.json', 'devices-detail-mixed.json',
                'devices-ids.json', 'groups.json',
                'rotary-switch-status.json', 'uid-led-status.json')

PCI_IDS_FIXTURE = os.path.join(SAMPLES_DIR, 'pci.ids')


def sample_path(name):
    return os.path.join(SAMPLES_DIR, name)


def load_sample(name):
    with open(sample_path(name), encoding='utf-8') as stream:
        return json.load(stream)


def make_response(status_code=200, body=None, content=None, reason=None):
    """Build a real requests.Response.

    :param body: a JSON-able object to encode, or None.
    :param content: raw bytes, used when body is None.
    """
    response = requests.Response()
    response.status_code = status_code
    if body is not None:
        content = json.dumps(body).encode('utf-8')
        response.headers['Content-Type'] = 'application/json'
    response._content = content if content is not None else b''
    response.reason = reason
    response.encoding = 'utf-8'
    return response


class SessionTestCase(base.BaseTestCase):
    """Base of the tests that replace requests.Session by an autospec mock.

    ``self.session.request`` is the mock every HTTP call goes through;
    ``self.sleep`` replaces the connector's time.sleep (no real waits).
    """

    def setUp(self):
        super().setUp()
        session_patch = mock.patch.object(connector.requests, 'Session',
                                          autospec=True)
        self.session_cls = session_patch.start()
        self.addCleanup(session_patch.stop)
        self.session = self.session_cls.return_value
        sleep_patch = mock.patch.object(connector.time, 'sleep',
                                        autospec=True)
        self.sleep = sleep_patch.start()
        self.addCleanup(sleep_patch.stop)

    def answer(self, *responses):
        """Queue responses (or exceptions) for the next requests."""
        self.session.request.side_effect = list(responses)
