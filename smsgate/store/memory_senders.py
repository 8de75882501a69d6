"""Sender ids of `MemoryStore`: the same rows as sql_senders, in a dict."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.core.errors import Conflict
from smsgate.services.senders import SenderId
from smsgate.store.memory_tables import MemoryTables


class MemorySenders(MemoryTables):
    async def add_sender(self, account_id: int, sender: str, status: str, now: float) -> SenderId:
        rows = self._senders
        if any(r.account_id == account_id and r.sender == sender for r in rows.values()):
            raise Conflict(f"sender id {sender!r} exists already", field="sender")
        row = SenderId(next(self._sender_ids), account_id, sender, status, now)
        rows[row.id] = row
        return row

    async def senders(self, account_id: int) -> list[SenderId]:
        return [r for r in self._senders.values() if r.account_id == account_id]

    async def delete_senders(self, account_id: int, ids: Sequence[int]) -> int:
        rows = self._senders
        gone = [i for i in ids if i in rows and rows[i].account_id == account_id]
        for sender_id in gone:
            del rows[sender_id]
        return len(gone)
