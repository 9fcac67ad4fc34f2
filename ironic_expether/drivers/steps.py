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

"""Deploy and clean steps attaching devices for the time of a deployment.

* Deploy step ``compose_devices`` (vendor interface, priority 0: it runs
  only when a deploy template asks for it) with the argument
  ``pci_device``, e.g. ``{"type": ["GPU"]}``: attaches one free device per
  type, with purpose ``deployment``. Deploy templates, and Nova flavors
  through ``trait:CUSTOM_...=required``, request devices this way::

      baremetal deploy template create CUSTOM_ONE_GPU --steps \\
        '[{"interface": "vendor", "step": "compose_devices",
           "args": {"pci_device": {"type": ["GPU"]}}, "priority": 150}]'

* Automated clean step ``release_devices`` (priority
  ``[expether] release_devices_clean_step_priority``, out of band): returns
  exactly the devices attached at deploy time and by the
  ``attach_devices`` service step; the composition's devices stay. It is
  a service step too (see :mod:`ironic_expether.drivers.service`).
"""

import copy

from ironic.common import exception
from ironic.common.i18n import _
from ironic.drivers import base
from oslo_log import log
from oslo_utils import excutils

from ironic_expether import conf
from ironic_expether.pool import claims
from ironic_expether.pool.db import models
from ironic_expether.pool import describe
from ironic_expether.pool import vocabulary

LOG = log.getLogger(__name__)

RELEASE_STEP = 'release_devices'


def _check_pci_device(node, pci_device):
    try:
        return vocabulary.check_pci_device(pci_device,
                                           'compose_devices pci_device')
    except exception.IronicException as e:
        raise exception.InvalidParameterValue(
            _('Deploy step compose_devices of node %(node)s: %(err)s') %
            {'node': node.uuid, 'err': e})


class DeviceStepsMixin(object):
    """Deploy and clean steps of the vendor interface."""

    @base.deploy_step(priority=0, argsinfo={
        'pci_device': {
            'description': _('The devices to attach for this deployment, '
                             'one per type: {"type": ["GPU", "NIC"]}. '
                             'Types: SSD, NIC, GPU, Multi, USB, ACS, '
                             'SWITCH, Unknown.'),
            'required': True}})
    def compose_devices(self, task, pci_device=None):
        """Attach free devices to the node for the time of a deployment.

        On any failure the devices this step attached are returned to the
        pool before the error is raised.

        :param task: a TaskManager instance.
        :param pci_device: ``{"type": [...]}``.
        :raises: InvalidParameterValue for a bad argument.
        :raises: Conflict when no free device of a type is left.
        :raises: TemporaryFailure when EEM fails.
        """
        types = _check_pci_device(task.node, pci_device)
        attached = []
        try:
            for pci_type in types:
                attached.append(claims.attach_free(
                    task.node, pci_type, purpose=models.PURPOSE_DEPLOYMENT))
        except Exception:
            with excutils.save_and_reraise_exception():
                if attached:
                    try:
                        claims.release(task.node, [d.uuid for d in attached])
                    except exception.IronicException as e:
                        LOG.error('Node %(node)s: could not return the '
                                  'devices of a failed compose_devices '
                                  'step: %(err)s',
                                  {'node': task.node.uuid, 'err': e})
        LOG.info('Node %(node)s: attached %(devs)s for this deployment',
                 {'node': task.node.uuid,
                  'devs': ', '.join('%s (%s)' % (d.eeid, d.type)
                                    for d in attached) or 'nothing'})

    @base.clean_step(priority=0, requires_ramdisk=False)
    @base.service_step(priority=0, requires_ramdisk=False)
    def release_devices(self, task):
        """Return the devices attached at deploy time or by servicing.

        Devices of the composition (compose, manage, attach) stay.

        :param task: a TaskManager instance.
        :raises: Conflict, TemporaryFailure when a device cannot be
            released (the others are released).
        """
        try:
            released = claims.release(task.node,
                                      purpose=list(models.TEARDOWN_PURPOSES))
        finally:
            describe.update_node(task.node)
        if released:
            LOG.info('Node %(node)s: returned %(devs)s to the pool',
                     {'node': task.node.uuid,
                      'devs': ', '.join(d.eeid for d in released)})

    def get_clean_steps(self, task):
        """The clean steps, with the configured priority of release_devices.

        :param task: a TaskManager instance.
        :returns: a list of clean step dicts.
        """
        result = []
        for step in super().get_clean_steps(task):
            if step.get('step') == RELEASE_STEP:
                step = copy.copy(step)
                step['priority'] = (
                    conf.CONF.expether.release_devices_clean_step_priority)
            result.append(step)
        return result
