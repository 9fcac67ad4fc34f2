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

"""Fixtures that run the EEM emulator for functional tests."""

import datetime
import ipaddress
import os
import subprocess
import sys
import time

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography import x509
from cryptography.x509.oid import NameOID
import fixtures

from ironic_expether import emulator


class EmulatorFixture(fixtures.Fixture):
    """An in-process emulator on 127.0.0.1 and a free port.

    :param servers: EESVs to generate.
    :param devices: EEIOs to generate.
    :param seed: seed of the generated pod.
    :param kwargs: passed to ``EmulatorServer`` (credentials, TLS files).
    """

    def __init__(self, servers=2, devices=8, seed=0, **kwargs):
        super().__init__()
        self.inventory = emulator.generate_inventory(servers, devices,
                                                     seed=seed)
        self.kwargs = kwargs

    def _setUp(self):
        self.server = emulator.EmulatorServer(
            emulator.EEMState(self.inventory), **self.kwargs)
        self.server.start()
        self.addCleanup(self.server.stop)
        self.url = self.server.url
        self.state = self.server.state
        self.faults = self.server.faults
        self.eesv_ids = [d['id'] for d in self.inventory
                         if d['status'] == 'eesv']
        self.eeio_ids = [d['id'] for d in self.inventory
                         if d['status'] == 'eeio']


def write_self_signed_cert(directory, host='127.0.0.1'):
    """Write a self-signed certificate for ``host`` and its key.

    :param directory: where to write ``cert.pem`` and ``key.pem``.
    :param host: the IP address the certificate names.
    :returns: ``(cert path, key path)``; the certificate is its own CA.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                         'EEM emulator test CA')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, 'cert.pem')
    key_path = os.path.join(directory, 'key.pem')
    with open(cert_path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


class EmulatorProcess(fixtures.Fixture):
    """``python -m ironic_expether.emulator`` as a child process.

    :param args: extra command line arguments (``--port 0`` is added).
    :param start_timeout: seconds to wait for the "listening" line.
    """

    def __init__(self, args=(), start_timeout=30):
        super().__init__()
        self.args = list(args)
        self.start_timeout = start_timeout

    def _setUp(self):
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'ironic_expether.emulator', '--port', '0']
            + self.args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True)
        self.addCleanup(self._kill)
        deadline = time.monotonic() + self.start_timeout
        line = self.process.stdout.readline()
        if not line.startswith('EEM emulator listening on ') or \
                time.monotonic() > deadline:
            raise RuntimeError('the emulator did not start: %r' % line)
        self.url = line.split()[-1]

    def _kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
