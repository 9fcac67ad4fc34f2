#!/usr/bin/env python3
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


"""Print the EE id of every server engine (EESV) of an EEM, one a line.

Used by the devstack plugin to enroll nodes. Standard library only, so
that it runs before anything else is installed. Reads its input from the
environment, so that the password never appears on a command line:
EXPETHER_EEM (base URL ending in /eem), EXPETHER_EEM_USERNAME,
EXPETHER_EEM_PASSWORD and EXPETHER_EEM_VERIFY_CA ("True", "False" or the
path of a CA bundle).
"""

import base64
import json
import os
import ssl
import sys
import urllib.request


def main():
    address = os.environ['EXPETHER_EEM'].rstrip('/')
    request = urllib.request.Request(address + '/devices?status=eesv',
                                     headers={'Accept': 'application/json'})
    username = os.environ.get('EXPETHER_EEM_USERNAME')
    if username:
        token = '%s:%s' % (username,
                           os.environ.get('EXPETHER_EEM_PASSWORD', ''))
        request.add_header('Authorization', 'Basic ' + base64.b64encode(
            token.encode()).decode())
    verify = os.environ.get('EXPETHER_EEM_VERIFY_CA', 'True')
    context = None
    if address.startswith('https:'):
        if verify.lower() == 'false':
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif verify.lower() != 'true':
            context = ssl.create_default_context(cafile=verify)
    try:
        with urllib.request.urlopen(request, timeout=30,
                                    context=context) as answer:
            servers = [device['id'] for device in json.load(answer)['devices']]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print('Cannot list the server engines of %s: %s' % (address, e),
              file=sys.stderr)
        return 1
    for server in servers:
        print(server)
    return 0


if __name__ == '__main__':
    sys.exit(main())
