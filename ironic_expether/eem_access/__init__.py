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

"""Ironic-side access to EEM: the floor between the EEM client and the pool.

* :mod:`.utils`: a node's ``driver_info`` parsed without I/O, the
  thread-safe cache of EEM clients, and the one table turning EEM errors
  into :mod:`ironic.common.exception` classes (:func:`.utils.eem_errors`);
* :mod:`.fabric`: the group moves (attach a device to a server's group,
  detach it, list a server's devices);
* :mod:`.snapshot`: the device list of each EEM shared by the power and
  management interfaces of all its nodes.

Rule: the modules here import the EEM client (:mod:`ironic_expether.eem`),
the options and Ironic; nothing of the pool, the Valence API or the
driver interfaces (checked by ``tools/check_layers.py``).
"""
