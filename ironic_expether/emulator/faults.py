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

"""Scriptable faults and request counters of the emulator.

A fault rule applies to the EEM requests whose path (without the query)
or path template (``/eem/devices/<id>/group_id``) matches its ``path``
glob (``fnmatch`` syntax, ``*`` by default), and whose method matches its
``method`` when one is given. A rule with a ``count`` applies that many
times, then expires. Kinds:

``latency``
    sleep ``seconds`` before answering.
``error``
    answer ``status`` (default 500) with an EEM error body, for a fraction
    ``rate`` of the matching requests (default 1.0; decided by a
    ``random.Random(seed)`` of the rule, so a seed makes it repeatable), or
    for every ``every``-th matching request (``every: 2`` fails the 2nd,
    4th, ... and lets the others through); ``drop: true`` closes the
    connection without any answer instead (a TCP reset: the request was
    read, the answer never comes).
``malformed``
    replace a successful answer with ``body``: ``not-json`` (an HTML
    page), ``wrong-shape`` (a JSON list), ``empty`` (no body),
    ``truncated`` (the first half of the real JSON), ``no-devices`` (a
    JSON object without ``devices``), ``devices-not-list`` (``devices``
    is an object) or ``device-without-id`` (the real answer, its first
    device without ``id``).
``hold``
    keep a matching request waiting, before EEM acts on it, until the
    control API releases it (``POST /_emulator/holds/release``) or
    ``seconds`` (default 120) pass; ``skip`` lets that many matching
    requests through first (``skip: 1`` holds the second one). A release
    with ``drop: true`` closes the connection without acting on the
    request (the write never happened); otherwise EEM acts on it and
    answers (to a client that may be gone: a write whose answer was lost).
    A test uses it to stop a client at a known point, e.g. to kill a
    conductor between two moves of a compose. ``count`` defaults to 1.
"""

import fnmatch
import random
import threading

KINDS = ('latency', 'error', 'malformed', 'hold')
MALFORMED_BODIES = ('not-json', 'wrong-shape', 'empty', 'truncated',
                    'no-devices', 'devices-not-list', 'device-without-id')
_RULE_KEYS = {
    'latency': {'seconds'},
    'error': {'status', 'rate', 'seed', 'code', 'message', 'drop',
              'every'},
    'malformed': {'body'},
    'hold': {'seconds', 'skip'},
}
#: Longest a held request waits for its release.
MAX_HOLD_SECONDS = 3600
_COMMON_KEYS = {'kind', 'path', 'method', 'count'}


class FaultError(ValueError):
    """A fault rule that makes no sense."""


def _number(rule, key, default, kind=float, minimum=0):
    value = rule.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultError('%s must be a number, not %r' % (key, value))
    if value < minimum:
        raise FaultError('%s must be at least %s' % (key, minimum))
    return kind(value)


class FaultRule(object):
    """One fault rule; see the module docstring for the fields."""

    def __init__(self, kind, path='*', method=None, count=None, **options):
        if kind not in KINDS:
            raise FaultError('kind must be one of %s, not %r'
                             % (', '.join(KINDS), kind))
        unknown = set(options) - _RULE_KEYS[kind]
        if unknown:
            raise FaultError('unknown field(s) for a %s fault: %s'
                             % (kind, ', '.join(sorted(unknown))))
        if not isinstance(path, str):
            raise FaultError('path must be a string')
        if method is not None and not isinstance(method, str):
            raise FaultError('method must be a string')
        self.kind = kind
        self.path = path
        self.method = method.upper() if method else None
        self.count = (None if count is None
                      else _number({'count': count}, 'count', 0, int))
        self.options = {k: v for k, v in options.items() if v is not None}
        options = self.options
        if kind == 'latency':
            self.seconds = _number(options, 'seconds', 1.0)
        elif kind == 'error':
            self.status = _number(options, 'status', 500, int, 400)
            if self.status > 599:
                raise FaultError('status must be in 400..599')
            self.rate = _number(options, 'rate', 1.0)
            if self.rate > 1:
                raise FaultError('rate must be in 0..1')
            self.every = _number(options, 'every', 1, int, 1)
            if self.every > 1 and self.rate < 1:
                raise FaultError('give either rate or every, not both')
            self._seen = 0
            self.code = str(options.get('code') or '%d00' % self.status)
            self.message = str(options.get('message') or 'injected fault')
            self.drop = bool(options.get('drop', False))
            self._random = random.Random(options.get('seed'))
        elif kind == 'hold':
            if self.count is None:
                self.count = 1
            self.seconds = _number(options, 'seconds', 120.0)
            if not 0 < self.seconds <= MAX_HOLD_SECONDS:
                raise FaultError('seconds must be in (0, %d]'
                                 % MAX_HOLD_SECONDS)
            self.skip = _number(options, 'skip', 0, int)
            self._seen = 0
        else:
            self.body = options.get('body', 'not-json')
            if self.body not in MALFORMED_BODIES:
                raise FaultError('body must be one of %s, not %r'
                                 % (', '.join(MALFORMED_BODIES), self.body))

    def matches(self, method, path, template):
        if self.method and self.method != method:
            return False
        return (fnmatch.fnmatchcase(path, self.path)
                or fnmatch.fnmatchcase(template, self.path))

    def fires(self):
        """Whether the rule acts on this matching request (lock held)."""
        if self.count is not None and self.count <= 0:
            return False
        if self.kind == 'error' and self.rate < 1 and \
                self._random.random() >= self.rate:
            return False
        if self.kind == 'hold':
            self._seen += 1
            if self._seen <= self.skip:
                return False
        if self.kind == 'error' and self.every > 1:
            self._seen += 1
            if self._seen % self.every:
                return False
        if self.count is not None:
            self.count -= 1
        return True

    @property
    def expired(self):
        return self.count is not None and self.count <= 0

    def to_dict(self):
        result = {'kind': self.kind, 'path': self.path}
        if self.method:
            result['method'] = self.method
        if self.count is not None:
            result['count'] = self.count
        result.update(self.options)
        return result


class Held(object):
    """A request kept waiting by a ``hold`` rule."""

    def __init__(self, number, method, path, seconds):
        self.number = number
        self.method = method
        self.path = path
        self.seconds = seconds
        self.drop = False
        self._event = threading.Event()

    def release(self, drop=False):
        self.drop = bool(drop)
        self._event.set()

    def wait(self):
        """Wait for the release; True to drop the request."""
        self._event.wait(self.seconds)
        return self.drop

    def to_dict(self):
        return {'id': self.number, 'method': self.method, 'path': self.path}


class Faults(object):
    """The fault rules of one emulator, and its request counters."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._counters = {}
        self._held = []
        self._held_number = 0

    # -- rules -------------------------------------------------------------

    def add(self, kind, **fields):
        """Add a rule.

        :param kind: ``latency``, ``error`` or ``malformed``.
        :param fields: the rule's fields (see the module docstring).
        :returns: the rule.
        :raises: FaultError for a bad rule.
        """
        return self.add_rule(FaultRule(kind, **fields))

    def add_rule(self, rule):
        """Add a FaultRule.

        :returns: the rule.
        """
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_from_dict(self, data):
        """Add a rule given as a JSON object with a ``kind``.

        :raises: FaultError for a bad rule.
        """
        if not isinstance(data, dict):
            raise FaultError('a fault must be a JSON object')
        data = dict(data)
        unknown = set(data) - _COMMON_KEYS - set().union(
            *_RULE_KEYS.values())
        if unknown:
            raise FaultError('unknown field(s): %s'
                             % ', '.join(sorted(unknown)))
        return self.add(data.pop('kind', None), **data)

    def add_latency(self, seconds, path='*', method=None, count=None):
        """Delay matching requests by ``seconds``."""
        return self.add('latency', seconds=seconds, path=path,
                        method=method, count=count)

    def add_error(self, status=500, path='*', method=None, rate=1.0,
                  seed=None, count=None, code=None, message=None,
                  drop=False, every=None):
        """Fail matching requests (or drop their connection)."""
        return self.add('error', status=status, path=path, method=method,
                        rate=rate, seed=seed, count=count, code=code,
                        message=message, drop=drop, every=every)

    def add_malformed(self, body='not-json', path='*', method=None,
                      count=None):
        """Garble the successful answers of matching requests."""
        return self.add('malformed', body=body, path=path, method=method,
                        count=count)

    def add_hold(self, path='*', method=None, skip=0, count=None,
                 seconds=None):
        """Hold matching requests until released."""
        return self.add('hold', path=path, method=method, skip=skip,
                        count=count, seconds=seconds)

    def clear(self):
        """Remove every rule (held requests stay held)."""
        with self._lock:
            self._rules = []

    # -- held requests -------------------------------------------------------

    def hold(self, method, path, template):
        """Register a request if a ``hold`` rule acts on it.

        :returns: a :class:`Held` to wait on, or None.
        """
        rule = self.pick('hold', method, path, template)
        if rule is None:
            return None
        with self._lock:
            self._held_number += 1
            held = Held(self._held_number, method, path, rule.seconds)
            self._held.append(held)
        return held

    def wait_held(self, held):
        """Wait until a held request is released; True to drop it."""
        try:
            return held.wait()
        finally:
            with self._lock:
                if held in self._held:
                    self._held.remove(held)

    def held(self):
        """:returns: the requests held now, as dicts, oldest first."""
        with self._lock:
            return [h.to_dict() for h in self._held]

    def release(self, drop=False):
        """Release every held request.

        :param drop: close their connections without acting on them.
        :returns: how many were released.
        """
        with self._lock:
            held, self._held = self._held, []
        for request in held:
            request.release(drop)
        return len(held)

    def rules(self):
        """:returns: the active rules as dicts."""
        with self._lock:
            return [r.to_dict() for r in self._rules if not r.expired]

    def pick(self, kind, method, path, template):
        """The first rule of a kind that acts on a request, if any.

        Latency rules add up: for ``latency`` the total delay is returned.

        :returns: a FaultRule, a number of seconds for ``latency``, or None.
        """
        with self._lock:
            total = 0.0
            for rule in self._rules:
                if rule.kind != kind or rule.expired or \
                        not rule.matches(method, path, template):
                    continue
                if rule.fires():
                    if kind != 'latency':
                        self._prune()
                        return rule
                    total += rule.seconds
            self._prune()
            return total if kind == 'latency' else None

    def _prune(self):
        self._rules = [r for r in self._rules if not r.expired]

    # -- counters ------------------------------------------------------------

    def count(self, method, template):
        """Count one request as ``"<METHOD> <template>"``."""
        key = '%s %s' % (method, template)
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1

    def counters(self):
        """:returns: a dict ``{"GET /eem/devices/detail": 3, ...}``."""
        with self._lock:
            return dict(self._counters)

    def reset_counters(self):
        """Set every counter back to zero."""
        with self._lock:
            self._counters = {}
