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

"""driver_info, EEM clients and EEM errors, for every Ironic-side user of EEM.

* :func:`parse_driver_info` checks a node's ``driver_info`` without any
  network I/O.
* :func:`get_client` hands out one cached :class:`~ironic_expether.eem.
  EEMClient` per EEM endpoint and credentials.
* :func:`eem_errors` turns :mod:`ironic_expether.eem` errors into
  :mod:`ironic.common.exception` classes, the only ones that survive
  json-rpc.
"""

import collections
import contextlib
import hashlib
import os
import threading
from urllib import parse as urlparse

from ironic.common import exception
from ironic.common.i18n import _
from ironic.common import states
from oslo_log import log
from oslo_utils import strutils

from ironic_expether import conf
from ironic_expether import eem
from ironic_expether.eem_access import snapshot

LOG = log.getLogger(__name__)

#: The name of the hardware type (and of its interfaces), as Ironic's nodes
#: spell it; the one place the plugin writes it down.
DRIVER = 'expether'

REQUIRED_PROPERTIES = {
    'eem_address': _('URL of the ExpEther Manager (EEM) REST API, ending in '
                     '"/eem", for example "https://eem.example.com:30500/'
                     'eem". Required.'),
    'eesv_id': _('EE id of the server engine (EESV) of this node: "0x" '
                 'followed by the hexadecimal digits of its MAC address, '
                 'for example "0x8cdf9d535b14". Required.'),
}

OPTIONAL_PROPERTIES = {
    'eem_username': _('User name for HTTP Basic authentication with EEM. '
                      'Optional.'),
    'eem_password': _('Password for HTTP Basic authentication with EEM. '
                      'Optional.'),
    'eem_verify_ca': _('Either a Boolean value or the path of a CA bundle '
                       'file or directory used to verify the TLS '
                       'certificate of EEM. Defaults to the '
                       '[expether]verify_ca option (True). Optional.'),
}

COMMON_PROPERTIES = dict(REQUIRED_PROPERTIES, **OPTIONAL_PROPERTIES)

#: driver_info keys that point at the node's BMC, by kind of BMC. The first
#: one present wins (redfish before ipmi).
BMC_ADDRESS_KEYS = (('redfish', 'redfish_address'),
                    ('ipmi', 'ipmi_address'))

#: How many distinct EEM clients (endpoint and credentials) are kept.
CLIENT_CACHE_SIZE = 128

#: EEM errors that say nothing about the request itself: EEM is down, slow,
#: failing or answering garbage. They become ``TemporaryFailure`` (503).
TEMPORARY_ERRORS = (eem.EEMConnectionError, eem.EEMServerError,
                    eem.EEMMalformedResponse)

_CLIENT_CACHE = collections.OrderedDict()
_CLIENT_CACHE_LOCK = threading.Lock()
#: EEM addresses already warned about (plain HTTP, TLS not verified).
_WARNED = set()


def _node_id(node):
    return getattr(node, 'uuid', None) or _('(unknown)')


def _invalid(node, key, reason):
    return exception.InvalidParameterValue(
        _('Invalid driver_info/%(key)s on node %(node)s: %(reason)s') %
        {'key': key, 'node': _node_id(node), 'reason': reason})


def normalize_eeid(value):
    """Return an EE id in EEM's spelling (lower case), or None if invalid.

    :param value: anything a user or a node may hold.
    :returns: the lower-case EE id, or None when ``value`` is not one.
    """
    if not eem.is_valid_eeid(value):
        return None
    return value.lower()


def _netloc(parts):
    """``host[:port]`` of a split URL, lower case, IPv6 in brackets."""
    netloc = parts.hostname or ''
    if ':' in netloc:
        netloc = '[%s]' % netloc
    if parts.port:
        netloc = '%s:%d' % (netloc, parts.port)
    return netloc


def _check_url(value, eem_path, credentials_hint):
    """The one rule for an EEM URL; see :func:`normalize_url`.

    :returns: the normalised URL.
    :raises: ValueError with a user message (translated) that never
        repeats a URL holding credentials.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(_('expected a URL ending in "/eem"') if eem_path
                         else _('expected an http or https URL'))
    value = value.strip()
    try:
        parts = urlparse.urlsplit(value)
        parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ValueError(_('"%s" is not a valid URL') % value) from None
    if parts.username is not None or parts.password is not None:
        # NOTE(expether): never echo this URL, it holds a credential.
        raise ValueError(_('credentials must not be part of the URL; use '
                           '%s') % credentials_hint)
    scheme = parts.scheme.lower()
    if scheme not in ('http', 'https') or not parts.hostname:
        raise ValueError(_('"%s" is not an http or https URL with a '
                           'host') % value)
    if parts.query or parts.fragment:
        raise ValueError(_('"%s" must not have a query or a fragment')
                         % value)
    path = parts.path.rstrip('/')
    if eem_path and not path.endswith('/eem'):
        raise ValueError(_('"%s" does not end in "/eem"') % value)
    return urlparse.urlunsplit((scheme, _netloc(parts), path, '', ''))


def normalize_url(url, field='url', eem_path=False):
    """Normalise an EEM URL so that one EEM is one URL.

    The one URL rule of the plugin, for ``driver_info/eem_address`` and
    for a pod manager's ``url`` alike: an http or https URL with a host,
    a valid port, no credentials, no query and no fragment. The scheme
    and host are lower-cased and trailing slashes stripped, so that two
    spellings of one EEM compare equal.

    :param url: the URL of an EEM, ``http(s)://host[:port]/eem``.
    :param field: the name of the field for the message.
    :param eem_path: whether the path must end in ``/eem``.
    :returns: the normalised URL.
    :raises: InvalidParameterValue naming the field; the message never
        repeats a URL that holds credentials.
    """
    try:
        return _check_url(url, eem_path,
                          _('the username and password fields'))
    except ValueError as e:
        raise exception.InvalidParameterValue(
            _('%(field)s: %(reason)s') % {'field': field, 'reason': e})


def normalize_verify(verify, field=None):
    """Normalise a TLS verification setting to ``True``/``False``/a path.

    The one TLS-setting rule: a Boolean, a Boolean-like string (taken as
    a Boolean before it is looked up as a path) or the path of a CA
    bundle.

    :param verify: a bool, a bool-like string or the path of a CA bundle.
    :param field: the name of the field for the message, if any.
    :returns: True, False or the path (stripped).
    :raises: InvalidParameterValue for an empty value or another type.
    """
    if isinstance(verify, bool):
        return verify
    if not isinstance(verify, str) or not verify.strip():
        reason = (_('expected a Boolean or the path of a CA bundle, not '
                    '"%s"') % (verify,))
        if field:
            reason = _('%(field)s: %(reason)s') % {'field': field,
                                                   'reason': reason}
        raise exception.InvalidParameterValue(reason)
    value = strutils.bool_from_string(verify, strict=False, default=None)
    return verify.strip() if value is None else value


def _parse_address(node, value):
    try:
        return _check_url(value, True, 'eem_username and eem_password')
    except ValueError as e:
        raise _invalid(node, 'eem_address', str(e))


def _parse_verify(node, value):
    """Parse eem_verify_ca like Ironic parses redfish_verify_ca.

    NOTE(expether): unlike Ironic, a Boolean-like string is taken as a
    Boolean before it is looked up as a path, so that a stray file named
    "false" in the conductor's directory cannot turn verification off.
    """
    key = 'eem_verify_ca'
    if value is None:
        value = conf.CONF.expether.verify_ca
        key = '[expether]verify_ca'
    try:
        value = normalize_verify(value)
    except exception.InvalidParameterValue as e:
        raise _invalid(node, key, str(e))
    if isinstance(value, bool):
        return value
    if os.path.isfile(value) or os.path.isdir(value):
        return value
    raise _invalid(node, key, _('"%s" is neither a Boolean nor an existing '
                                'file or directory') % value)


def _parse_optional_str(node, info, key):
    value = info.get(key)
    if value is None or value == '':
        return None
    if not isinstance(value, str):
        # NOTE(expether): the value may be a password, do not echo it.
        raise _invalid(node, key, _('expected a string'))
    return value


def parse_driver_info(node):
    """Check and normalize the EEM part of a node's ``driver_info``.

    No network I/O is done.

    :param node: an Ironic node object (anything with ``uuid`` and
        ``driver_info``).
    :returns: a dict with ``address`` (the EEM URL without a trailing
        slash), ``username``, ``password`` (None when unset), ``verify``
        (True, False or a CA bundle path) and ``eesv_id`` (lower case).
    :raises: MissingParameterValue if ``eem_address`` or ``eesv_id`` is
        missing; the message names the node and the keys.
    :raises: InvalidParameterValue if a value is malformed; the message
        names the node and the key, and never contains a password.
    """
    info = node.driver_info or {}
    missing = sorted(k for k in REQUIRED_PROPERTIES
                     if info.get(k) in (None, ''))
    if missing:
        raise exception.MissingParameterValue(
            _('Node %(node)s is missing driver_info needed by the expether '
              'driver: %(keys)s') %
            {'node': _node_id(node), 'keys': ', '.join(missing)})

    eesv_id = normalize_eeid(info['eesv_id'])
    if eesv_id is None:
        raise _invalid(node, 'eesv_id',
                       _('"%s" is not an EE id ("0x" followed by 10 to 12 '
                         'hexadecimal digits)') % (info['eesv_id'],))

    return {
        'address': _parse_address(node, info['eem_address']),
        'username': _parse_optional_str(node, info, 'eem_username'),
        'password': _parse_optional_str(node, info, 'eem_password'),
        'verify': _parse_verify(node, info.get('eem_verify_ca')),
        'eesv_id': eesv_id,
    }


def _cache_key(info):
    password = info.get('password') or ''
    # NOTE(expether): only a salted hash of the password is kept in the key,
    # so that a changed password gets a new client and the key itself holds
    # no secret.
    pw_hash = hashlib.sha256(
        (info['address'] + '\0' + password).encode('utf-8')).hexdigest()
    expether = conf.CONF.expether
    return (info['address'], info.get('username'), pw_hash,
            info.get('verify', True), expether.request_timeout,
            expether.request_retries, expether.retry_interval)


def _warn_once_if_insecure(info):
    """Warn once per EEM address about plain HTTP or unverified TLS.

    Called with the client cache lock held.
    """
    address = safe_address(info['address']).rstrip('/')
    if address.startswith('http:'):
        key, text = ('http', address), (
            'EEM %(eem)s is reached over plain HTTP: its password and every '
            'answer cross the network unencrypted. Use https:// when EEM '
            'offers it.')
    elif info.get('verify', True) is False:
        key, text = ('noverify', address), (
            'The TLS certificate of EEM %(eem)s is not verified '
            '(eem_verify_ca or [expether]verify_ca is False): anyone on the '
            'path can read its password. Give a CA bundle instead.')
    else:
        return
    if key in _WARNED:
        return
    _WARNED.add(key)
    LOG.warning(text, {'eem': address})


def get_client(node_or_info):
    """Return a cached EEM client for a node or for parsed driver_info.

    Clients are shared by every node with the same EEM address, user name,
    password, TLS verification and ``[expether]`` request options. The
    cache is thread-safe and keeps at most :data:`CLIENT_CACHE_SIZE`
    clients (least recently used ones are dropped).

    :param node_or_info: an Ironic node, or a dict as returned by
        :func:`parse_driver_info` (``address`` is required, ``username``,
        ``password`` and ``verify`` are optional).
    :returns: an :class:`ironic_expether.eem.EEMClient`.
    :raises: MissingParameterValue, InvalidParameterValue if a node's
        driver_info is incomplete or malformed.
    """
    if isinstance(node_or_info, dict):
        info = node_or_info
    else:
        info = parse_driver_info(node_or_info)
    key = _cache_key(info)
    with _CLIENT_CACHE_LOCK:
        client = _CLIENT_CACHE.get(key)
        if client is not None:
            _CLIENT_CACHE.move_to_end(key)
            return client
        _warn_once_if_insecure(info)
        expether = conf.CONF.expether
        client = eem.EEMClient(info['address'],
                               username=info.get('username'),
                               password=info.get('password'),
                               verify=info.get('verify', True),
                               timeout=expether.request_timeout,
                               retries=expether.request_retries,
                               retry_interval=expether.retry_interval)
        _CLIENT_CACHE[key] = client
        while len(_CLIENT_CACHE) > CLIENT_CACHE_SIZE:
            # NOTE(expether): an evicted client may still be in use by
            # another thread, so it is not closed; garbage collection
            # closes its connections.
            _CLIENT_CACHE.popitem(last=False)
        return client


def clear_client_cache():
    """Forget every cached EEM client (for tests and reconfiguration).

    The warnings about plain HTTP and unverified TLS are given again.
    """
    with _CLIENT_CACHE_LOCK:
        _CLIENT_CACHE.clear()
        _WARNED.clear()


def safe_address(address):
    """Return an EEM address fit for messages: no user info, no query.

    :param address: a URL or None.
    :returns: the URL without credentials, or ``"EEM"`` when unknown.
    """
    if not address:
        return 'EEM'
    try:
        url = urlparse.urlsplit(address)
        return urlparse.urlunsplit((url.scheme, _netloc(url), url.path,
                                    '', ''))
    except ValueError:
        return 'EEM'


def _address_for(node, client, address):
    if address:
        return safe_address(address)
    if client is not None:
        addr = getattr(client, 'address', None)
        if isinstance(addr, str):
            return safe_address(addr)
    if node is not None:
        return safe_address((node.driver_info or {}).get('eem_address'))
    return 'EEM'


@contextlib.contextmanager
def eem_errors(node, step, address=None, client=None, not_found=None):
    """Turn EEM client errors into Ironic exceptions.

    Use as ``with eem_errors(task.node, _('reading the power state')):``.
    Ironic exceptions raised inside pass through unchanged.

    ==========================================  ===========================
    :mod:`ironic_expether.eem` error             Ironic exception (HTTP)
    ==========================================  ===========================
    ``EEMNotFound``                             ``not_found`` or
                                                ``NotFound`` (404)
    ``EEMBadRequest``                           ``InvalidParameterValue``
                                                (400)
    ``EEMConflict``                             ``Conflict`` (409)
    ``EEMAuthError`` (401, 403)                 ``InvalidParameterValue``
                                                (400): fix driver_info
    ``EEMTLSError`` (certificate does not       ``InvalidParameterValue``
    verify)                                     (400): fix eem_verify_ca
    ``EEMConnectionError``, ``EEMTimeout``,     ``TemporaryFailure`` (503):
    ``EEMServerError`` (5xx), HTTP 429,         retry later
    ``EEMMalformedResponse``
    any other HTTP status, other errors         ``DriverOperationError``
                                                (500)
    ==========================================  ===========================

    Every message names the EEM address (without credentials), the step
    and the node when there is one; none contains a password.

    :param node: the node the step is for, or None.
    :param step: what was being done, as a translated phrase, for example
        ``_('attaching device 0x8cdf9d911cb0')``.
    :param address: the EEM address to name; taken from ``client`` or from
        the node's driver_info when not given.
    :param client: the EEM client in use, used for its address.
    :param not_found: the Ironic exception class for a 404 of EEM, for
        example ``InvalidParameterValue`` when the missing id came from
        driver_info; ``NotFound`` when None.
    :raises: the Ironic exceptions of the table above.
    """
    try:
        yield
    except eem.EEMError as e:
        where = _address_for(node, client, address)
        if node is not None:
            msg = (_('EEM %(eem)s failed while %(step)s for node %(node)s: '
                     '%(error)s') %
                   {'eem': where, 'step': step, 'node': _node_id(node),
                    'error': e})
        else:
            msg = (_('EEM %(eem)s failed while %(step)s: %(error)s') %
                   {'eem': where, 'step': step, 'error': e})
        if isinstance(e, eem.EEMNotFound):
            raise (not_found or exception.NotFound)(msg) from e
        if isinstance(e, eem.EEMBadRequest):
            raise exception.InvalidParameterValue(msg) from e
        if isinstance(e, eem.EEMConflict):
            raise exception.Conflict(msg) from e
        if isinstance(e, eem.EEMTLSError):
            raise exception.InvalidParameterValue(
                '%s %s' % (msg, _('Check eem_verify_ca in driver_info (or '
                                  '[expether]verify_ca): it must name the '
                                  'CA bundle that signed the certificate '
                                  'of EEM.'))) from e
        if isinstance(e, eem.EEMAuthError):
            if node is not None:
                hint = _('Check eem_username and eem_password in '
                         'driver_info.')
            else:
                # NOTE(expether): without a node the credentials are the
                # pod manager's (compose, discovery).
                hint = _('Check the credentials (authentication) of the pod '
                         'manager of this EEM.')
            raise exception.InvalidParameterValue(
                '%s %s' % (msg, hint)) from e
        if isinstance(e, TEMPORARY_ERRORS) or (
                isinstance(e, eem.EEMHTTPError) and e.status_code == 429):
            raise exception.TemporaryFailure(
                '%s %s' % (msg, _('Retry when EEM answers again.'))) from e
        raise exception.DriverOperationError(driver=DRIVER,
                                             reason=msg) from e


def bmc_kind(node):
    """Tell which BMC, if any, a node's driver_info points at.

    :param node: an Ironic node.
    :returns: ``'redfish'`` when ``redfish_address`` is set, else ``'ipmi'``
        when ``ipmi_address`` is set, else None.
    """
    info = node.driver_info or {}
    for kind, key in BMC_ADDRESS_KEYS:
        if info.get(key) not in (None, ''):
            return kind
    return None


#: EEM's power_status of a server engine, as Ironic power states.
EEM_POWER_STATES = {
    'on': states.POWER_ON,
    'off': states.POWER_OFF,
}


def eem_power_state(node):
    """Read a node's power state from EEM (for nodes without a BMC).

    EEM reports the host's power (``power_status`` of its EESV) but cannot
    switch it.

    :param node: an Ironic node with valid expether driver_info.
    :returns: ``states.POWER_ON``, ``states.POWER_OFF``, or
        ``states.ERROR`` when EEM reports no or an unknown power status.
    :raises: MissingParameterValue, InvalidParameterValue on bad
        driver_info, or when ``eesv_id`` names no engine or an IO engine.
    :raises: TemporaryFailure when EEM cannot be reached or fails;
        InvalidParameterValue when it refuses the credentials.
    """
    info = parse_driver_info(node)
    client = get_client(info)
    with eem_errors(node, _('reading the power state of server engine '
                            '%s') % info['eesv_id'],
                    address=info['address'],
                    not_found=exception.InvalidParameterValue):
        device = snapshot.get_device(client, info['eesv_id'])
    if not device.is_eesv:
        raise _invalid(node, 'eesv_id',
                       _('%s is an IO engine (EEIO), not a server engine '
                         '(EESV)') % info['eesv_id'])
    state = EEM_POWER_STATES.get(device.power_state)
    if state is None:
        LOG.warning('EEM %(eem)s reports power status %(status)r for server '
                    'engine %(eesv)s of node %(node)s; recording an error.',
                    {'eem': safe_address(info['address']),
                     'status': device.power_state, 'eesv': info['eesv_id'],
                     'node': node.uuid})
        return states.ERROR
    return state
