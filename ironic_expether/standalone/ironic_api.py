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


"""A small client of Ironic's REST API for the standalone stack.

Only what enrolling the demo servers needs: drivers, nodes and driver
passthru. Users and tests drive the stack with the real ``baremetal``
client and openstacksdk instead.
"""

import json

import requests

API_VERSION_HEADER = 'X-OpenStack-Ironic-API-Version'


class IronicAPIError(Exception):
    """Ironic answered an error (or did not answer)."""

    def __init__(self, method, path, status=None, message=None):
        self.method = method
        self.path = path
        self.status = status
        text = '%s %s: %s %s' % (method, path, status or '', message or '')
        super().__init__(text.strip())


class IronicAPI:
    """Calls Ironic's API without authentication (``noauth``).

    :param endpoint: base URL, e.g. ``http://127.0.0.1:6385``.
    :param timeout: seconds for each request.
    """

    def __init__(self, endpoint, timeout=30.0):
        self.endpoint = endpoint.rstrip('/')
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({API_VERSION_HEADER: 'latest',
                                     'Accept': 'application/json'})

    def request(self, method, path, json=None, params=None, ok=(200,)):
        """Send one request and decode the JSON answer.

        :param method: the HTTP method.
        :param path: the path below the endpoint, starting with ``/v1``.
        :param json: the body to send as JSON, if any.
        :param params: query parameters.
        :param ok: the status codes that count as success.
        :returns: the decoded body (None when empty).
        :raises: IronicAPIError for any other status or a connection error.
        """
        try:
            response = self.session.request(
                method, self.endpoint + path, json=json, params=params,
                timeout=self.timeout)
        except requests.RequestException as exc:
            raise IronicAPIError(method, path, message=str(exc))
        if response.status_code not in ok:
            raise IronicAPIError(method, path, response.status_code,
                                 _error_message(response))
        return response.json() if response.content else None

    def driver_names(self):
        """Names of the hardware types that a conductor has registered."""
        body = self.request('GET', '/v1/drivers')
        return [driver['name'] for driver in body.get('drivers', [])]

    def has_driver(self, name):
        """Whether the API answers and lists the driver ``name``.

        :returns: False while the API is not answering yet.
        """
        try:
            return name in self.driver_names()
        except IronicAPIError:
            return False

    def get_node(self, ident):
        """A node by name or uuid, or None when there is none."""
        try:
            return self.request('GET', '/v1/nodes/%s' % ident)
        except IronicAPIError as exc:
            if exc.status == 404:
                return None
            raise

    def list_nodes(self, driver, fields=('uuid', 'name', 'driver_info')):
        """The nodes of a driver (only the given fields)."""
        return self.request('GET', '/v1/nodes', params={
            'driver': driver, 'fields': ','.join(fields)})['nodes']

    def create_node(self, **fields):
        """Create a node (``POST /v1/nodes``) and return it."""
        return self.request('POST', '/v1/nodes', json=fields, ok=(201,))

    def update_driver_info(self, ident, driver_info, remove=()):
        """Set some driver_info keys of a node, leaving the others alone.

        :param ident: node name or uuid.
        :param driver_info: the keys to set.
        :param remove: keys to delete when present.
        :returns: the updated node.
        """
        node = self.request('GET', '/v1/nodes/%s' % ident)
        current = node.get('driver_info') or {}
        patch = [{'op': 'add', 'path': '/driver_info/%s' % key,
                  'value': value} for key, value in driver_info.items()]
        patch += [{'op': 'remove', 'path': '/driver_info/%s' % key}
                  for key in remove if key in current]
        return self.request('PATCH', '/v1/nodes/%s' % node['uuid'],
                            json=patch)

    def set_provision_state(self, ident, target):
        """Ask for a provision state change (``manage``, ``provide``...)."""
        self.request('PUT', '/v1/nodes/%s/states/provision' % ident,
                     json={'target': target}, ok=(202,))

    def driver_passthru_methods(self, driver):
        """Names of the driver passthru methods of a hardware type."""
        body = self.request(
            'GET', '/v1/drivers/%s/vendor_passthru/methods' % driver)
        return sorted(body or {})

    def call_driver_passthru(self, driver, method, http_method='POST',
                             body=None):
        """Call a driver passthru method and return its answer."""
        # NOTE(expether): the path form; Ironic 39 answers a GET with
        # ?method= and no body with a 500 (IndexError in its validation).
        return self.request(
            http_method, '/v1/drivers/%s/vendor_passthru/%s'
            % (driver, method), json=body, ok=(200, 201, 202))


def _error_message(response):
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    # NOTE(expether): Ironic nests its error as a JSON string in
    # error_message.
    message = body.get('error_message', body) if isinstance(body, dict) \
        else body
    if isinstance(message, str):
        try:
            message = json.loads(message).get('faultstring', message)
        except (ValueError, AttributeError):
            pass
    return str(message)[:500]
