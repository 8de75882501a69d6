"""The sender-id half of `MemoryStore`: the same rows as sql_senders, in a dict."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from smsgate.core.errors import Conflict
from smsgate.services.senders import SenderId


class MemorySenders:
    _sender_rows: dict[int, SenderId]
    _sender_ids: itertools.count[int]

    def _sender_table(self) -> dict[int, SenderId]:
        # Created on first use, so that MemoryStore.__init__ needs no line for it.
        if not hasattr(self, "_sender_rows"):
            self._sender_rows = {}
            self._sender_ids = itertools.count(1)
        return self._sender_rows

    async def add_sender(self, account_id: int, sender: str, status: str, now: float) -> SenderId:
        rows = self._sender_table()
        if any(r.account_id == account_id and r.sender == sender for r in rows.values()):
            raise Conflict(f"sender id {sender!r} exists already", field="sender")
        row = SenderId(next(self._sender_ids), account_id, sender, status, now)
        rows[row.id] = row
        return row

    async def senders(self, account_id: int) -> list[SenderId]:
        return [r for r in self._sender_table().values() if r.account_id == account_id]

    async def delete_senders(self, account_id: int, ids: Sequence[int]) -> int:
        rows = self._sender_table()
        gone = [i for i in ids if i in rows and rows[i].account_id == account_id]
        for sender_id in gone:
            del rows[sender_id]
        return len(gone)
