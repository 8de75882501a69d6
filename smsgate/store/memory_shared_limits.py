"""Limits shared by the nodes, in `MemoryStore`: the same semantics as sql_shared_limits,
on this process's clock (one process: every holder is in it)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from smsgate.services.smpp_customers import BindClaim
from smsgate.services.throttle import KEEP_SECONDS
from smsgate.store.memory_tables import BindRow, MemoryTables


class MemorySharedLimits(MemoryTables):
    async def claim_bind(self, claim: BindClaim) -> bool:
        now = time.time()
        binds = self._smpp_binds
        for bind_id in [i for i, b in binds.items() if b.lease_until < now]:
            del binds[bind_id]
        if sum(1 for b in binds.values() if b.account_id == claim.account_id) >= claim.limit:
            return False
        binds[claim.bind_id] = BindRow(claim.account_id, claim.node_id, now + claim.lease)
        return True

    async def release_bind(self, bind_id: str) -> None:
        self._smpp_binds.pop(bind_id, None)

    async def renew_binds(self, node_id: str, lease: float) -> int:
        mine = [b for b in self._smpp_binds.values() if b.node_id == node_id]
        for bind in mine:
            bind.lease_until = time.time() + lease
        return len(mine)

    async def release_node_binds(self, node_id: str) -> int:
        mine = [i for i, b in self._smpp_binds.items() if b.node_id == node_id]
        for bind_id in mine:
            del self._smpp_binds[bind_id]
        return len(mine)

    async def live_binds(self, account_id: int) -> int:
        now = time.time()
        return sum(
            1
            for b in self._smpp_binds.values()
            if b.account_id == account_id and b.lease_until >= now
        )

    async def share_send_counts(
        self, holder: str, counts: Mapping[tuple[int, int], int], since: int
    ) -> dict[tuple[int, int], int]:
        rows = self._send_counts
        for (account_id, second), count in counts.items():
            key = (account_id, holder, second)
            rows[key] = rows.get(key, 0) + count
        for key in [k for k in rows if k[2] < since - KEEP_SECONDS]:
            del rows[key]
        totals: dict[tuple[int, int], int] = {}
        for (account_id, other, second), count in rows.items():
            if second >= since and other != holder:
                totals[(account_id, second)] = totals.get((account_id, second), 0) + count
        return totals
