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

"""The EEM REST API under ``/eem``, in EEM's wire format.

Every handler takes the ``EEMState`` and the ``Request`` and returns a
``Response``; errors of the state become EEM error bodies in the router.
"""

from ironic_expether.emulator import routing
from ironic_expether.emulator import state as eem_state

BASE = '/eem'


def api_version(state, request):
    return routing.json_response({'version_number': state.api_version})


def _filters(request):
    return {'status': request.arg('status'),
            'group_id': request.arg('group_id')}


def list_devices(state, request):
    return routing.Response(body=state.devices_body(**_filters(request)))


def list_devices_detail(state, request):
    return routing.Response(
        body=state.devices_body(detail=True, **_filters(request)))


def show_device(state, request, eeid):
    return routing.Response(body=state.device_body(eeid))


def put_group_id(state, request, eeid):
    body = request.json_object(fields=('group_id', 'update_time'))
    return routing.json_response(state.set_group(
        eeid, body.get('group_id'), update_time=body.get('update_time')))


def delete_group_id(state, request, eeid):
    return routing.json_response(state.delete_group(
        eeid, update_time=request.arg('update_time')))


def get_uid_led(state, request, eeid):
    return routing.json_response(
        {'uid_led_status': state.get_uid_led(eeid)})


def put_uid_led(state, request, eeid):
    body = request.json_object(fields=('uid_led_status',))
    if 'uid_led_status' not in body:
        raise eem_state.BadRequest('uid_led_status is required')
    update_time = state.set_uid_led(eeid, body['uid_led_status'])
    return routing.json_response({'uid_led_status': body['uid_led_status'],
                                  'update_time': update_time})


def audit(state, request, eeid):
    return routing.json_response({'update_time': state.audit(eeid)})


def perst(state, request, eeid):
    return routing.json_response({'update_time': state.perst(eeid)})


def rotary_switch_status(state, request, eeid):
    return routing.json_response(
        {'rotary_switch_status': state.rotary_switch_status(eeid)})


def list_groups(state, request):
    return routing.json_response(
        {'groups': [{'id': gid} for gid in state.list_groups()]})


def build_router():
    """The routes of the EEM API.

    :returns: a ``routing.Router``.
    """
    router = routing.Router()
    router.add(BASE + '/api_version', GET=api_version)
    router.add(BASE + '/devices', GET=list_devices)
    router.add(BASE + '/devices/detail', GET=list_devices_detail)
    router.add(BASE + '/groups', GET=list_groups)
    router.add(BASE + '/devices/<id>', GET=show_device)
    router.add(BASE + '/devices/<id>/group_id',
               PUT=put_group_id, DELETE=delete_group_id)
    router.add(BASE + '/devices/<id>/uid_led_status',
               GET=get_uid_led, PUT=put_uid_led)
    router.add(BASE + '/devices/<id>/audit', PUT=audit)
    router.add(BASE + '/devices/<id>/perst', PUT=perst)
    router.add(BASE + '/devices/<id>/rotary_switch_status',
               GET=rotary_switch_status)
    return router
