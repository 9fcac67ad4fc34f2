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

"""Valence's error body, and the translation of Ironic's errors into it.

Valence answered every error with::

    {"request_id": "...", "code": "<str>", "status": <int>,
     "title": "<str>", "detail": "<str>"}

where ``code`` is the HTTP reason phrase and ``title`` depends on the
kind of error. The facade keeps that body and the status code Ironic (or
its own validation) chose; ``detail`` carries the message.
"""

import http.client
import json

# NOTE(expether): Valence's titles, per status code, kept verbatim
# (typo included) so that scripts matching on them keep working.
_TITLES = {
    400: 'Bad Request',
    401: 'Authorization Error',
    403: 'Forbidden',
    404: 'Resource could not be found',
    405: 'Method Not Allowed',
    409: 'Resource Already Exists',
    413: 'Request Entity Too Large',
    500: 'An unknown exception occured',
    502: 'Bad Gateway',
    503: 'Connection Error',
    504: 'Connection Error',
}


def reason_phrase(status):
    """Return the HTTP reason phrase of a status code.

    :param status: an HTTP status code (int).
    :returns: the phrase, for example ``"Not Found"``; ``"Error"`` for a
        code Python does not know.
    """
    try:
        return http.client.responses[status]
    except KeyError:
        return 'Error'


def title_for(status):
    """Return Valence's error title for a status code.

    :param status: an HTTP status code (int).
    :returns: Valence's title, or the reason phrase when Valence had none.
    """
    return _TITLES.get(status, reason_phrase(status))


class ValenceError(Exception):
    """An error to answer with Valence's error body.

    :param status: the HTTP status code of the answer.
    :param detail: the message for the client. Never put a credential in
        it.
    :param title: Valence's title; derived from ``status`` when omitted.
    :param code: Valence's code; the reason phrase when omitted.
    """

    def __init__(self, status, detail, title=None, code=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or title_for(status)
        self.code = code or reason_phrase(status)

    def to_body(self, request_id):
        """Return Valence's error body.

        :param request_id: the request id of the request that failed.
        :returns: a dict with request_id, code, status, title and detail.
        """
        return {'request_id': request_id,
                'code': self.code,
                'status': self.status,
                'title': self.title,
                'detail': self.detail}


class BadRequest(ValenceError):
    """400: a request the facade rejects before asking Ironic."""

    def __init__(self, detail):
        super().__init__(400, detail)


class ValidationError(ValenceError):
    """400: a request body that fails its JSON schema."""

    def __init__(self, detail):
        super().__init__(400, detail, title='Validation Error')


class NotFound(ValenceError):
    """404: a path the facade does not serve."""

    def __init__(self, detail):
        super().__init__(404, detail)


class MethodNotAllowed(ValenceError):
    """405: a path served by the facade, with a verb it does not serve.

    :param method: the verb of the request.
    :param allowed: the verbs the path serves (iterable of str).
    """

    def __init__(self, method, allowed):
        self.allowed = sorted(allowed)
        super().__init__(
            405, 'The method %s is not allowed here; allowed: %s.'
            % (method, ', '.join(self.allowed)))


class IronicUnavailable(ValenceError):
    """503: Ironic (or Keystone in front of it) could not be reached."""

    def __init__(self, detail):
        super().__init__(503, detail)


def _fault_message(body_text):
    """Extract the message of an Ironic error body.

    Ironic answers ``{"error_message": "<JSON text>"}`` whose JSON holds
    ``faultstring``; older paths put a plain string in ``error_message``.

    :param body_text: the body of Ironic's answer (str).
    :returns: the message, or None when the body has none.
    """
    try:
        body = json.loads(body_text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    message = body.get('error_message')
    if isinstance(message, str):
        try:
            fault = json.loads(message)
        except ValueError:
            return message or None
        if isinstance(fault, dict):
            message = fault.get('faultstring')
        else:
            return message or None
    if isinstance(message, dict):
        message = message.get('faultstring')
    if isinstance(message, str) and message:
        return message
    return None


def from_ironic(status, body_text):
    """Translate an error answer of Ironic into a ValenceError.

    :param status: Ironic's HTTP status code.
    :param body_text: Ironic's body (str, possibly empty).
    :returns: a ValenceError with the same status and Ironic's
        ``faultstring`` as detail.
    """
    detail = _fault_message(body_text or '')
    if detail is None:
        detail = 'Ironic answered %d %s.' % (status, reason_phrase(status))
    return ValenceError(status, detail)
