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


"""A fake HTTP layer for the command tests: a keystoneauth-like session."""

import json
from urllib import parse

import requests

ENDPOINT = 'http://ironic.test:6385'


def response(status, body=None):
    """A ``requests.Response`` with a JSON body."""
    result = requests.Response()
    result.status_code = status
    result.reason = 'Reason %d' % status
    if body is not None:
        result._content = json.dumps(body).encode()
    else:
        result._content = b''
    return result


def ironic_error(status, message):
    """An error response the way Ironic's API writes it."""
    return response(status, {'error_message': json.dumps(
        {'faultcode': 'Client', 'faultstring': message,
         'debuginfo': None})})


class FakeSession(object):
    """Answers requests from a table of (verb, path, method) -> answers.

    ``path`` is the URL path without the endpoint, ``method`` the
    ``?method=`` query value (or None). An answer is a response, or a list
    of responses given one per call (the last one repeats).

    :ivar calls: ``(verb, path, query dict, json body, headers)`` of every
        request, in order.
    """

    def __init__(self, routes=None):
        self.routes = dict(routes or {})
        self.calls = []

    def add(self, verb, path, answer, method=None):
        self.routes[(verb, path, method)] = answer

    def request(self, url, method, json=None, headers=None,
                raise_exc=True, **kwargs):
        assert url.startswith(ENDPOINT), url
        parts = parse.urlsplit(url[len(ENDPOINT):])
        query = dict(parse.parse_qsl(parts.query))
        self.calls.append((method, parts.path, query, json, headers))
        key = (method, parts.path, query.get('method'))
        answer = self.routes.get(key)
        if answer is None:
            return ironic_error(404, 'no route for %s %s' % (method, url))
        if isinstance(answer, list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        if callable(answer):
            return answer(json)
        return answer

    def bodies(self, verb, path):
        """The JSON bodies sent to one verb and path."""
        return [c[3] for c in self.calls if c[0] == verb and c[1] == path]


def driver_path(method):
    return '/v1/drivers/expether/vendor_passthru/%s' % method


def node_path(node):
    return '/v1/nodes/%s/vendor_passthru' % node
