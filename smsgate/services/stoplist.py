"""The STOP list: numbers (in E.164) that asked an account not to text them any more.
`StopListService` adds, removes, lists, and runs the check `SubmitService` does before it
quotes, over the `StopListStore` Protocol; lists up to CACHED_MAX entries are cached for
a couple of seconds, and a change made in this process is seen at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account
from smsgate.core.errors import NotFound
from smsgate.services.numbers import to_e164
from smsgate.services.ports import Clock

SOURCE_API = "api"
CACHED_MAX = 50_000
CACHE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class StopEntry:
    account_id: int
    number: str
    source: str
    created_at: float


@runtime_checkable
class StopListStore(Protocol):
    async def add_stop(self, account_id: int, number: str, source: str, now: float) -> StopEntry:
        """Add the number, or return the entry it already has."""
        ...

    async def remove_stop(self, account_id: int, number: str) -> bool:
        """False when the number was not on the account's list."""
        ...

    async def stop_entries(self, account_id: int) -> list[StopEntry]:
        """The account's list, oldest first."""
        ...

    async def stopped_numbers(self, account_id: int, numbers: Iterable[str]) -> set[str]:
        """Which of these E.164 numbers are on the account's list."""
        ...


class StopListService:
    def __init__(self, store: StopListStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        # account id -> (valid until, its numbers, or None when the list is too long)
        self._cache: dict[int, tuple[float, frozenset[str] | None]] = {}

    async def add(self, account: Account, raw: str, *, source: str = SOURCE_API) -> StopEntry:
        number = to_e164(raw, account.default_country)
        self._cache.pop(account.id, None)
        return await self._store.add_stop(account.id, number, source, self._clock.now())

    async def remove(self, account: Account, raw: str) -> None:
        number = to_e164(raw, account.default_country)
        self._cache.pop(account.id, None)
        if not await self._store.remove_stop(account.id, number):
            raise NotFound(f"{number} is not on the STOP list", field="phoneNumber")

    async def entries(self, account: Account) -> list[StopEntry]:
        return await self._store.stop_entries(account.id)

    async def blocked(self, account_id: int, numbers: Iterable[str]) -> set[str]:
        """The E.164 `numbers` that the account must not text."""
        now = self._clock.now()
        hit = self._cache.get(account_id)
        if hit is None or hit[0] <= now:
            entries = await self._store.stop_entries(account_id)
            known = frozenset(e.number for e in entries) if len(entries) <= CACHED_MAX else None
            hit = (now + CACHE_SECONDS, known)
            self._cache[account_id] = hit
        if hit[1] is None:
            return await self._store.stopped_numbers(account_id, numbers)
        return {n for n in numbers if n in hit[1]}
