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

"""Sphinx directive ``expether-driver-properties``.

Renders the ``driver_info`` keys of the expether hardware type from the
code (``ironic_expether.eem_access.utils.COMMON_PROPERTIES``, what the
interfaces' ``get_properties()`` and ``baremetal driver property list``
return), so the documentation cannot drift from the driver.

The build fails when the driver module exists but cannot be imported or
lacks the properties. Only while the module does not exist at all (early
in the project) does it render a note instead.
"""

import importlib
import importlib.util

from docutils import nodes
from docutils import statemachine
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

LOG = logging.getLogger(__name__)

MODULE = 'ironic_expether.eem_access.utils'


def _load_properties():
    """Return ({key: help}, set of required keys), or None if no driver."""
    try:
        spec = importlib.util.find_spec(MODULE)
    except ImportError:
        spec = None
    if spec is None:
        return None
    try:
        module = importlib.import_module(MODULE)
    except Exception as e:
        raise ExtensionError('Cannot import %s to document the driver_info '
                             'keys: %s' % (MODULE, e)) from e
    properties = getattr(module, 'COMMON_PROPERTIES', None)
    if not properties:
        raise ExtensionError('%s has no COMMON_PROPERTIES' % MODULE)
    required = set(getattr(module, 'REQUIRED_PROPERTIES', None)
                   or [k for k, v in properties.items()
                       if 'Required.' in str(v)])
    return {k: str(v) for k, v in properties.items()}, required


class DriverPropertiesDirective(SphinxDirective):
    """Render the driver_info keys as a table."""

    has_content = False

    def run(self):
        loaded = _load_properties()
        if loaded is None:
            LOG.info('%s does not exist yet: driver_info keys not rendered',
                     MODULE)
            lines = ['.. note::',
                     '',
                     '   The driver is not installed in this build; the keys '
                     'are listed by',
                     '   ``baremetal driver property list expether``.']
        else:
            properties, required = loaded
            lines = ['.. list-table::',
                     '   :header-rows: 1',
                     '   :widths: 20 12 68',
                     '',
                     '   * - Key',
                     '     - Required',
                     '     - Description']
            for key in sorted(properties, key=lambda k: (k not in required,
                                                          k)):
                lines += ['   * - ``%s``' % key,
                          '     - %s' % ('yes' if key in required else 'no'),
                          '     - %s' % ' '.join(properties[key].split())]
        container = statemachine.StringList(
            lines, source='<expether-driver-properties>')
        section = nodes.container()
        self.state.nested_parse(container, self.content_offset, section)
        return section.children


def setup(app):
    app.add_directive('expether-driver-properties', DriverPropertiesDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True,
            'version': '1.0'}
