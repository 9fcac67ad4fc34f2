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

"""Tests of ironic-expether.

NOTE(expether): Ironic's test package selects oslo.service's threading
backend when it is imported; importing anything from ``ironic.conductor``
first would select eventlet instead and break every later test. Importing
it here, before any test module, keeps the order right.
"""

import logging.config

import ironic.tests.unit  # noqa: F401

# NOTE(expether): Ironic's DbTestCase runs Ironic's alembic migrations once
# per process, and their env.py calls logging.config.fileConfig(), which
# disables every logger that exists at that moment (ours included): a later
# test capturing our log lines would see nothing. Keep existing loggers on.
_file_config = logging.config.fileConfig


def _file_config_keeping_loggers(*args, **kwargs):
    kwargs.setdefault('disable_existing_loggers', False)
    return _file_config(*args, **kwargs)


logging.config.fileConfig = _file_config_keeping_loggers
