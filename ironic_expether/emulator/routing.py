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

"""Requests, responses and path routing shared by the emulator's APIs."""

import json
import re
import urllib.parse

from ironic_expether.emulator import state as eem_state


class Request(object):
    """An HTTP request as the route handlers see it.

    :param method: the method, upper case.
    :param path: the path, without the query.
    :param query: the query string.
    :param body: the body, bytes.
    """

    def __init__(self, method, path, query, body):
        self.method = method
        self.path = path
        self.query = urllib.parse.parse_qs(query, keep_blank_values=True)
        self.body = body

    def arg(self, name):
        """The last value of a query parameter, or None."""
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self, default=None):
        """The body parsed as JSON; ``default`` for an empty body.

        :raises: eem_state.BadRequest if the body is not JSON.
        """
        if not self.body or not self.body.strip():
            return default
        try:
            return json.loads(self.body)
        except ValueError:
            raise eem_state.BadRequest('the request body is not JSON')
        except RecursionError:
            raise eem_state.BadRequest('the request body is nested too '
                                       'deeply')

    def json_object(self, fields=None):
        """The body parsed as a JSON object; ``{}`` for an empty body.

        :param fields: the keys the object may have, or None for any.
        :raises: eem_state.BadRequest if the body is not a JSON object, or
            has a key not in ``fields``.
        """
        body = self.json(default={})
        if not isinstance(body, dict):
            raise eem_state.BadRequest('the request body must be a JSON '
                                       'object')
        if fields is not None:
            unknown = sorted(set(body) - set(fields))
            if unknown:
                raise eem_state.BadRequest(
                    'unknown field(s) %s; accepted: %s'
                    % (', '.join(k[:64] for k in unknown),
                       ', '.join(sorted(fields))))
        return body


class Response(object):
    """An HTTP answer: status, body bytes and extra headers."""

    def __init__(self, status=200, body=b'', headers=None,
                 content_type='application/json'):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type


def json_response(data, status=200, headers=None):
    """An answer with a JSON body.

    :param data: a JSON-serialisable object.
    :param status: the HTTP status.
    :param headers: extra headers.
    """
    return Response(status, json.dumps(data).encode('utf-8'), headers)


def error_response(error, headers=None):
    """The answer for an ``EEMStateError``."""
    return json_response(error.to_body(), error.status, headers)


class Router(object):
    """Maps ``(method, path)`` to a handler.

    Routes are added with a template such as ``/eem/devices/<id>/audit``;
    each ``<name>`` matches one path segment, URL-decoded and passed to the
    handler as a positional argument, in order.
    """

    def __init__(self):
        self._routes = []

    def add(self, template, **handlers):
        """Add a route.

        :param template: the path template.
        :param handlers: handler per method, e.g. ``GET=fn``.
        """
        pattern = re.sub(r'<(\w+)>', r'(?P<\1>[^/]+)', template)
        self._routes.append((re.compile('^%s$' % pattern), template,
                             {m.upper(): h for m, h in handlers.items()}))

    def match(self, path):
        """Find the route of a path.

        :returns: ``(template, handlers, params)`` or None.
        """
        for regex, template, handlers in self._routes:
            found = regex.match(path)
            if found:
                params = [urllib.parse.unquote(v) for v in found.groups()]
                return template, handlers, params
        return None

    def dispatch(self, context, request):
        """Call the handler of a request.

        :param context: the first argument of every handler.
        :param request: the Request.
        :returns: a Response.
        """
        found = self.match(request.path)
        if found is None:
            return error_response(eem_state.NotFound(
                'no such resource: %s' % request.path))
        _template, handlers, params = found
        handler = handlers.get(request.method)
        if handler is None:
            return json_response(
                {'code': '40500',
                 'message': 'method %s not allowed on %s'
                            % (request.method, request.path)},
                405, {'Allow': ', '.join(sorted(handlers))})
        try:
            return handler(context, request, *params)
        except eem_state.EEMStateError as exc:
            return error_response(exc)

    def template(self, path):
        """The template of a path, or ``<unknown>``."""
        found = self.match(path)
        return found[0] if found else '<unknown>'
