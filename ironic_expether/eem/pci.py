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

"""PCI class codes and the system's ``pci.ids`` database.

The device type follows OpenStack Valence's vocabulary and is taken from
the *base class* of the 24-bit class code, ``code >> 16``. (Valence divided
with ``/`` and, on Python 3, typed every device whose sub-class or
programming interface is not zero as ``Unknown``: NVMe SSDs ``0x010802``,
3D-controller GPUs ``0x030200``, USB controllers ``0x0c0330``.)

Vendor and device names come from the ``pci.ids`` file of the system (the
Debian/Ubuntu ``pci.ids`` and ``hwdata`` packages), or from the file named
by the ``EXPETHER_PCI_IDS`` environment variable. It is read once, on the
first name lookup, under a lock; without such a file every name is None.
"""

import logging
import os
import threading

from ironic_expether.eem import constants

LOG = logging.getLogger(__name__)

#: Environment variable naming a pci.ids file; it wins over the defaults.
PCI_IDS_ENV = 'EXPETHER_PCI_IDS'

#: Where distributions install pci.ids, in the order they are tried.
PCI_IDS_PATHS = ('/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids',
                 '/usr/share/pci.ids')

#: PCI base class (``class_code >> 16``) to device type.
BASE_CLASS_TYPES = {
    0x01: constants.PCI_TYPE_SSD,      # mass storage controller
    0x02: constants.PCI_TYPE_NIC,      # network controller
    0x03: constants.PCI_TYPE_GPU,      # display controller
    0x04: constants.PCI_TYPE_MULTI,    # multimedia controller
    0x06: constants.PCI_TYPE_SWITCH,   # bridge
    0x0c: constants.PCI_TYPE_USB,      # serial bus controller
    0x12: constants.PCI_TYPE_ACS,      # processing accelerator
}


def parse_hex(value):
    """Parse a hexadecimal id as EEM sends it.

    Accepts ``'0x10de'``, ``'10de'``, ``'0X10DE'`` and JSON numbers (taken
    as the number itself).

    :param value: a string, an int or None.
    :returns: a non-negative int, or None when the value is missing or not
        hexadecimal.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text.startswith('0x'):
        text = text[2:]
    if not text or len(text) > 16:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def pci_type(class_code):
    """Map a PCI class code to a device type.

    :param class_code: the 24-bit class code as an int, or None.
    :returns: one of :data:`ironic_expether.eem.constants.PCI_TYPES`, or
        None when ``class_code`` is None.
    """
    if class_code is None:
        return None
    return BASE_CLASS_TYPES.get(class_code >> 16,
                                constants.PCI_TYPE_UNKNOWN)


class PciIds(object):
    """Vendor and device names of a ``pci.ids`` file.

    Only the vendor section is kept (vendors and their devices);
    subsystems and the class section are skipped.
    """

    def __init__(self, vendors=None):
        # {vendor_id: (vendor_name, {device_id: device_name})}
        self._vendors = vendors or {}

    @classmethod
    def from_file(cls, path):
        """Parse a ``pci.ids`` file.

        :param path: path of the file.
        :returns: a PciIds.
        :raises: OSError when the file cannot be read.
        """
        vendors = {}
        devices = None
        with open(path, encoding='utf-8', errors='replace') as stream:
            for line in stream:
                if not line.strip() or line.startswith('#'):
                    continue
                if line.startswith('C '):
                    # NOTE(expether): the class section comes after every
                    # vendor; its lines look like vendor lines otherwise.
                    break
                if line.startswith('\t\t'):
                    continue  # subsystem
                if line.startswith('\t'):
                    if devices is None:
                        continue
                    ident, _sep, name = line.strip().partition(' ')
                    device_id = parse_hex(ident)
                    if device_id is not None:
                        devices[device_id] = name.strip()
                    continue
                ident, _sep, name = line.rstrip('\n').partition(' ')
                vendor_id = parse_hex(ident)
                if vendor_id is None:
                    devices = None
                    continue
                devices = {}
                vendors[vendor_id] = (name.strip(), devices)
        return cls(vendors)

    def __len__(self):
        return len(self._vendors)

    def vendor_name(self, vendor_id):
        """Name of a vendor.

        :param vendor_id: int or None.
        :returns: the name, or None when unknown.
        """
        entry = self._vendors.get(vendor_id)
        return entry[0] if entry else None

    def device_name(self, vendor_id, device_id):
        """Name of a device of a vendor.

        :param vendor_id: int or None.
        :param device_id: int or None.
        :returns: the name, or None when unknown.
        """
        entry = self._vendors.get(vendor_id)
        return entry[1].get(device_id) if entry else None


_lock = threading.Lock()
_database = None


def _find_file():
    override = os.environ.get(PCI_IDS_ENV)
    if override:
        return override
    for path in PCI_IDS_PATHS:
        if os.path.isfile(path):
            return path
    return None


def get_database():
    """Return the system's pci.ids database, loading it on first use.

    Thread-safe; the file is read at most once per process (until
    :func:`reset_database`). A missing or unreadable file gives an empty
    database.

    :returns: a :class:`PciIds`.
    """
    global _database
    database = _database
    if database is not None:
        return database
    with _lock:
        if _database is None:
            path = _find_file()
            loaded = PciIds()
            if path:
                try:
                    loaded = PciIds.from_file(path)
                except OSError as exc:
                    LOG.warning('Cannot read PCI ids file %(path)s: '
                                '%(error)s', {'path': path, 'error': exc})
                else:
                    LOG.debug('Loaded %(count)d PCI vendors from %(path)s',
                              {'count': len(loaded), 'path': path})
            _database = loaded
        return _database


def reset_database():
    """Forget the loaded database; the next lookup reads the file again.

    Meant for tests and for a process that installed pci.ids meanwhile.
    """
    global _database
    with _lock:
        _database = None


def vendor_name(vendor_id):
    """Name of a PCI vendor from the system's pci.ids, or None."""
    if vendor_id is None:
        return None
    return get_database().vendor_name(vendor_id)


def device_name(vendor_id, device_id):
    """Name of a PCI device from the system's pci.ids, or None."""
    if vendor_id is None or device_id is None:
        return None
    return get_database().device_name(vendor_id, device_id)
