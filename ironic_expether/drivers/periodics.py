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

"""The conductor's periodic discovery task.

:class:`DiscoveryMixin` is a base class of the ``expether`` power
interface, so every conductor that enables that interface runs the task
(Ironic collects periodic tasks from enabled interface classes, each
class once). The task runs every ``[expether] discovery_interval``
seconds (0 disables it) and calls :func:`ironic_expether.pool.discovery.
sync` with ``use_lease=True``: the same code as the ``sync`` passthru, and
each pod manager synced by one conductor per cycle.
"""

from ironic.conductor import periodics
from oslo_log import log

from ironic_expether import conf

LOG = log.getLogger(__name__)


def _interval():
    return conf.CONF.expether.discovery_interval


class DiscoveryMixin(object):
    """Adds the periodic discovery task to an interface class."""

    @periodics.periodic(spacing=_interval, enabled=lambda: _interval() > 0)
    def _expether_discovery(self, manager, context):
        """Sync every pod manager this conductor holds the lease of.

        :param manager: the conductor manager.
        :param context: an admin request context.
        """
        # Imported here: the pool imports the conductor's modules, and the
        # driver modules are loaded before them.
        from ironic_expether.pool import discovery

        expether = conf.CONF.expether
        if expether.sync_lease_timeout <= expether.discovery_interval:
            LOG.warning('[expether]sync_lease_timeout (%(lease)s s) should '
                        'exceed [expether]discovery_interval (%(interval)s '
                        's); otherwise two conductors may sync the same '
                        'EEM in one interval',
                        {'lease': expether.sync_lease_timeout,
                         'interval': expether.discovery_interval})
        try:
            results = discovery.sync(context, use_lease=True)
        except Exception:
            # NOTE(expether): never let an error end the periodic task.
            LOG.exception('Periodic ExpEther discovery failed')
            return
        failed = [r['podm_id'] for r in results if r['status'] == 'FAILED']
        if failed:
            LOG.warning('Periodic ExpEther discovery failed for pod '
                        'manager(s) %s', ', '.join(failed))
