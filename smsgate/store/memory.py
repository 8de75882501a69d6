"""`MemoryStore`: the `services.ports.Store` and every feature's store Protocol in dicts,
for tests and trials; one class part per memory_<feature>.py over `MemoryTables`, with
the same semantics as SqlStore (the store contract tests run both).
"""

from __future__ import annotations

from smsgate.store.memory_accounts import MemoryAccounts
from smsgate.store.memory_admins import MemoryAdmins
from smsgate.store.memory_connector_states import MemoryConnectorStates
from smsgate.store.memory_destinations import MemoryDestinations
from smsgate.store.memory_dispatch import MemoryDispatch
from smsgate.store.memory_health import MemoryHealth
from smsgate.store.memory_hourly_totals import MemoryHourlyTotals
from smsgate.store.memory_inbound import MemoryInbound
from smsgate.store.memory_lockout import MemoryLockout
from smsgate.store.memory_messages import MemoryMessages
from smsgate.store.memory_mo_outbox import MemoryMoOutbox
from smsgate.store.memory_nodes import MemoryNodes
from smsgate.store.memory_numbers import MemoryNumbers
from smsgate.store.memory_ownership import MemoryOwnership
from smsgate.store.memory_planner import MemoryPlanner
from smsgate.store.memory_retention import MemoryRetention
from smsgate.store.memory_routing import MemoryRouting
from smsgate.store.memory_senders import MemorySenders
from smsgate.store.memory_shared_limits import MemorySharedLimits
from smsgate.store.memory_smpp import MemorySmpp
from smsgate.store.memory_statistics import MemoryStatistics
from smsgate.store.memory_stoplist import MemoryStopList
from smsgate.store.memory_webhook_log import MemoryWebhookLog


class MemoryStore(
    MemoryAccounts,
    MemoryMessages,
    MemoryDispatch,
    MemoryStatistics,
    MemoryDestinations,
    MemoryWebhookLog,
    MemorySmpp,
    MemoryRouting,
    MemoryInbound,
    MemoryMoOutbox,
    MemoryNumbers,
    MemoryStopList,
    MemorySenders,
    MemoryLockout,
    MemoryNodes,
    MemoryAdmins,
    MemoryRetention,
    MemoryHourlyTotals,
    MemoryConnectorStates,
    MemoryHealth,
    MemorySharedLimits,
    MemoryOwnership,
    MemoryPlanner,
):
    async def close(self) -> None:
        return None
