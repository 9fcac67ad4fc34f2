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


"""``baremetal expether ...``: commands of the OpenStack client plugin.

The commands are registered in the ``openstack.baremetal.v1`` entry point
group of ``setup.cfg``, where python-ironicclient's ``baremetal`` command
and python-openstackclient's ``openstack baremetal`` find them (the former
strips the ``baremetal`` prefix). They stand apart from the plugin's layers:
they talk HTTP to Ironic's API through :mod:`.client` and import nothing of
the pool or the drivers.
"""
