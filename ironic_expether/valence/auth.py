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

"""Who may call the Valence facade: ``[valence_api]auth_strategy``.

The facade authenticates its callers as Ironic does, with the same
libraries:

* ``noauth``: nobody is authenticated and Ironic is called with the
  facade's own ``[ironic]`` credentials. The facade then listens only on a
  loopback address unless ``[valence_api]allow_noauth_on_any_address``.
* ``http_basic``: Ironic's own basic authentication
  (:mod:`ironic.common.auth_basic`) against an Apache htpasswd file with
  bcrypt digests; the caller's ``Authorization`` header goes on to Ironic.
* ``keystone``: keystonemiddleware's ``auth_token`` (options in
  ``[keystone_authtoken]``); the caller's token goes on to Ironic.

In the last two, Ironic's own authentication and policy decide what the
caller may do: the facade acts for the caller, never with its own
credentials.
"""

import ipaddress
import logging
import socket
import uuid

from ironic.common import auth_basic
from ironic.common import exception as ironic_exc
from keystonemiddleware import auth_token
import webob

from ironic_expether.valence import errors

LOG = logging.getLogger(__name__)

NOAUTH = 'noauth'
HTTP_BASIC = 'http_basic'
KEYSTONE = 'keystone'
STRATEGIES = (NOAUTH, HTTP_BASIC, KEYSTONE)

CALLER_HEADERS_KEY = 'ironic_expether.caller_headers'
"""WSGI environment key: the caller's headers to send on to Ironic."""

# NOTE(expether): as Ironic's acl_public_routes, the version documents
# need no credentials.
PUBLIC_PATHS = frozenset(['', '/', '/v1', '/v1/'])

_REALM = 'Basic realm="Valence API"'


def is_loopback(host):
    """Tell whether every address a host name resolves to is loopback.

    :param host: an IP address or a host name.
    :returns: True when all its addresses are loopback ones; False when one
        is not, or when it does not resolve.
    """
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0].split('%')[0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(address).is_loopback for address in addresses)


def check_listen_address(conf):
    """Refuse to serve without authentication beyond the local machine.

    :param conf: the facade's ConfigOpts.
    :raises: ValueError when ``auth_strategy`` is ``noauth``, the listen
        address is not loopback and ``allow_noauth_on_any_address`` is off.
    """
    api = conf.valence_api
    if (api.auth_strategy == NOAUTH and not api.allow_noauth_on_any_address
            and not is_loopback(api.host)):
        raise ValueError(
            'refusing to listen on %s with [valence_api]auth_strategy = '
            'noauth: anyone reaching it would act with the facade\'s own '
            'Ironic credentials. Listen on a loopback address, choose '
            'http_basic or keystone, or set [valence_api]'
            'allow_noauth_on_any_address = true.' % api.host)


class _PublicRoutes(object):
    """Let the version documents through without credentials."""

    def __init__(self, app, protected):
        self.app = app
        self.protected = protected

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') in PUBLIC_PATHS:
            return self.app(environ, start_response)
        return self.protected(environ, start_response)


def _error_response(status, detail, headers=None):
    """Build Valence's error answer outside the facade's application."""
    exc = errors.ValenceError(status, detail)
    response = webob.Response(status=status, charset=None,
                              content_type='application/json')
    response.json_body = exc.to_body('req-%s' % uuid.uuid4())
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class BasicAuth(object):
    """HTTP basic authentication with Ironic's own implementation.

    :param app: the WSGI application behind it.
    :param auth_file: the htpasswd file (bcrypt digests only).
    :raises: ironic.common.exception.ConfigInvalid when the file cannot be
        read or holds a digest other than bcrypt.
    """

    def __init__(self, app, auth_file):
        self.app = app
        self.auth_file = auth_file
        auth_basic.validate_auth_file(auth_file)

    def __call__(self, environ, start_response):
        header = environ.get('HTTP_AUTHORIZATION')
        try:
            token = auth_basic.parse_header(dict(environ))
            username, password = auth_basic.parse_token(token)
            identity = auth_basic.authenticate(self.auth_file, username,
                                               password)
        except ironic_exc.IronicException as exc:
            status = exc.code if exc.code in (400, 401) else 401
            response = _error_response(status, str(exc),
                                       {'WWW-Authenticate': _REALM})
            return response(environ, start_response)
        environ.update(identity)
        environ[CALLER_HEADERS_KEY] = {'Authorization': header}
        return self.app(environ, start_response)


class _ForwardToken(object):
    """Behind auth_token: send the caller's validated token to Ironic."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        token = environ.get('HTTP_X_AUTH_TOKEN')
        if token:
            environ[CALLER_HEADERS_KEY] = {'X-Auth-Token': token}
        return self.app(environ, start_response)


def wrap(app, conf):
    """Put the configured authentication in front of the facade.

    :param app: the facade's WSGI application.
    :param conf: the facade's ConfigOpts.
    :returns: the WSGI application to serve.
    :raises: ValueError for an unusable configuration (see
        :func:`check_listen_address`, an unreadable htpasswd file).
    """
    strategy = conf.valence_api.auth_strategy
    if strategy == NOAUTH:
        check_listen_address(conf)
        return app
    if strategy == HTTP_BASIC:
        path = conf.valence_api.http_basic_auth_user_file
        try:
            protected = BasicAuth(app, path)
        except ironic_exc.IronicException as exc:
            raise ValueError('[valence_api]http_basic_auth_user_file: %s'
                             % exc)
    else:
        protected = auth_token.AuthProtocol(_ForwardToken(app),
                                            {'oslo_config_config': conf})
    LOG.info('Valence API callers authenticate with %s', strategy)
    return _PublicRoutes(app, protected)
