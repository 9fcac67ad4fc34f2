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


"""``ironic-expether-standalone``: the whole stack in the foreground.

Starts the EEM emulator with a demo pod, sushy-tools' fake Redfish BMC and
Ironic's single-process ``ironic`` with the ``expether`` hardware type,
enrolls the demo servers, prints how to reach them, and stops everything on
Ctrl-C or SIGTERM.
"""

import argparse
import os
import signal
import sys
import time

from ironic_expether.standalone import ironic_api
from ironic_expether.standalone import pod
from ironic_expether.standalone import stack as stack_mod
from ironic_expether.standalone import supervisor


class _Terminated(Exception):
    """SIGTERM arrived."""


def _verify_ca(value):
    lowered = value.lower()
    if lowered in ('true', 'yes', '1'):
        return True
    if lowered in ('false', 'no', '0'):
        return False
    return value


def build_parser():
    """The argument parser of ``ironic-expether-standalone``."""
    parser = argparse.ArgumentParser(
        prog='ironic-expether-standalone',
        description='Run Ironic with the expether hardware type, an EEM '
                    'emulator with a demo pod and fake Redfish BMCs on '
                    '127.0.0.1, in the foreground. Ctrl-C stops it all.')
    parser.add_argument('--workdir', default='.stack',
                        help='work directory: configuration, SQLite '
                             'database, logs (default: %(default)s; '
                             'created when missing, reused when present)')
    parser.add_argument('--port', type=int, default=6385,
                        help='port of the Ironic API on 127.0.0.1 '
                             '(default: %(default)s)')
    eem = parser.add_argument_group(
        'external EEM', 'Use a real ExpEther Manager instead of the '
        'emulator. Its servers are enrolled only with --enroll, and get no '
        'BMC address.')
    eem.add_argument('--eem-address',
                     help='base URL of the EEM API, ending in /eem')
    eem.add_argument('--eem-username', help='EEM user (Basic auth)')
    eem.add_argument('--eem-password',
                     default=os.environ.get('EXPETHER_EEM_PASSWORD'),
                     help='EEM password (default: the EXPETHER_EEM_PASSWORD '
                          'environment variable, which keeps it out of '
                          'the process list)')
    eem.add_argument('--eem-verify-ca', type=_verify_ca, default=True,
                     help='TLS verification of the EEM: true, false or '
                          'the path of a CA bundle (default: true)')
    eem.add_argument('--enroll', action='store_true',
                     help='enroll the servers of the external EEM')
    demo = parser.add_argument_group('demo pod (EEM emulator)')
    demo.add_argument('--servers', type=int, default=pod.DEFAULT_SERVERS,
                      help='40G servers in the demo pod (default: '
                           '%(default)s)')
    demo.add_argument('--devices', type=int, default=pod.DEFAULT_DEVICES,
                      help='devices (GPUs, NVMe SSDs, NICs, ...) in the '
                           'pool (default: %(default)s)')
    demo.add_argument('--seed', type=int, default=pod.DEFAULT_SEED,
                      help='seed of the demo pod (default: %(default)s)')
    parser.add_argument('--no-bmc', dest='bmc', action='store_false',
                        help='no fake Redfish BMC: power is read from EEM '
                             'and cannot be switched')
    parser.add_argument('--valence-port', type=int, default=8181,
                        help='port of the Valence-compatible API '
                             '(default: %(default)s)')
    parser.add_argument('--sync-power-state-interval', type=int, default=10,
                        help='seconds between two power state syncs of the '
                             'conductor (default: %(default)s)')
    parser.add_argument('--debug', action='store_true',
                        help='debug logging in Ironic')
    return parser


def options_from_args(args):
    """Turn parsed arguments into :class:`stack.StackOptions`."""
    return stack_mod.StackOptions(
        workdir=args.workdir, port=args.port,
        eem_address=args.eem_address, eem_username=args.eem_username,
        eem_password=args.eem_password, eem_verify_ca=args.eem_verify_ca,
        enroll=args.enroll, bmc=args.bmc, servers=args.servers,
        devices=args.devices, seed=args.seed,
        valence_port=args.valence_port,
        sync_power_state_interval=args.sync_power_state_interval,
        debug=args.debug)


def _print(text=''):
    print(text, flush=True)


def _progress(step, total, text):
    _print('[%d/%d] %s' % (step, total, text))


def _raise_terminated(signum, frame):
    # NOTE(expether): the first Ctrl-C or SIGTERM stops the stack; later
    # ones (an impatient second Ctrl-C, a signal sent to the whole process
    # group) must not interrupt the stopping.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise _Terminated()


def main(argv=None):
    """Run the stack until Ctrl-C or SIGTERM.

    :param argv: the arguments (None: ``sys.argv[1:]``).
    :returns: the exit status.
    """
    args = build_parser().parse_args(argv)
    if args.enroll and not args.eem_address:
        build_parser().error('--enroll needs --eem-address')
    if args.servers < 1 or args.devices < 0:
        build_parser().error('--servers must be at least 1 and --devices '
                             'at least 0')
    stack = stack_mod.Stack(options_from_args(args), progress=_progress,
                            echo=lambda text: _print('      ' + text))
    previous_term = signal.signal(signal.SIGTERM, _raise_terminated)
    previous_int = signal.signal(signal.SIGINT, _raise_terminated)
    status = 0
    try:
        stack.start()
        _print()
        for line in stack.usage():
            _print(line)
        _print()
        _print('Running. Press Ctrl-C to stop.')
        while True:
            stack.check()
            time.sleep(1)
    except (KeyboardInterrupt, _Terminated):
        _print()
        _print('Stopping...')
    except (stack_mod.StackError, supervisor.SupervisorError,
            ironic_api.IronicAPIError) as exc:
        _print('error: %s' % exc)
        status = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        left = stack.stop()
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)
    if left:
        _print('error: processes of %s are still running' % ', '.join(left))
        return 1
    _print('Stopped; no process left behind.' if stack.supervisor
           else 'Stopped.')
    return status


if __name__ == '__main__':
    sys.exit(main())
