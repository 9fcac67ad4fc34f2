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

"""The emulator's HTTP server: listener, Basic auth, TLS, faults.

``EmulatorServer`` owns one listening socket served by a background
thread, with one thread per connection (HTTP/1.1 keep-alive). Refusing
connections really closes the listening socket and every open
connection, and binds the same port again afterwards.
"""

import base64
import binascii
import hmac
import http.server
import json
import logging
import socket
import socketserver
import ssl
import struct
import threading
import time
import urllib.parse

from ironic_expether.emulator import control_api
from ironic_expether.emulator import eem_api
from ironic_expether.emulator import faults as eem_faults
from ironic_expether.emulator import routing
from ironic_expether.emulator import state as eem_state

LOG = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024
TLS_HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 120.0
POLL_INTERVAL = 0.05


def _without_first_id(body):
    """An EEM answer whose first device has lost its ``id``."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    if isinstance(doc, dict):
        devices = doc.get('devices')
        if isinstance(devices, list) and devices and \
                isinstance(devices[0], dict):
            devices[0].pop('id', None)
        elif isinstance(doc.get('device'), dict):
            doc['device'].pop('id', None)
    return json.dumps(doc).encode('utf-8')


_NOT_JSON = (b'<html><head><title>503 Service Unavailable</title></head>'
             b'<body><h1>Service Unavailable</h1></body></html>')


class _Handler(http.server.BaseHTTPRequestHandler):
    """Turns HTTP requests into calls of the EmulatorServer."""

    protocol_version = 'HTTP/1.1'
    server_version = 'EEM-emulator'
    sys_version = ''
    timeout = IDLE_TIMEOUT

    def setup(self):
        super().setup()
        # NOTE(expether): headers and body leave in two writes; without
        # TCP_NODELAY, Nagle and delayed ACKs add 40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.emulator._track(self.connection)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.emulator._untrack(self.connection)

    def log_message(self, fmt, *args):
        # NOTE(expether): the request line never holds credentials; the
        # headers (Authorization) are never logged.
        LOG.debug('%s - ' + fmt, self.address_string(), *args)

    def _read_body(self):
        if self.headers.get('Transfer-Encoding'):
            self._send(routing.json_response(
                {'code': '41100', 'message': 'send a Content-Length'}, 411))
            self.close_connection = True
            return None
        length = self.headers.get('Content-Length') or '0'
        if not length.isdigit():
            self._send(routing.json_response(
                {'code': '40000', 'message': 'bad Content-Length'}, 400))
            self.close_connection = True
            return None
        length = int(length)
        if length > MAX_BODY:
            self._send(routing.json_response(
                {'code': '41300', 'message': 'request body too large'}, 413))
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b''

    def _handle(self):
        body = self._read_body()
        if body is None:
            return
        split = urllib.parse.urlsplit(self.path)
        request = routing.Request(self.command, split.path, split.query,
                                  body)
        request.connection = self.connection
        response = self.server.emulator.handle(
            request, self.headers.get('Authorization'))
        if response is None:
            # An injected dropped connection: no answer at all, and a TCP
            # reset rather than an orderly close.
            self.close_connection = True
            try:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack('ii', 1, 0))
            except OSError:
                pass
            return
        self._send(response)

    def _send(self, response):
        try:
            self.send_response(response.status)
            if response.body or response.content_type:
                self.send_header('Content-Type', response.content_type)
            self.send_header('Content-Length', str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if response.body and self.command != 'HEAD':
                self.wfile.write(response.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _handle


class _Listener(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, emulator, address, family, tls_context):
        self.address_family = family
        self.emulator = emulator
        self.tls_context = tls_context
        super().__init__(address, _Handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port
        if self.tls_context is not None:
            self.socket = self.tls_context.wrap_socket(
                self.socket, server_side=True,
                do_handshake_on_connect=False)

    def finish_request(self, request, client_address):
        if self.tls_context is not None:
            # NOTE(expether): the handshake runs in the connection's own
            # thread, so a client that never completes it cannot stall
            # the accept loop.
            request.settimeout(TLS_HANDSHAKE_TIMEOUT)
            try:
                request.do_handshake()
            except (OSError, ssl.SSLError) as exc:
                LOG.debug('TLS handshake with %s failed: %s',
                          client_address, exc)
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        LOG.debug('error while serving %s', client_address, exc_info=True)


class EmulatorServer(object):
    """An EEM emulator on a real socket.

    :param state: an ``EEMState``; an empty one when None.
    :param host: the address to listen on.
    :param port: the port; 0 picks a free one (see ``port`` after start).
    :param username: the Basic auth user; None disables auth.
    :param password: the Basic auth password.
    :param tls_cert: a PEM certificate (chain) file; enables HTTPS.
    :param tls_key: the PEM key file of the certificate.
    """

    def __init__(self, state=None, host='127.0.0.1', port=0, username=None,
                 password=None, tls_cert=None, tls_key=None):
        self.state = state if state is not None else eem_state.EEMState()
        self.faults = eem_faults.Faults()
        self.host = host
        self.port = port
        self._credentials = None
        if username is not None:
            self._credentials = ('%s:%s' % (username, password or '')
                                 ).encode('utf-8')
        self._tls = None
        if tls_cert:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(tls_cert, tls_key)
        self._eem = eem_api.build_router()
        self._control = control_api.build_router()
        self._lock = threading.RLock()
        self._connections_lock = threading.Lock()
        self._connections = set()
        self._listener = None
        self._thread = None
        self._running = False
        self._refuse_timer = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def url(self):
        """The base URL of the EEM API, ending in ``/eem``."""
        host = self.host
        if ':' in host:
            host = '[%s]' % host
        scheme = 'https' if self._tls else 'http'
        return '%s://%s:%d%s' % (scheme, host, self.port, eem_api.BASE)

    @property
    def running(self):
        return self._running

    @property
    def refusing(self):
        """True while connections are refused."""
        return self._running and self._listener is None

    def start(self):
        """Bind the socket and serve in a background thread.

        :returns: self.
        :raises: OSError if the address cannot be bound.
        """
        with self._lock:
            if self._running:
                raise RuntimeError('the emulator is already running')
            self._open_listener()
            self._running = True
        LOG.debug('EEM emulator listening on %s', self.url)
        return self

    def stop(self):
        """Stop serving and close every connection."""
        with self._lock:
            self._running = False
            if self._refuse_timer is not None:
                self._refuse_timer.cancel()
                self._refuse_timer = None
            self._close_listener()
        self._close_connections()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _open_listener(self):
        family = socket.AF_INET6 if ':' in self.host else socket.AF_INET
        listener = _Listener(self, (self.host, self.port), family, self._tls)
        self.port = listener.server_address[1]
        thread = threading.Thread(
            target=listener.serve_forever,
            kwargs={'poll_interval': POLL_INTERVAL},
            name='eem-emulator-%d' % self.port, daemon=True)
        thread.start()
        self._listener, self._thread = listener, thread

    def _close_listener(self):
        listener, thread = self._listener, self._thread
        self._listener = self._thread = None
        if listener is not None:
            listener.shutdown()
            listener.server_close()
            thread.join()

    # -- connections -------------------------------------------------------

    def _track(self, connection):
        with self._connections_lock:
            self._connections.add(connection)

    def _untrack(self, connection):
        with self._connections_lock:
            self._connections.discard(connection)

    def _close_connections(self, keep=None):
        with self._connections_lock:
            connections = [c for c in self._connections if c is not keep]
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def refuse_connections(self, seconds, keep=None):
        """Refuse every connection for a while.

        Closes the listening socket and the open connections (except
        ``keep``), and binds the same port again after ``seconds``.

        :param seconds: how long to refuse.
        :param keep: a connection to leave open (the one asking).
        """
        with self._lock:
            if not self._running:
                return
            if self._refuse_timer is not None:
                self._refuse_timer.cancel()
            self._close_listener()
            self._refuse_timer = threading.Timer(seconds, self._reopen)
            self._refuse_timer.daemon = True
            self._refuse_timer.start()
        self._close_connections(keep)

    def _reopen(self):
        deadline = time.monotonic() + 10
        while True:
            with self._lock:
                if not self._running or self._listener is not None:
                    return
                try:
                    self._open_listener()
                    self._refuse_timer = None
                    return
                except OSError:
                    if time.monotonic() > deadline:
                        LOG.error('cannot bind %s again; the emulator '
                                  'stops', self.url)
                        self._running = False
                        return
            time.sleep(0.1)

    # -- requests ----------------------------------------------------------

    def set_credentials(self, username, password):
        """Change the Basic auth credentials (as an EEM admin would).

        :param username: the new user; None disables authentication.
        :param password: the new password.
        """
        with self._lock:
            self._credentials = (
                None if username is None else
                ('%s:%s' % (username, password or '')).encode('utf-8'))

    def _authorized(self, authorization):
        if self._credentials is None:
            return True
        if not authorization:
            return False
        scheme, _, token = authorization.partition(' ')
        if scheme.lower() != 'basic':
            return False
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given, self._credentials)

    def handle(self, request, authorization):
        """Answer one request.

        :param request: a ``routing.Request``.
        :param authorization: the Authorization header, or None.
        :returns: a ``routing.Response``, or None to drop the connection.
        """
        path = request.path
        is_control = (path == control_api.BASE
                      or path.startswith(control_api.BASE + '/'))
        if not is_control:
            template = self._eem.template(path)
            self.faults.count(request.method, template)
            delay = self.faults.pick('latency', request.method, path,
                                     template)
            if delay:
                time.sleep(delay)
        if not self._authorized(authorization):
            return routing.json_response(
                {'code': '40100', 'message': 'authentication required'},
                401, {'WWW-Authenticate': 'Basic realm="EEM"'})
        if is_control:
            return self._control.dispatch(self, request)
        held = self.faults.hold(request.method, path, template)
        if held is not None and self.faults.wait_held(held):
            return None
        rule = self.faults.pick('error', request.method, path, template)
        if rule is not None:
            if rule.drop:
                return None
            return routing.json_response(
                {'code': rule.code, 'message': rule.message}, rule.status)
        response = self._eem.dispatch(self.state, request)
        if response.status == 200:
            rule = self.faults.pick('malformed', request.method, path,
                                    template)
            if rule is not None:
                response = self._garble(response, rule.body)
        return response

    @staticmethod
    def _garble(response, kind):
        if kind == 'not-json':
            return routing.Response(200, _NOT_JSON, content_type='text/html')
        if kind == 'wrong-shape':
            return routing.Response(200, b'["unexpected", "shape"]')
        if kind == 'empty':
            return routing.Response(200, b'')
        if kind == 'no-devices':
            return routing.Response(200, b'{"result": "ok"}')
        if kind == 'devices-not-list':
            return routing.Response(200, b'{"devices": {"id": "0x0"}}')
        if kind == 'device-without-id':
            return routing.Response(200, _without_first_id(response.body))
        return routing.Response(200, response.body[:len(response.body) // 2])
