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

from ironic.common.i18n import _
from oslo_config import cfg

GROUP = cfg.OptGroup(
    'expether',
    title='NEC ExpEther options',
    help=_('Options of the expether hardware type, its device pool and its '
           'periodic discovery.'))

opts = [
    # EEM client.
    cfg.StrOpt('verify_ca',
               default='True',
               help=_('Whether to verify the TLS certificate of the ExpEther '
                      'Manager (EEM): "True", "False", or the path of a CA '
                      'bundle. A node\'s driver_info["eem_verify_ca"] wins '
                      'over this value.')),
    cfg.FloatOpt('request_timeout',
                 default=30.0,
                 min=0.1,
                 help=_('Seconds to wait for EEM to connect and to answer one '
                        'HTTP request.')),
    cfg.IntOpt('request_retries',
               default=2,
               min=0,
               help=_('How many times a read (GET) is retried after a '
                      'connection error or a 5xx answer of EEM. Writes are '
                      'never retried.')),
    cfg.FloatOpt('retry_interval',
                 default=1.0,
                 min=0.0,
                 help=_('Seconds before the first retry of a read; the wait '
                        'doubles after each retry.')),
    # Device pool.
    cfg.StrOpt('database_connection',
               secret=True,
               help=_('SQLAlchemy URL of the database holding the device '
                      'pool (pod managers, devices, flavors). When unset, '
                      'the pool lives in Ironic\'s own database '
                      '([database]connection).')),
    cfg.IntOpt('claim_timeout',
               default=300,
               min=1,
               help=_('Seconds after which a device claim whose EEM move '
                      'never completed is repaired from EEM\'s view by '
                      'discovery.')),
    # Discovery.
    cfg.IntOpt('discovery_interval',
               default=60,
               min=0,
               help=_('Seconds between two periodic discovery cycles in the '
                      'conductor. 0 disables periodic discovery (the sync '
                      'passthru still works).')),
    cfg.BoolOpt('auto_enroll',
                default=False,
                help=_('Enroll every server engine (EESV) found by discovery '
                       'as an Ironic node in the enroll state, once.')),
    cfg.IntOpt('power_state_cache_ttl',
               default=10,
               min=0,
               help=_('Seconds a snapshot of EEM\'s device list answers power '
                      'state queries of nodes without a BMC, so that N nodes '
                      'cost one EEM request per power sync instead of N. 0 '
                      'disables the snapshot.')),
    cfg.IntOpt('sync_lease_timeout',
               default=120,
               min=1,
               help=_('Seconds a conductor holds the discovery lease of a pod '
                      'manager. A conductor that dies mid-cycle blocks others '
                      'for at most this long.')),
    # Deployment-time devices.
    cfg.IntOpt('release_devices_clean_step_priority',
               default=95,
               min=0,
               help=_('Priority of the automated clean step that returns the '
                      'devices attached at deploy time (by the '
                      'compose_devices deploy step) to the pool. 0 disables '
                      'it in automated cleaning.')),
    # Tenancy limits of the service steps.
    cfg.IntOpt('max_devices_per_node',
               default=0,
               min=0,
               help=_('Most devices (of any type and purpose) one node may '
                      'hold after the attach_devices service step. 0: no '
                      'limit of the plugin (EEM\'s max_eeio_count of the '
                      'server still applies). A node\'s '
                      'driver_info["expether_max_devices"] can only lower '
                      'it.')),
    cfg.DictOpt('max_devices_per_owner',
                default={},
                help=_('Most devices of a type that the nodes of one owner '
                       '(the node\'s "owner" project) may hold together '
                       'after the attach_devices service step, for example '
                       '"GPU:2,SSD:8". Types not listed are not limited; '
                       'nodes without an owner are not limited. A node\'s '
                       'driver_info["expether_max_devices_per_owner"] (same '
                       'format, or a JSON object) can only lower it.')),
    # Inspection.
    cfg.StrOpt('inspection_hooks',
               default='pci-devices',
               help=_('Comma-separated list of Ironic inspection hooks the '
                      'expether inspect interface runs on the inventory it '
                      'reads from EEM, for nodes without a Redfish BMC '
                      '(nodes with one run [redfish]inspection_hooks). '
                      'pci-devices counts the devices named in '
                      '[inspector]pci_device_alias into the node\'s '
                      'capabilities.')),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)
