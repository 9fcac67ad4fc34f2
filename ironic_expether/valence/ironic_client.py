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

"""The facade's client of the Ironic REST API.

One keystoneauth1 adapter (session with a timeout, any auth plugin:
``none``, ``http_basic``, ``password``...) built from the ``[ironic]``
options. Every call returns the decoded JSON answer or raises a
:class:`ironic_expether.valence.errors.ValenceError` carrying Ironic's
status code and message; an unreachable Ironic or Keystone raises
:class:`ironic_expether.valence.errors.IronicUnavailable` (503).
"""

import contextlib
import contextvars
import json
import logging
from urllib import parse

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading

from ironic_expether.valence import errors
from ironic_expether.valence import opts

LOG = logging.getLogger(__name__)

DRIVER_NAME = 'expether'
"""The hardware type whose driver passthru methods serve Valence's API."""

API_VERSION_HEADER = 'X-OpenStack-Ironic-API-Version'
REQUEST_ID_HEADER = 'X-OpenStack-Request-ID'

# The headers that authenticate the caller of the facade, sent to Ironic
# instead of the facade's own credentials while a request is served.
_CALLER_HEADERS = contextvars.ContextVar('ironic_expether_caller_headers',
                                         default=None)


@contextlib.contextmanager
def acting_for(headers):
    """Call Ironic for the caller of the facade, with their credentials.

    While the context is active, every request of an
    :class:`IronicClient` in this thread carries ``headers`` (the caller's
    ``Authorization`` or ``X-Auth-Token``) and not the ``[ironic]``
    credentials of the facade.

    :param headers: a dict of headers, or None to use the facade's own
        credentials.
    """
    token = _CALLER_HEADERS.set(dict(headers) if headers else None)
    try:
        yield
    finally:
        _CALLER_HEADERS.reset(token)


class IronicClient(object):
    """Calls to the Ironic API on behalf of the Valence facade.

    :param session: a keystoneauth1 Session (with its auth plugin, or none).
    :param adapter: a keystoneauth1 Adapter over ``session`` that finds
        Ironic's endpoint (``endpoint_override`` or the service catalog).
    """

    def __init__(self, session, adapter):
        self._session = session
        self._adapter = adapter

    @classmethod
    def from_conf(cls, conf):
        """Build a client from the ``[ironic]`` options.

        :param conf: a ConfigOpts with the facade's options registered
            (:func:`ironic_expether.valence.opts.register_opts`).
        :returns: an IronicClient.
        :raises: ValueError when no way to find Ironic is configured.
        """
        group = opts.IRONIC_GROUP.name
        auth = ks_loading.load_auth_from_conf_options(conf, group)
        session = ks_loading.load_session_from_conf_options(conf, group,
                                                            auth=auth)
        adapter = ks_loading.load_adapter_from_conf_options(
            conf, group, session=session, auth=auth)
        if auth is None and not conf[group].endpoint_override:
            raise ValueError('Set [ironic]endpoint_override (or '
                             '--ironic-url), or an [ironic]auth_type '
                             'able to find the Ironic endpoint.')
        return cls(session, adapter)

    def _base_url(self):
        """Return Ironic's root URL (without the ``/v1`` suffix)."""
        try:
            endpoint = self._adapter.get_endpoint()
        except ks_exc.ClientException as exc:
            raise self._unavailable(exc)
        if not endpoint:
            raise errors.IronicUnavailable(
                'No Ironic endpoint found: set [ironic]endpoint_override or '
                'register the baremetal service in the Keystone catalog.')
        endpoint = endpoint.rstrip('/')
        if endpoint.endswith('/v1'):
            endpoint = endpoint[:-len('/v1')]
        return endpoint

    @staticmethod
    def _unavailable(exc, url=None):
        """Turn a keystoneauth exception into a 503 ValenceError.

        :param exc: a keystoneauth1 ClientException.
        :param url: the URL that was asked, or None.
        :returns: an IronicUnavailable error.
        """
        if isinstance(exc, ks_exc.ConnectTimeout):
            reason = 'no answer within the [ironic]timeout'
        elif isinstance(exc, ks_exc.SSLError):
            reason = 'TLS error'
        elif isinstance(exc, ks_exc.ConnectFailure):
            reason = 'connection refused or failed'
        elif isinstance(exc, (ks_exc.Unauthorized,
                              ks_exc.AuthorizationFailure)):
            reason = ('the facade could not authenticate with the '
                      'configured [ironic] credentials')
        elif isinstance(exc, (ks_exc.EndpointNotFound,
                              ks_exc.DiscoveryFailure,
                              ks_exc.CatalogException)):
            reason = 'the Ironic endpoint could not be found'
        else:
            reason = exc.__class__.__name__
        where = ' at %s' % url.split('?')[0] if url else ''
        return errors.IronicUnavailable(
            'The Ironic API%s is unavailable: %s.' % (where, reason))

    def _request(self, http_method, path, body=None, request_id=None,
                 query=None):
        """Send one request to Ironic and decode its answer.

        :param http_method: the HTTP verb.
        :param path: the path under ``/v1`` (starting with ``/``).
        :param body: a JSON-serializable body, or None for no body.
        :param request_id: the facade's request id, sent to Ironic as its
            global request id.
        :param query: a dict of query string parameters, or None.
        :returns: the decoded JSON answer, or None for an empty answer.
        :raises: ValenceError for an error answer of Ironic;
            IronicUnavailable when Ironic cannot be reached.
        """
        url = self._base_url() + '/v1' + path
        if query:
            url += '?' + parse.urlencode(query)
        headers = {API_VERSION_HEADER: 'latest',
                   'Accept': 'application/json'}
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        kwargs = {}
        caller = _CALLER_HEADERS.get()
        if caller:
            headers.update(caller)
            kwargs['authenticated'] = False
        if body is not None:
            kwargs['json'] = body
        try:
            # NOTE(expether): log=False: keystoneauth would otherwise log
            # request and answer bodies at debug level, and a pod manager
            # body carries the EEM password.
            response = self._adapter.request(
                url, http_method, headers=headers, raise_exc=False,
                log=False, **kwargs)
        except ks_exc.ClientException as exc:
            LOG.warning('Ironic request %(method)s %(path)s %(query)s '
                        'failed: %(error)s',
                        {'method': http_method, 'path': path,
                         'query': query or '',
                         'error': exc.__class__.__name__})
            raise self._unavailable(exc, url)
        LOG.debug('Ironic answered %(status)s to %(method)s %(path)s '
                  '%(query)s', {'status': response.status_code,
                                'method': http_method, 'path': path,
                                'query': query or ''})
        if response.status_code >= 400:
            raise errors.from_ironic(response.status_code, response.text)
        if not response.content:
            return None
        try:
            return json.loads(response.text)
        except ValueError:
            raise errors.ValenceError(
                502, 'Ironic answered %s to %s %s with a body that is not '
                'JSON.' % (response.status_code, http_method, path))

    def driver_passthru(self, method, http_method, body=None,
                        request_id=None):
        """Call a driver passthru method of the expether hardware type.

        :param method: the passthru method name, for example ``compose``.
        :param http_method: the HTTP verb.
        :param body: the method's arguments (a dict), sent as JSON.
        :param request_id: the facade's request id.
        :returns: the method's answer (a dict for Valence's methods).
        :raises: ValenceError, IronicUnavailable.
        """
        # NOTE(expether): the path form, not ``?method=``: Ironic 39 answers
        # the query form of a driver passthru with a 500 (IndexError).
        return self._request(
            http_method, '/drivers/%s/vendor_passthru/%s'
            % (DRIVER_NAME, parse.quote(method, '')),
            body=body if body is not None else {},
            request_id=request_id)

    def node_passthru(self, node, method, http_method, body=None,
                      request_id=None):
        """Call a node passthru method.

        :param node: the node's uuid or name.
        :param method: the passthru method name, for example ``attach``.
        :param http_method: the HTTP verb.
        :param body: the method's arguments (a dict), sent as JSON.
        :param request_id: the facade's request id.
        :returns: the method's answer.
        :raises: ValenceError, IronicUnavailable.
        """
        return self._request(
            http_method, '/nodes/%s/vendor_passthru' % parse.quote(node, ''),
            body=body if body is not None else {},
            request_id=request_id, query={'method': method})

    def get_node(self, node, fields=None, request_id=None):
        """Return an Ironic node.

        :param node: the node's uuid or name.
        :param fields: the fields to return (list of str), or None for all.
        :param request_id: the facade's request id.
        :returns: the node as a dict.
        :raises: ValenceError (404 for an unknown node), IronicUnavailable.
        """
        query = {'fields': ','.join(fields)} if fields else None
        return self._request('GET', '/nodes/%s' % parse.quote(node, ''),
                             request_id=request_id, query=query)

    def delete_node(self, node, request_id=None):
        """Delete an Ironic node.

        :param node: the node's uuid or name.
        :param request_id: the facade's request id.
        :raises: ValenceError, IronicUnavailable.
        """
        self._request('DELETE', '/nodes/%s' % parse.quote(node, ''),
                      request_id=request_id)

    def set_power_state(self, node, target, request_id=None):
        """Ask Ironic to change a node's power state.

        :param node: the node's uuid or name.
        :param target: Ironic's target, for example ``"power on"``.
        :param request_id: the facade's request id.
        :raises: ValenceError, IronicUnavailable.
        """
        self._request('PUT', '/nodes/%s/states/power' % parse.quote(node, ''),
                      body={'target': target}, request_id=request_id)

    def set_boot_device(self, node, device, persistent, request_id=None):
        """Set a node's boot device.

        :param node: the node's uuid or name.
        :param device: Ironic's boot device, for example ``"pxe"``.
        :param persistent: whether the setting survives the next boot.
        :param request_id: the facade's request id.
        :raises: ValenceError, IronicUnavailable.
        """
        self._request(
            'PUT', '/nodes/%s/management/boot_device' % parse.quote(node, ''),
            body={'boot_device': device, 'persistent': persistent},
            request_id=request_id)
