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

"""Helpers of the devstack stub (functions.sh), standard library only.

``ini.py set FILE SECTION OPTION VALUE`` and ``ini.py get FILE SECTION
OPTION`` behave like devstack's iniset and iniget (get prints nothing for a
missing file, section or option). ``ini.py wait URL TIMEOUT`` waits until
something answers HTTP at URL, like devstack's wait_for_service.
"""

import configparser
import os
import sys
import time
import urllib.error
import urllib.request


def _load(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    if os.path.exists(path):
        parser.read(path)
    return parser


def ini_set(path, section, option, value):
    parser = _load(path)
    if section != 'DEFAULT' and not parser.has_section(section):
        parser.add_section(section)
    parser.set(section, option, value)
    with open(path, 'w') as f:
        parser.write(f)
    return 0


def ini_get(path, section, option):
    parser = _load(path)
    value = parser.get(section, option, fallback='')
    if value:
        print(value)
    return 0


def wait(url, timeout):
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return 0
        except urllib.error.HTTPError:
            return 0
        except OSError:
            time.sleep(0.2)
    return 1


def main(argv):
    command, args = argv[1], argv[2:]
    return {'set': ini_set, 'get': ini_get, 'wait': wait}[command](*args)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
