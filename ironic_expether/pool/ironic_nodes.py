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

"""The pool's reads of Ironic's own tables, in one place.

Discovery compares every expether node with EEM once per cycle; loading
full node objects for that costs about half a second per thousand nodes,
so it reads plain rows through Ironic's db api and one query of its
traits table here. Everything else uses Ironic's node objects.
"""

import collections
import threading

from ironic.db import api as ironic_dbapi
from ironic.db.sqlalchemy import models as ironic_models
from oslo_db.sqlalchemy import enginefacade
import sqlalchemy as sa

from ironic_expether.pool import podm as podm_api

#: Columns of :func:`read_nodes`' rows, in order.
NODE_COLUMNS = ('id', 'uuid', 'driver_info', 'properties',
                'provision_state', 'maintenance')

_IRONIC_DB = threading.local()


def read_nodes():
    """The expether nodes, as rows of :data:`NODE_COLUMNS`.

    :returns: a list of tuples.
    """
    return ironic_dbapi.get_instance().get_nodeinfo_list(
        columns=list(NODE_COLUMNS), filters={'driver': podm_api.DRIVER})


def traits_of_nodes(traits):
    """Which of some traits each expether node has.

    :param traits: the trait names to look for.
    :returns: a dict of node id -> set of trait names (nodes with none of
        them are left out).
    """
    result = collections.defaultdict(set)
    trait, node = ironic_models.NodeTrait, ironic_models.Node
    with enginefacade.reader.using(_IRONIC_DB) as s:
        for node_id, name in s.execute(
                sa.select(trait.node_id, trait.trait)
                .join(node, node.id == trait.node_id)
                .where(node.driver == podm_api.DRIVER,
                       trait.trait.in_(sorted(traits)))):
            result[node_id].add(name)
    return result


def existing_uuids(node_uuids):
    """Which of these node uuids still exist in Ironic.

    :param node_uuids: node uuids.
    :returns: a set of uuids.
    """
    if not node_uuids:
        return set()
    rows = ironic_dbapi.get_instance().get_node_list(
        filters={'uuid_in': sorted(node_uuids)}, fields=['uuid'])
    return {row.uuid for row in rows}
