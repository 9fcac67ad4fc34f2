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

"""``ironic-expether-valence-api``: serve the Valence-compatible API.

Usage::

    ironic-expether-valence-api --config-file valence-api.conf \\
        [--host 127.0.0.1] [--port 8181] [--ironic-url http://HOST:6385]

It prints ``Valence API listening on http://HOST:PORT`` once the socket
is bound (``--port 0`` picks a free port) and stops cleanly on SIGTERM or
SIGINT.
"""

import signal
import sys
import threading

from cheroot import wsgi
from oslo_config import cfg
from oslo_log import log

from ironic_expether.valence import auth
from ironic_expether.valence import facade
from ironic_expether.valence import ironic_client
from ironic_expether.valence import opts

LOG = log.getLogger(__name__)

PROG = 'ironic-expether-valence-api'

cli_opts = [
    cfg.HostAddressOpt('host',
                       help='Listen on this address instead of '
                            '[valence_api]host.'),
    cfg.PortOpt('port',
                help='Listen on this TCP port instead of [valence_api]port '
                     '(0 picks a free port).'),
    cfg.URIOpt('ironic-url',
               help='Ironic API URL; overrides [ironic]endpoint_override. '
                    'Without [ironic]auth_type, requests go without '
                    'authentication.'),
]


def load_config(argv):
    """Parse the command line and the configuration files.

    :param argv: the arguments, without the program name.
    :returns: a ConfigOpts with the facade's options, CLI overrides
        applied.
    """
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf.register_cli_opts(cli_opts)
    log.register_options(conf)
    conf(argv, project='ironic-expether', prog=PROG)
    if conf.host:
        conf.set_override('host', conf.host, group='valence_api')
    if conf.port is not None:
        conf.set_override('port', conf.port, group='valence_api')
    if conf.ironic_url:
        conf.set_override('endpoint_override', conf.ironic_url,
                          group='ironic')
    return conf


def build_server(conf):
    """Build the WSGI server of the facade (not yet listening).

    :param conf: the ConfigOpts from :func:`load_config`.
    :returns: a cheroot.wsgi.Server.
    :raises: ValueError when the configuration cannot be served: no way to
        find Ironic, or no authentication on a non-loopback address (see
        :mod:`ironic_expether.valence.auth`).
    """
    client = ironic_client.IronicClient.from_conf(conf)
    app = auth.wrap(facade.ValenceAPI(
        client, max_body_size=conf.valence_api.max_request_body_size), conf)
    return wsgi.Server((conf.valence_api.host, conf.valence_api.port), app,
                       numthreads=conf.valence_api.workers,
                       server_name='ironic-expether-valence-api')


def serve(server, stop_event):
    """Serve until ``stop_event`` is set, then stop the server.

    :param server: a cheroot.wsgi.Server.
    :param stop_event: a threading.Event.
    :returns: the (host, port) the server listened on.
    """
    server.prepare()
    host, port = server.bind_addr[:2]
    print('Valence API listening on http://%s:%s' % (host, port),
          flush=True)
    LOG.info('Valence API listening on http://%(host)s:%(port)s',
             {'host': host, 'port': port})
    thread = threading.Thread(target=server.serve, name='valence-api',
                              daemon=True)
    thread.start()
    try:
        while not stop_event.wait(1):
            if not thread.is_alive():
                break
    finally:
        server.stop()
        thread.join(10)
        LOG.info('Valence API stopped')
    return host, port


def main(argv=None):
    """The console script's entry point.

    :param argv: the arguments, without the program name; sys.argv[1:] when
        None.
    :returns: the exit status.
    """
    conf = load_config(sys.argv[1:] if argv is None else argv)
    log.setup(conf, PROG)
    try:
        server = build_server(conf)
    except ValueError as exc:
        print('%s: %s' % (PROG, exc), file=sys.stderr, flush=True)
        return 2
    stop_event = threading.Event()

    def _stop(signum, frame):
        stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    serve(server, stop_event)
    return 0


if __name__ == '__main__':
    sys.exit(main())
