"""Inbound numbers, keywords and inbound settings of `MemoryStore`: the same rows as
sql_numbers, in dicts."""

from __future__ import annotations

from dataclasses import astuple, replace

from smsgate.core.errors import Conflict
from smsgate.services.inbound_numbers import InboundKeyword, InboundNumber, NumberToAdd
from smsgate.services.inbound_plan import InboundSettings
from smsgate.store.memory_tables import MemoryTables


class MemoryNumbers(MemoryTables):
    async def add_number(self, number: NumberToAdd) -> InboundNumber:
        if any(n.number == number.number for n in self._numbers.values()):
            raise Conflict(f"inbound number {number.number} exists already", field="number")
        row = InboundNumber(next(self._number_ids), *astuple(number))
        self._numbers[row.id] = row
        return row

    async def inbound_numbers(self) -> list[InboundNumber]:
        return sorted(self._numbers.values(), key=lambda n: n.number)

    async def set_number_accounts(
        self, number_id: int, account_id: int | None, default_account_id: int | None
    ) -> bool:
        row = self._numbers.get(number_id)
        if row is None:
            return False
        self._numbers[number_id] = replace(
            row, account_id=account_id, default_account_id=default_account_id
        )
        return True

    async def set_number_delivery(
        self, number_id: int, webhook_url: str | None, webhook_shape: str | None, price: int
    ) -> bool:
        row = self._numbers.get(number_id)
        if row is None:
            return False
        self._numbers[number_id] = replace(
            row, webhook_url=webhook_url, webhook_shape=webhook_shape, price=price
        )
        return True

    async def remove_number(self, number_id: int) -> bool:
        for key in [key for key in self._keywords if key[0] == number_id]:
            del self._keywords[key]
        return self._numbers.pop(number_id, None) is not None

    async def add_keyword(
        self, number_id: int, keyword: str, account_id: int, now: float
    ) -> InboundKeyword:
        if (number_id, keyword) in self._keywords:
            raise Conflict(f"keyword {keyword} exists already on this number", field="keyword")
        row = InboundKeyword(next(self._keyword_ids), number_id, keyword, account_id, now)
        self._keywords[(number_id, keyword)] = row
        return row

    async def inbound_keywords(self) -> list[InboundKeyword]:
        return [self._keywords[key] for key in sorted(self._keywords)]

    async def remove_keyword(self, number_id: int, keyword: str) -> bool:
        return self._keywords.pop((number_id, keyword), None) is not None

    async def all_inbound_settings(self) -> list[InboundSettings]:
        return [self._inbound_settings[key] for key in sorted(self._inbound_settings)]

    async def set_inbound_settings(self, settings: InboundSettings) -> None:
        self._inbound_settings[settings.account_id] = settings
