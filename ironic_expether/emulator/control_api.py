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

"""The emulator's control API under ``/_emulator`` (not part of EEM).

Handlers take the ``EmulatorServer`` (for its state, faults and
listener) and the ``Request``. The package docstring documents the paths.
"""

from ironic_expether.emulator import faults as eem_faults
from ironic_expether.emulator import routing
from ironic_expether.emulator import state as eem_state

BASE = '/_emulator'
MAX_REFUSE_SECONDS = 3600


def get_counters(server, request):
    return routing.json_response({'counters': server.faults.counters()})


def delete_counters(server, request):
    server.faults.reset_counters()
    return routing.json_response({'counters': {}})


def _faults_answer(server, headers=None):
    return routing.json_response({'faults': server.faults.rules(),
                                  'refusing': server.refusing},
                                 headers=headers)


def get_faults(server, request):
    return _faults_answer(server)


def _apply_faults(server, request, replace):
    body = request.json_object()
    unknown = set(body) - {'faults', 'refuse_seconds', 'kind', 'path',
                           'method', 'count', 'seconds', 'status', 'rate',
                           'seed', 'code', 'message', 'drop', 'body',
                           'every', 'skip'}
    if unknown:
        raise eem_state.BadRequest('unknown field(s): %s'
                                   % ', '.join(sorted(unknown)))
    rules = body.get('faults', [])
    if 'kind' in body:
        rules = [{k: v for k, v in body.items()
                  if k not in ('faults', 'refuse_seconds')}]
    if not isinstance(rules, list):
        raise eem_state.BadRequest('faults must be a list of fault objects')
    refuse = body.get('refuse_seconds')
    if refuse is not None and (
            isinstance(refuse, bool)
            or not isinstance(refuse, (int, float))
            or not 0 < refuse <= MAX_REFUSE_SECONDS):
        raise eem_state.BadRequest('refuse_seconds must be a number in '
                                   '(0, %d]' % MAX_REFUSE_SECONDS)
    # NOTE(expether): validate every rule before changing anything, so a
    # bad request leaves the faults as they were.
    try:
        checked = [eem_faults.FaultRule(**_rule_fields(rule))
                   for rule in rules]
    except (TypeError, eem_faults.FaultError) as exc:
        raise eem_state.BadRequest('bad fault: %s' % exc)
    if replace:
        server.faults.clear()
    for rule in checked:
        server.faults.add_rule(rule)
    headers = None
    if refuse is not None:
        server.refuse_connections(refuse, keep=request.connection)
        headers = {'Connection': 'close'}
    return _faults_answer(server, headers)


def _rule_fields(rule):
    if not isinstance(rule, dict):
        raise eem_faults.FaultError('a fault must be a JSON object')
    unknown = set(rule) - {'kind', 'path', 'method', 'count', 'seconds',
                           'status', 'rate', 'seed', 'code', 'message',
                           'drop', 'body', 'every', 'skip'}
    if unknown:
        raise eem_faults.FaultError('unknown field(s): %s'
                                    % ', '.join(sorted(unknown)))
    return rule


def put_faults(server, request):
    return _apply_faults(server, request, replace=True)


def post_faults(server, request):
    return _apply_faults(server, request, replace=False)


def delete_faults(server, request):
    server.faults.clear()
    return _faults_answer(server)


def get_holds(server, request):
    return routing.json_response({'held': server.faults.held()})


def release_holds(server, request):
    """Release every held request: ``{"drop": false}`` by default."""
    body = request.json_object()
    unknown = set(body) - {'drop'}
    if unknown:
        raise eem_state.BadRequest('unknown field(s): %s'
                                   % ', '.join(sorted(unknown)))
    drop = body.get('drop', False)
    if not isinstance(drop, bool):
        raise eem_state.BadRequest('drop must be true or false')
    return routing.json_response({'released': server.faults.release(drop)})


def put_credentials(server, request):
    """Change EEM's Basic auth credentials: ``{"username", "password"}``.

    ``{"username": null}`` turns authentication off. The answer is the
    last one given with the old credentials.
    """
    body = request.json_object()
    unknown = set(body) - {'username', 'password'}
    if unknown or 'username' not in body:
        raise eem_state.BadRequest('expected {"username": ..., "password": '
                                   '...}')
    username, password = body['username'], body.get('password')
    for name, value in (('username', username), ('password', password)):
        if value is not None and not isinstance(value, str):
            raise eem_state.BadRequest('%s must be a string or null' % name)
    server.set_credentials(username, password)
    return routing.json_response({'authentication': username is not None})


def _device_answer(state, eeid):
    return routing.json_response({
        'device': state.get_device_any(eeid),
        'present': state.is_present(eeid),
    })


def get_device(server, request, eeid):
    return _device_answer(server.state, eeid)


def put_device(server, request, eeid):
    body = request.json_object()
    state = server.state
    present = body.pop('present', None)
    down = body.pop('down', None)
    for name, value in (('present', present), ('down', down)):
        if value is not None and not isinstance(value, bool):
            raise eem_state.BadRequest('%s must be true or false' % name)
    if 'power_status' in body:
        state.set_power(eeid, body.pop('power_status'))
    if down is not None:
        state.set_down(eeid, down)
    if body:
        state.update_device(eeid, body)
    if present is False:
        state.disappear(eeid)
    elif present is True:
        state.reappear(eeid)
    if not (body or present is not None or down is not None):
        state.get_device_any(eeid)
    return _device_answer(state, eeid)


def delete_device(server, request, eeid):
    server.state.remove_device(eeid)
    return routing.json_response({})


def post_devices(server, request):
    body = request.json()
    if isinstance(body, dict) and 'devices' in body:
        devices = body['devices']
    else:
        devices = [body]
    if not isinstance(devices, list) or not devices:
        raise eem_state.BadRequest('expected a device or {"devices": [...]}')
    added = [server.state.add_device(d) for d in devices]
    return routing.json_response({'devices': added}, 201)


def reset_devices(server, request):
    server.state.reset()
    return routing.json_response({'devices': len(server.state)})


def build_router():
    """The routes of the control API.

    :returns: a ``routing.Router``.
    """
    router = routing.Router()
    router.add(BASE + '/counters', GET=get_counters, DELETE=delete_counters)
    router.add(BASE + '/faults', GET=get_faults, PUT=put_faults,
               POST=post_faults, DELETE=delete_faults)
    router.add(BASE + '/holds', GET=get_holds)
    router.add(BASE + '/holds/release', POST=release_holds)
    router.add(BASE + '/credentials', PUT=put_credentials)
    router.add(BASE + '/devices', POST=post_devices, DELETE=reset_devices)
    router.add(BASE + '/devices/<id>', GET=get_device, PUT=put_device,
               DELETE=delete_device)
    return router
