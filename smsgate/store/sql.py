"""`SqlStore`: the `services.ports.Store` and every feature's store Protocol on SQLite or
PostgreSQL, assembled from one class part per sql_<feature>.py over `SqlPart`; each part
hands its module's Core functions to the backend's `Connections`.
"""

from __future__ import annotations

from smsgate.store.sql_accept import SqlAccept
from smsgate.store.sql_accounts import SqlAccounts
from smsgate.store.sql_admins import SqlAdmins
from smsgate.store.sql_base import Connections
from smsgate.store.sql_connector_states import SqlConnectorStates
from smsgate.store.sql_destinations import SqlDestinations
from smsgate.store.sql_dispatch import SqlDispatch
from smsgate.store.sql_health import SqlHealth
from smsgate.store.sql_hourly_totals import SqlHourlyTotals
from smsgate.store.sql_inbound import SqlInbound
from smsgate.store.sql_lockout import SqlLockout
from smsgate.store.sql_messages import SqlMessages
from smsgate.store.sql_mo_outbox import SqlMoOutbox
from smsgate.store.sql_money import SqlMoney
from smsgate.store.sql_nodes import SqlNodes
from smsgate.store.sql_numbers import SqlNumbers
from smsgate.store.sql_outbox import SqlOutbox
from smsgate.store.sql_ownership import SqlOwnership
from smsgate.store.sql_planner import SqlPlanner
from smsgate.store.sql_receipts import SqlReceipts
from smsgate.store.sql_retention import SqlRetention
from smsgate.store.sql_routing import SqlRouting
from smsgate.store.sql_senders import SqlSenders
from smsgate.store.sql_shared_limits import SqlSharedLimits
from smsgate.store.sql_smpp import SqlSmpp
from smsgate.store.sql_statistics import SqlStatistics
from smsgate.store.sql_stoplist import SqlStopList
from smsgate.store.sql_webhook_log import SqlWebhookLog


class SqlStore(
    SqlAccounts,
    SqlMoney,
    SqlAccept,
    SqlMessages,
    SqlDispatch,
    SqlReceipts,
    SqlOutbox,
    SqlSenders,
    SqlStatistics,
    SqlDestinations,
    SqlWebhookLog,
    SqlSmpp,
    SqlRouting,
    SqlInbound,
    SqlMoOutbox,
    SqlNumbers,
    SqlStopList,
    SqlLockout,
    SqlNodes,
    SqlAdmins,
    SqlRetention,
    SqlHourlyTotals,
    SqlConnectorStates,
    SqlHealth,
    SqlSharedLimits,
    SqlOwnership,
    SqlPlanner,
):
    def __init__(
        self, connections: Connections, *, max_group: int = 512, max_rows: int = 10_000
    ) -> None:
        super().__init__(connections)
        self._open_group_commit(max_group, max_rows)
        self._open_mo_commit(max_group)

    async def close(self) -> None:
        await self.group_commit.close()
        await self.mo_commit.close()
        await self.connections.close()
