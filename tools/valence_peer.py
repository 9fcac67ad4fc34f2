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

"""OpenStack Valence's ExpEther driver, as the benchmark's peer.

The benchmark compares the plugin with the system it replaces by running
Valence's own code: ``valence/podmanagers/expether_manager.py`` from the
last ``valence`` sdist on the package index, downloaded at bench time
(without dependencies, into a temporary directory: never into the
repository). Its own ``valence/common/constants.py`` and
``valence/common/http_adapter.py`` are loaded with it, so its requests go
through ``requests`` exactly as Valence sent them. Two of its imports are
replaced by in-memory stand-ins:

* ``valence.db.api`` (etcd): :class:`MemoryDB`, which counts the writes
  Valence would make to etcd;
* ``valence.common.exception`` (it pulls in keystoneclient and Valence's
  object base classes): the few exception classes the driver raises.

``Peer.sync`` applies :meth:`get_all_devices`'s answer to the database the
way Valence's ``PooledDevices.update_device_info`` does (add what is new,
update what changed group, delete what disappeared), so that its compose
finds the free devices in its database as it did in Valence.
"""

import glob
import importlib.util
import logging
import os
import subprocess
import sys
import tarfile
import types
import uuid

REQUIREMENT = 'valence==0.9.0.dev301'
#: The files of the sdist that are loaded, relative to its ``valence/``.
FILES = ('podmanagers/expether_manager.py', 'common/constants.py',
         'common/http_adapter.py')
FREE_GROUP = '4093'


class PeerUnavailable(Exception):
    """Valence's driver could not be downloaded or loaded."""


def download(workdir, sdist=None):
    """Fetch Valence's sdist and extract the files the peer needs.

    :param workdir: a temporary directory.
    :param sdist: a local sdist to use instead of downloading one.
    :returns: the directory holding ``valence/...``.
    :raises: PeerUnavailable when pip cannot download it.
    """
    target = os.path.join(workdir, 'valence-sdist')
    os.makedirs(target, exist_ok=True)
    if sdist is None:
        command = [sys.executable, '-m', 'pip', 'download', '--no-deps',
                   '--no-binary', ':all:', '--disable-pip-version-check',
                   '--timeout', '15', '--retries', '1', '--quiet', '-d',
                   target, REQUIREMENT]
        # NOTE(expether): preparing the sdist's metadata needs pbr; the
        # environment has it (Ironic depends on it), so no isolated build
        # environment is downloaded unless it is missing.
        for extra in (['--no-build-isolation'], []):
            try:
                done = subprocess.run(command[:4] + extra + command[4:],
                                      capture_output=True, text=True,
                                      timeout=120)
            except (OSError, subprocess.SubprocessError) as e:
                raise PeerUnavailable('pip download %s: %s'
                                      % (REQUIREMENT, e))
            found = glob.glob(os.path.join(target, 'valence-*.tar.gz'))
            if done.returncode == 0 and found:
                sdist = found[0]
                break
            if 'metadata' not in done.stderr.lower():
                break
        if sdist is None:
            lines = (done.stderr or done.stdout).strip().splitlines()
            raise PeerUnavailable('pip download %s failed: %s' % (
                REQUIREMENT, lines[-1] if lines else done.returncode))
    source = os.path.join(workdir, 'valence-source')
    try:
        with tarfile.open(sdist) as archive:
            for member in archive.getmembers():
                parts = member.name.split('/', 1)
                if len(parts) == 2 and parts[1].startswith('valence/') and (
                        parts[1][len('valence/'):] in FILES):
                    member.name = parts[1]
                    try:
                        archive.extract(member, source, filter='data')
                    except TypeError:
                        # Python without extraction filters (< 3.11.4).
                        archive.extract(member, source)
    except (OSError, tarfile.TarError) as e:
        raise PeerUnavailable('cannot read %s: %s' % (sdist, e))
    for name in FILES:
        if not os.path.exists(os.path.join(source, 'valence', name)):
            raise PeerUnavailable('%s has no valence/%s' % (sdist, name))
    return source


class ValenceError(Exception):
    """Stand-in of ``valence.common.exception.ValenceError``."""

    status = 500

    def __init__(self, detail=None, status=None, title=None, code=None,
                 request_id=None):
        self.detail = detail
        self.status = status or self.status
        self.title = title
        self.code = code
        super(ValenceError, self).__init__(detail)


def _exception_module():
    module = types.ModuleType('valence.common.exception')
    module.ValenceError = ValenceError
    for name, status in (('ExpEtherException', 500), ('BadRequest', 400),
                         ('NotFound', 404), ('AuthorizationFailure', 401),
                         ('ServiceUnavailable', 503)):
        setattr(module, name, type(name, (ValenceError,),
                                   {'status': status}))
    return module


class _Record(dict):
    def as_dict(self):
        return dict(self)


class MemoryDB(object):
    """Stand-in of Valence's ``db_api.Connection`` (etcd), in memory.

    Counts the writes Valence would send to etcd (``writes``).
    """

    def __init__(self):
        self.devices = {}
        self.nodes = {}
        self.writes = 0

    # Composed nodes

    def list_composed_nodes(self, filters=None):
        return [dict(node) for node in self.nodes.values()]

    def add_composed_node(self, node):
        node = dict(node, uuid=str(uuid.uuid4()))
        self.nodes[node['uuid']] = node
        self.writes += 1
        return node

    def delete_composed_node(self, node_uuid):
        del self.nodes[node_uuid]
        self.writes += 1

    # Devices

    def list_devices(self, filters=None):
        devices = [_Record(device) for device in self.devices.values()]
        for key, value in (filters or {}).items():
            devices = [device for device in devices if device[key] == value]
        return devices

    def get_device_by_uuid(self, device_uuid):
        return _Record(self.devices[device_uuid])

    def add_device(self, values):
        values = dict(values)
        values.setdefault('uuid', str(uuid.uuid4()))
        self.devices[values['uuid']] = values
        self.writes += 1
        return _Record(values)

    def update_device(self, device_uuid, values):
        self.devices[device_uuid].update(values)
        self.writes += 1
        return _Record(self.devices[device_uuid])

    def delete_device(self, device_uuid):
        del self.devices[device_uuid]
        self.writes += 1


def _load_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load(source, db):
    """Import Valence's ExpEther driver with the stand-ins.

    :param source: the directory :func:`download` returned.
    :param db: the :class:`MemoryDB` that stands for etcd.
    :returns: the ``expether_manager`` module.
    :raises: PeerUnavailable when it cannot be imported.
    """
    root = os.path.join(source, 'valence')
    packages = ('valence', 'valence.common', 'valence.db',
                'valence.podmanagers')
    for name in packages:
        package = types.ModuleType(name)
        package.__path__ = [os.path.join(root, *name.split('.')[1:])]
        sys.modules[name] = package
    if 'six' not in sys.modules:
        try:
            import six  # noqa: F401
        except ImportError:
            # http_adapter reads three status codes from six's http_client.
            import http.client
            six = types.ModuleType('six')
            six.moves = types.ModuleType('six.moves')
            six.moves.http_client = http.client
            sys.modules['six'] = six
            sys.modules['six.moves'] = six.moves
    sys.modules['valence.common.exception'] = _exception_module()
    db_api = types.ModuleType('valence.db.api')
    db_api.Connection = db
    sys.modules['valence.db.api'] = db_api
    try:
        _load_file('valence.common.constants',
                   os.path.join(root, 'common', 'constants.py'))
        _load_file('valence.common.http_adapter',
                   os.path.join(root, 'common', 'http_adapter.py'))
        module = _load_file('valence.podmanagers.expether_manager',
                            os.path.join(root, 'podmanagers',
                                         'expether_manager.py'))
    except Exception as e:
        raise PeerUnavailable('cannot import Valence\'s driver: %s' % e)
    # NOTE(expether): without python-hwdata Valence warns once per 40G
    # device, and it logs every refusal with a traceback.
    module.LOG.setLevel(logging.CRITICAL)
    return module


class Peer(object):
    """Valence's driver and its database, driven like Valence's API did."""

    def __init__(self, module, db, url, username='', password=''):
        self.module = module
        self.db = db
        self.manager = module.ExpEtherManager(username, password,
                                              url.rstrip('/'))

    def sync(self):
        """One device sync, as ``PooledDevices.update_device_info``."""
        known = {device['resource_uri']: device
                 for device in self.db.list_devices()}
        seen = {}
        for device in self.manager.get_all_devices():
            seen[device['resource_uri']] = device
        for uri, record in known.items():
            device = seen.pop(uri, None)
            if device is None:
                self.db.delete_device(record['uuid'])
            elif record['pooled_group_id'] != device['pooled_group_id']:
                self.db.update_device(record['uuid'], {
                    'pooled_group_id': device['pooled_group_id'],
                    'node_id': device['node_id'],
                    'state': device['state']})
        for device in seen.values():
            self.db.add_device(device)
        return {'devices': len(self.db.devices)}

    def set_foreign_nodes(self, eesv_ids):
        """Servers held by others (the plugin's Ironic nodes).

        Valence composes on the first server engine that is not the index
        of a composed node in its database; these records keep it off the
        servers the plugin holds.
        """
        for node_uuid, node in list(self.db.nodes.items()):
            if node.get('foreign'):
                del self.db.nodes[node_uuid]
        for eesv_id in eesv_ids:
            node_uuid = 'foreign-%s' % eesv_id
            self.db.nodes[node_uuid] = {'uuid': node_uuid, 'index': eesv_id,
                                        'foreign': True}

    def compose(self, name, pci_types):
        node = self.manager.compose_node(
            name, '', {'pci_device': {'type': list(pci_types)}})
        return self.db.add_composed_node(node)

    def release(self, node):
        """Delete a composed node: its devices back to the pool."""
        self.manager.delete_composed_node(node['index'])
        self.db.delete_composed_node(node['uuid'])

    def free_device(self, pci_type):
        devices = self.db.list_devices({'pooled_group_id': FREE_GROUP,
                                        'type': pci_type})
        return devices[0] if devices else None

    def attach(self, node, device):
        self.manager.node_action(node['index'],
                                 {'attach': {'resource_id': device['uuid']}})

    def detach(self, node, device):
        self.manager.node_action(node['index'],
                                 {'detach': {'resource_id': device['uuid']}})

    def devices_of(self, node):
        return self.db.list_devices({'node_id': node['index']})

    def power_reads(self, eesv_ids):
        """Valence reads a node's power state with one request per node.

        It can read it (``GET /v1/nodes/<uuid>``), never switch it.
        """
        for eesv_id in eesv_ids:
            self.manager.get_node_info(eesv_id)['power_state']
        return {'reads': len(eesv_ids)}
