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

"""HTTP transport to one EEM: the only module of the client that does I/O.

One :class:`Connector` owns one ``requests.Session`` and applies, on every
request: the timeout, the TLS verification setting, Basic authentication
when a username was given, ``Accept: application/json``, and the retry
policy. Retries live here and nowhere else.
"""

import logging
import re
import threading
import time
from urllib import parse as urlparse
import warnings

import requests
from urllib3 import exceptions as urllib3_exc
from urllib3 import util as urllib3_util

from ironic_expether.eem import exceptions

LOG = logging.getLogger(__name__)

_SCHEMES = ('http', 'https')

# NOTE(expether): 501 (not implemented) and 505 will not change on a retry.
_NOT_RETRIED_5XX = (501, 505)

_filters_lock = threading.Lock()


def parse_address(address):
    """Split and check an EEM base URL.

    :param address: base URL such as ``http://eem.example.com:30500/eem``,
        with or without a trailing slash. Credentials embedded in the URL
        (``http://user:secret@host/eem``) are taken out of it.
    :returns: a tuple (base_url, display_url, username, password):
        ``base_url`` ends with ``/`` and paths are appended to it;
        ``display_url`` is the same without the trailing slash; neither
        holds credentials. ``username``/``password`` are those of the URL
        or None.
    :raises: ValueError when the address is not an http or https URL with a
        host, or has a query or fragment. The message never repeats the
        address (it may hold a password).
    """
    if not isinstance(address, str) or not address.strip():
        raise ValueError('The EEM address must be a non-empty http or '
                         'https URL')
    parts = urlparse.urlsplit(address.strip())
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError('The EEM address must be an http or https URL, '
                         'not scheme "%s"' % scheme[:16])
    try:
        port = parts.port
    except ValueError:
        raise ValueError('The EEM address has an invalid port') from None
    host = parts.hostname
    if not host:
        raise ValueError('The EEM address has no host')
    if parts.query or parts.fragment:
        raise ValueError('The EEM address must not have a query or a '
                         'fragment')
    if ':' in host:
        host = '[%s]' % host
    netloc = host if port is None else '%s:%d' % (host, port)
    path = parts.path.rstrip('/')
    display_url = urlparse.urlunsplit((scheme, netloc, path, '', ''))
    username = (urlparse.unquote(parts.username)
                if parts.username else None)
    password = (urlparse.unquote(parts.password)
                if parts.password else None)
    return display_url + '/', display_url, username, password


_TLS_VERIFY_RE = re.compile(r'certificate verify failed:? ?([^(\]\'"]*)')


def _tls_reason(text):
    """One short line for a TLS failure instead of urllib3's wall of text.

    :param text: the text of requests' SSLError.
    :returns: ``"TLS certificate does not verify: <why>"``, or ``"TLS
        error: <text>"`` for another TLS failure.
    """
    match = _TLS_VERIFY_RE.search(text)
    if match:
        why = match.group(1).strip() or 'unknown reason'
        return 'TLS certificate does not verify: %s' % why
    return 'TLS error: %s' % text


def _mute_insecure_warning(host):
    """Silence urllib3's InsecureRequestWarning for one host only."""
    pattern = (r"Unverified HTTPS request is being made to host '%s'"
               % re.escape(host))
    with _filters_lock:
        # NOTE(expether): look in the live filter list rather than remember
        # the hosts: warnings.catch_warnings() restores the list on exit.
        for _action, message, category, _module, _line in warnings.filters:
            if (category is urllib3_exc.InsecureRequestWarning
                    and message is not None and message.pattern == pattern):
                return
        warnings.filterwarnings(
            'ignore', message=pattern,
            category=urllib3_exc.InsecureRequestWarning)


class Connector(object):
    """HTTP access to one EEM.

    **Timeouts.** Each attempt is bounded by ``timeout`` seconds from the
    start of the connection to the arrival of EEM's response headers
    (urllib3's total timeout); each read of the body then waits at most
    what is left of it. EEM's answers are small JSON documents, read in
    full once the headers are in.

    **Retries.** Only GET requests are retried, and only after a connection
    error, a timeout or an HTTP status of 500 or more (except 501 and 505),
    at most ``retries`` times. Before retry *n* (1-based) the connector
    sleeps ``retry_interval * 2 ** (n - 1)`` seconds. PUT and DELETE are
    sent exactly once: EEM may have applied a change whose answer was lost.
    TLS errors (a certificate that does not verify) are never retried.

    **Worst case.** A call therefore returns or raises within::

        (retries + 1) * timeout + retry_interval * (2 ** retries - 1)

    seconds, available as :attr:`worst_case_seconds`, plus name resolution,
    a few milliseconds of processing per attempt, and the time to read an
    answer whose body stalls after its headers arrived. With the
    defaults (timeout 30 s, 2 retries, 1 s interval) that is 93 s for a GET
    and 30 s for a PUT or DELETE.

    **Threads.** A connector may be shared by threads: it keeps no state
    per request, and requests' session shares its urllib3 connection pool
    safely. Do not call :meth:`close` while other threads still use it.

    :param address: EEM base URL (see :func:`parse_address`).
    :param username: user for HTTP Basic authentication; None sends none.
        When None, credentials embedded in ``address`` are used.
    :param password: password for HTTP Basic authentication.
    :param verify: True to verify TLS certificates against the system
        store, False not to verify, or the path of a CA bundle.
    :param timeout: seconds, per attempt (> 0).
    :param retries: extra attempts of a GET (>= 0).
    :param retry_interval: first backoff, in seconds (>= 0).
    :raises: ValueError for a bad address or bad numbers.
    """

    def __init__(self, address, username=None, password=None, verify=True,
                 timeout=30.0, retries=2, retry_interval=1.0):
        base_url, display_url, url_user, url_password = parse_address(
            address)
        self._base_url = base_url
        self.address = display_url
        if username is None and url_user is not None:
            username, password = url_user, url_password
        if isinstance(timeout, bool) or not isinstance(timeout,
                                                       (int, float)):
            raise ValueError('timeout must be a number of seconds')
        if not timeout > 0:
            raise ValueError('timeout must be greater than 0')
        if (isinstance(retries, bool) or not isinstance(retries, int)
                or retries < 0):
            raise ValueError('retries must be an integer >= 0')
        if (isinstance(retry_interval, bool)
                or not isinstance(retry_interval, (int, float))
                or retry_interval < 0):
            raise ValueError('retry_interval must be a number >= 0')
        if not (isinstance(verify, bool) or
                (isinstance(verify, str) and verify)):
            raise ValueError('verify must be True, False or the path of a '
                             'CA bundle')
        self.timeout = float(timeout)
        self.retries = retries
        self.retry_interval = float(retry_interval)
        self.verify = verify
        self.username = username
        self._password = password
        self._auth = (requests.auth.HTTPBasicAuth(username, password or '')
                      if username else None)
        self._session = requests.Session()
        if verify is False and base_url.startswith('https:'):
            _mute_insecure_warning(urlparse.urlsplit(base_url).hostname)

    @property
    def worst_case_seconds(self):
        """Longest time a GET may take, retries and backoff included."""
        return ((self.retries + 1) * self.timeout
                + self.retry_interval * (2 ** self.retries - 1))

    def _backoff(self, retry_number):
        return self.retry_interval * 2 ** (retry_number - 1)

    def _scrub(self, text):
        """Remove the password from a text, should a library echo it."""
        text = str(text)
        # NOTE(expether): requests never puts the Basic password in its
        # error texts (the URL holds no credentials any more); this is a
        # second line of defence. Very short passwords are left alone, as
        # replacing them would garble every message ("p" in "port").
        if self._password and len(self._password) >= 4:
            text = text.replace(self._password, '***')
        return text

    def _timeout(self):
        return urllib3_util.Timeout(total=self.timeout)

    def get(self, path, params=None):
        """GET a JSON object, with retries.

        :param path: path relative to the base URL, without leading slash.
        :param params: dict of query parameters (None values are dropped).
        :returns: the decoded JSON object (a dict).
        :raises: EEMConnectionError, EEMTimeout, EEMHTTPError (and its
            subclasses), EEMMalformedResponse.
        """
        return self._request('GET', path, params=params, retry=True)

    def put(self, path, body=None):
        """PUT a JSON body, once.

        :param path: path relative to the base URL, without leading slash.
        :param body: a JSON-able dict, or None to send no body.
        :returns: the decoded JSON object, or {} for an empty answer.
        :raises: see :meth:`get`.
        """
        return self._request('PUT', path, body=body)

    def delete(self, path, params=None):
        """DELETE, once.

        :param path: path relative to the base URL, without leading slash.
        :param params: dict of query parameters.
        :returns: the decoded JSON object, or {} for an empty answer.
        :raises: see :meth:`get`.
        """
        return self._request('DELETE', path, params=params)

    def _request(self, method, path, params=None, body=None, retry=False):
        url = self._base_url + path
        if params:
            params = {key: value for key, value in params.items()
                      if value is not None} or None
        kwargs = {'params': params,
                  'headers': {'Accept': 'application/json'},
                  'auth': self._auth,
                  'verify': self.verify,
                  'timeout': self._timeout(),
                  'allow_redirects': False}
        if body is not None:
            kwargs['json'] = body
        attempts = self.retries + 1 if retry else 1
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self._session.request(method, url, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise exceptions.EEMTLSError(
                    method, path, _tls_reason(self._scrub(exc))) from exc
            except requests.Timeout as exc:
                error = exceptions.EEMTimeout(method, path, self.timeout,
                                              self._scrub(exc))
                error.__cause__ = exc
            except (requests.ConnectionError,
                    requests.exceptions.ChunkedEncodingError) as exc:
                error = exceptions.EEMConnectionError(method, path,
                                                      self._scrub(exc))
                error.__cause__ = exc
            except requests.RequestException as exc:
                raise exceptions.EEMConnectionError(
                    method, path, self._scrub(exc)) from exc
            else:
                status = response.status_code
                LOG.debug('EEM %(method)s %(path)s answered %(status)s in '
                          '%(elapsed).3f s (attempt %(attempt)d of '
                          '%(attempts)d)',
                          {'method': method, 'path': path, 'status': status,
                           'elapsed': time.monotonic() - started,
                           'attempt': attempt, 'attempts': attempts})
                if (status >= 500 and status not in _NOT_RETRIED_5XX
                        and attempt < attempts):
                    error = None
                else:
                    return self._decode(method, path, response)
            if attempt >= attempts:
                raise error
            delay = self._backoff(attempt)
            LOG.info('EEM %(method)s %(path)s failed (%(reason)s); retry '
                     '%(retry)d of %(retries)d in %(delay).1f s',
                     {'method': method, 'path': path,
                      'reason': (getattr(error, 'reason', None)
                                 or 'HTTP %s' % response.status_code),
                      'retry': attempt, 'retries': attempts - 1,
                      'delay': delay})
            time.sleep(delay)

    @staticmethod
    def _decode(method, path, response):
        exceptions.raise_for_response(method, path, response)
        status = response.status_code
        if not 200 <= status < 300:
            raise exceptions.EEMMalformedResponse(
                method, path, status, 'unexpected HTTP status')
        if not response.content:
            if method == 'GET':
                raise exceptions.EEMMalformedResponse(
                    method, path, status, 'empty body')
            return {}
        try:
            doc = response.json()
        except ValueError:
            raise exceptions.EEMMalformedResponse(
                method, path, status, 'not JSON') from None
        if not isinstance(doc, dict):
            raise exceptions.EEMMalformedResponse(
                method, path, status,
                'expected a JSON object, got %s' % type(doc).__name__)
        return doc

    def close(self):
        """Close the HTTP connections.

        The connector can still be used: it reconnects on the next request.
        """
        self._session.close()

    def __repr__(self):
        return '<Connector %s user=%s>' % (self.address, self.username)
