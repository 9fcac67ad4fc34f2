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

"""Constants of the ExpEther Manager (EEM) REST API."""

import re

#: Group id of an IO engine (EEIO) that belongs to no server: the free pool.
EEIO_FREE_GROUP = '4093'

#: Default group id of a server engine (EESV) that was never given one.
EESV_DEFAULT_GROUP = '4094'

#: Lowest group id a user (or this client) may set.
MIN_GROUP_ID = 16

#: Highest group id a user (or this client) may set.
MAX_GROUP_ID = 4092

#: Values of the ``status`` field of an engine: server or IO engine.
KIND_EESV = 'eesv'
KIND_EEIO = 'eeio'
KINDS = (KIND_EESV, KIND_EEIO)

#: Device types in the vocabulary of OpenStack Valence, derived from the
#: base class of the PCI class code (see
#: :func:`ironic_expether.eem.pci.pci_type`).
PCI_TYPE_SSD = 'SSD'
PCI_TYPE_NIC = 'NIC'
PCI_TYPE_GPU = 'GPU'
PCI_TYPE_MULTI = 'Multi'
PCI_TYPE_USB = 'USB'
PCI_TYPE_ACS = 'ACS'
PCI_TYPE_SWITCH = 'SWITCH'
PCI_TYPE_UNKNOWN = 'Unknown'
PCI_TYPES = (PCI_TYPE_SSD, PCI_TYPE_NIC, PCI_TYPE_GPU, PCI_TYPE_MULTI,
             PCI_TYPE_USB, PCI_TYPE_ACS, PCI_TYPE_SWITCH, PCI_TYPE_UNKNOWN)

#: An EE id: ``0x`` and the hex digits of the engine's MAC address. Real
#: engines have 12 digits; the fakes of Valence's tests use 10, so 10 to 12
#: are accepted.
EEID_PATTERN = re.compile(r'^0x[0-9a-fA-F]{10,12}\Z')


def is_valid_eeid(value):
    """Tell whether a value is a well-formed EE id.

    :param value: anything.
    :returns: True when ``value`` is a string matching :data:`EEID_PATTERN`.
    """
    return isinstance(value, str) and EEID_PATTERN.match(value) is not None
