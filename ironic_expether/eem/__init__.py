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

"""Client library of the NEC ExpEther Manager (EEM) REST API.

No Ironic or oslo imports: the emulator, scripts and other projects can use
it on its own.
"""

import logging

from ironic_expether.eem.client import EEMClient
from ironic_expether.eem.constants import EEID_PATTERN
from ironic_expether.eem.constants import EEIO_FREE_GROUP
from ironic_expether.eem.constants import EESV_DEFAULT_GROUP
from ironic_expether.eem.constants import is_valid_eeid
from ironic_expether.eem.constants import MAX_GROUP_ID
from ironic_expether.eem.constants import MIN_GROUP_ID
from ironic_expether.eem.constants import PCI_TYPES
from ironic_expether.eem.device import Device
from ironic_expether.eem.exceptions import EEMAuthError
from ironic_expether.eem.exceptions import EEMBadRequest
from ironic_expether.eem.exceptions import EEMConflict
from ironic_expether.eem.exceptions import EEMConnectionError
from ironic_expether.eem.exceptions import EEMError
from ironic_expether.eem.exceptions import EEMHTTPError
from ironic_expether.eem.exceptions import EEMMalformedResponse
from ironic_expether.eem.exceptions import EEMNotFound
from ironic_expether.eem.exceptions import EEMServerError
from ironic_expether.eem.exceptions import EEMTimeout
from ironic_expether.eem.exceptions import EEMTLSError
from ironic_expether.eem.exceptions import raise_for_response

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = (
    'Device', 'EEID_PATTERN', 'EEIO_FREE_GROUP', 'EEMAuthError',
    'EEMBadRequest', 'EEMClient', 'EEMConflict', 'EEMConnectionError',
    'EEMError', 'EEMHTTPError', 'EEMMalformedResponse', 'EEMNotFound',
    'EEMServerError', 'EEMTLSError', 'EEMTimeout', 'EESV_DEFAULT_GROUP',
    'MAX_GROUP_ID', 'MIN_GROUP_ID', 'PCI_TYPES', 'is_valid_eeid',
    'raise_for_response',
)
