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


"""HTTP to Ironic for the ``baremetal expether`` commands.

The commands reuse the keystoneauth session that ``baremetal`` or
``openstack`` built (authentication, TLS, endpoint), but not
python-ironicclient's HTTP client: that one retries every 409 as if it
were a locked node, so a real conflict ("not enough free devices") would
come back only after all its retries. :class:`IronicAPI` retries a 409
only when Ironic's message says the node is locked, and answers any other
error at once with Ironic's own message.

Driver passthru is called in the path form
(``/v1/drivers/expether/vendor_passthru/<method>``): Ironic 39 answers
the ``?method=`` form of a driver passthru with a 500.
"""

import json
import re
import time
from urllib import parse

from keystoneauth1 import exceptions as ks_exc
from osc_lib import exceptions

DRIVER = 'expether'
#: The microversion sent with every request.
API_VERSION = 'latest'
#: Retries of a request answered "node locked", and seconds between them
#: (python-ironicclient's defaults).
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_INTERVAL = 2

_LOCKED = re.compile(r'\bis locked by host\b')


class APIError(exceptions.CommandError):
    """Ironic answered an error.

    :ivar status: the HTTP status code.
    :ivar message: Ironic's message.
    """

    def __init__(self, status, message):
        self.status = status
        self.message = message
        super().__init__('%s (HTTP %d)' % (message, status))


def error_message(response):
    """Ironic's error message in a response, or its status line.

    Ironic puts ``{"faultstring": ...}`` in ``error_message``, as a JSON
    string or an object.

    :param response: a ``requests.Response``.
    :returns: the message (str).
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and 'error_message' in body:
        error = body['error_message']
        if isinstance(error, str):
            try:
                error = json.loads(error)
            except ValueError:
                return error
        if isinstance(error, dict) and error.get('faultstring'):
            return str(error['faultstring'])
    text = (response.text or '').strip()
    return text[:500] or (response.reason or 'no message')


def is_locked(status, message):
    """Whether an error is Ironic's ``NodeLocked`` (worth retrying).

    :param status: the HTTP status.
    :param message: Ironic's message.
    """
    return status == 409 and bool(_LOCKED.search(message))


class IronicAPI(object):
    """Requests to Ironic's REST API through a keystoneauth session.

    :param session: a keystoneauth1 ``Session``.
    :param endpoint: Ironic's root URL (without ``/v1``).
    :param max_retries: retries of a request answered "node locked".
    :param retry_interval: seconds between two retries.
    :param sleep: the sleep function (tests replace it).
    """

    def __init__(self, session, endpoint, max_retries=None,
                 retry_interval=None, sleep=time.sleep):
        self.session = session
        self.endpoint = endpoint.rstrip('/')
        if self.endpoint.endswith('/v1'):
            self.endpoint = self.endpoint[:-len('/v1')]
        self.max_retries = (DEFAULT_MAX_RETRIES if max_retries is None
                            else max(0, max_retries))
        self.retry_interval = (DEFAULT_RETRY_INTERVAL
                               if retry_interval is None
                               else max(0, retry_interval))
        self.sleep = sleep

    @classmethod
    def from_app(cls, app):
        """The API of a ``baremetal`` or ``openstack`` application.

        :param app: the cliff application running the command.
        :returns: an :class:`IronicAPI` on the session and endpoint of its
            bare metal client.
        """
        http = app.client_manager.baremetal.http_client
        endpoint = getattr(http, 'endpoint_trimmed', None)
        if not endpoint:
            endpoint = http.get_endpoint()
        options = getattr(app, 'options', None)
        return cls(http.session, endpoint,
                   max_retries=getattr(options, 'max_retries', None),
                   retry_interval=getattr(options, 'retry_interval', None))

    def request(self, method, path, body=None, query=None):
        """Send one request; retry it while the node is locked.

        :param method: the HTTP verb.
        :param path: the path under ``/v1`` (``/nodes/n1``).
        :param body: a JSON body, or None.
        :param query: a dict of query parameters, or None.
        :returns: the decoded JSON answer, or None when it has no body.
        :raises: APIError with Ironic's message on an HTTP error.
        :raises: CommandError when Ironic cannot be reached.
        """
        url = '%s/v1%s' % (self.endpoint, path)
        if query:
            url += '?' + parse.urlencode(query)
        headers = {'X-OpenStack-Ironic-API-Version': API_VERSION,
                   'Accept': 'application/json'}
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    url, method, json=body, headers=headers,
                    raise_exc=False)
            except ks_exc.ConnectionError as e:
                raise exceptions.CommandError(
                    'Ironic at %s cannot be reached: %s' % (self.endpoint, e))
            if response.status_code < 400:
                break
            message = error_message(response)
            if (is_locked(response.status_code, message)
                    and attempt < self.max_retries):
                attempt += 1
                self.sleep(self.retry_interval)
                continue
            raise APIError(response.status_code, message)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise exceptions.CommandError(
                'Ironic answered %s %s with a body that is not JSON'
                % (method, path))

    def driver_passthru(self, method, http_method='GET', body=None):
        """Call a driver passthru method of the expether hardware type.

        :param method: the method (``compose``).
        :param http_method: the HTTP verb.
        :param body: its arguments (a dict).
        :returns: the method's answer.
        :raises: APIError, CommandError.
        """
        return self.request(
            http_method, '/drivers/%s/vendor_passthru/%s'
            % (DRIVER, parse.quote(method, '')),
            body=body if body is not None else {})

    def node_passthru(self, node, method, http_method='POST', body=None):
        """Call a node passthru method.

        :param node: the node's uuid or name.
        :param method: the method (``attach``).
        :param http_method: the HTTP verb.
        :param body: its arguments (a dict).
        :returns: the method's answer.
        :raises: APIError, CommandError.
        """
        return self.request(
            http_method, '/nodes/%s/vendor_passthru' % parse.quote(node, ''),
            body=body if body is not None else {}, query={'method': method})

    def get_node(self, node):
        """An Ironic node by uuid or name.

        :raises: APIError (404 for an unknown node), CommandError.
        """
        return self.request('GET', '/nodes/%s' % parse.quote(node, ''))
