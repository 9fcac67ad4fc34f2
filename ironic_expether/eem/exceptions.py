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

"""Exceptions raised by the EEM client.

Every exception derives from :class:`EEMError`. Messages name the HTTP
method, the path relative to the EEM base URL (``/eem``), the HTTP status
and EEM's own ``code`` and ``message`` when it sent them; they never carry
a password, an ``Authorization`` header or a request body.
"""

#: EEM's messages are short; anything longer is cut to keep logs readable.
_MAX_MESSAGE_LENGTH = 500


class EEMError(Exception):
    """Base class of every error of the EEM client."""


class EEMConnectionError(EEMError):
    """EEM could not be reached, or the connection broke mid-request.

    :ivar method: HTTP method.
    :ivar path: path relative to the EEM base URL.
    :ivar reason: text describing the failure.
    """

    def __init__(self, method, path, reason):
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(
            'EEM %(method)s %(path)s failed: %(reason)s'
            % {'method': method, 'path': path, 'reason': reason})


class EEMTimeout(EEMConnectionError):
    """EEM did not answer within the timeout.

    :ivar timeout: the timeout of one attempt, in seconds.
    """

    def __init__(self, method, path, timeout, reason=None):
        self.timeout = timeout
        text = 'no answer within %s seconds' % timeout
        if reason:
            text = '%s (%s)' % (text, reason)
        super().__init__(method, path, text)


class EEMTLSError(EEMConnectionError):
    """EEM's TLS certificate does not verify, or the TLS handshake failed.

    Retrying does not help: the CA bundle (``verify``) or EEM's
    certificate must be fixed.
    """


class EEMHTTPError(EEMError):
    """EEM answered with an HTTP status of 400 or more.

    :ivar method: HTTP method.
    :ivar path: path relative to the EEM base URL.
    :ivar status_code: HTTP status (int).
    :ivar code: EEM's error code (a string such as ``'40400'``) or None.
    :ivar eem_message: EEM's error message or None.
    """

    def __init__(self, method, path, status_code, code=None,
                 eem_message=None):
        self.method = method
        self.path = path
        self.status_code = status_code
        self.code = code
        self.eem_message = eem_message
        text = ('EEM %(method)s %(path)s answered HTTP %(status)s'
                % {'method': method, 'path': path, 'status': status_code})
        if code is not None:
            text += ' (code %s)' % code
        if eem_message:
            text += ': %s' % eem_message
        super().__init__(text)


class EEMBadRequest(EEMHTTPError):
    """EEM rejected the request (HTTP 400)."""


class EEMAuthError(EEMHTTPError):
    """EEM refused the credentials or the operation (HTTP 401 or 403)."""


class EEMNotFound(EEMHTTPError):
    """EEM does not know the resource (HTTP 404)."""


class EEMConflict(EEMHTTPError):
    """EEM refused the change because of the current state (HTTP 409)."""


class EEMServerError(EEMHTTPError):
    """EEM failed (HTTP 500 or more)."""


class EEMMalformedResponse(EEMError):
    """EEM answered with a body that is not JSON or not of the expected shape.

    :ivar method: HTTP method.
    :ivar path: path relative to the EEM base URL.
    :ivar status_code: HTTP status (int).
    :ivar reason: what was wrong with the body.
    """

    def __init__(self, method, path, status_code, reason):
        self.method = method
        self.path = path
        self.status_code = status_code
        self.reason = reason
        super().__init__(
            'EEM %(method)s %(path)s answered HTTP %(status)s with a '
            'malformed body: %(reason)s'
            % {'method': method, 'path': path, 'status': status_code,
               'reason': reason})


_STATUS_CLASSES = {
    400: EEMBadRequest,
    401: EEMAuthError,
    403: EEMAuthError,
    404: EEMNotFound,
    409: EEMConflict,
}


def _shorten(text):
    text = str(text).strip()
    if len(text) > _MAX_MESSAGE_LENGTH:
        text = text[:_MAX_MESSAGE_LENGTH] + '...'
    return text


def _error_details(response):
    """Extract EEM's ``code`` and ``message`` from an error response."""
    try:
        body = response.json()
    except ValueError:
        body = None
    code = message = None
    if isinstance(body, dict):
        if body.get('code') is not None:
            code = _shorten(body['code'])
        if body.get('message') is not None:
            message = _shorten(body['message'])
    if message is None and getattr(response, 'reason', None):
        # NOTE(expether): without EEM's JSON error body (a proxy or Tomcat
        # answering itself) the reason phrase is all there is; the raw body
        # is not quoted, it may be a large HTML page.
        message = _shorten(response.reason)
    return code, message


def raise_for_response(method, path, response):
    """Raise the exception matching an EEM response, if it is an error.

    :param method: HTTP method of the request.
    :param path: path of the request, relative to the EEM base URL.
    :param response: a ``requests.Response``.
    :raises: EEMBadRequest (400), EEMAuthError (401, 403), EEMNotFound
        (404), EEMConflict (409), EEMServerError (>= 500) or EEMHTTPError
        (any other status >= 400).
    """
    status = response.status_code
    if status < 400:
        return
    if status >= 500:
        cls = EEMServerError
    else:
        cls = _STATUS_CLASSES.get(status, EEMHTTPError)
    code, message = _error_details(response)
    raise cls(method, path, status, code=code, eem_message=message)
