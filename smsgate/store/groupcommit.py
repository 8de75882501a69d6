"""Group commit: concurrent callers share one transaction, and each hears back after COMMIT.

One writer task runs one `flush` for the callers waiting (bounded in count and rows) and
answers each with its own result or error; a flush is all or nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

Flush = Callable[[Sequence[Item]], Awaitable[Sequence[Result | Exception]]]


class GroupCommit(Generic[Item, Result]):
    """A commit, not a row, is what costs (research/dependencies.md section 5). A flush
    that raises an error `isolate` accepts is run again on each half of its group, down
    to the caller that raises, which alone fails (a caller alone is tried twice: a row
    another writer committed meanwhile is then seen); any other error fails the group.
    The writer takes each group after `gather` seconds, or else one turn of the loop."""

    def __init__(
        self,
        flush: Flush[Item, Result],
        *,
        max_group: int = 512,
        max_weight: int = 10_000,
        weight: Callable[[Item], int] = lambda _: 1,
        isolate: Callable[[Exception], bool] = lambda _: False,
        gather: float = 0.0,
    ) -> None:
        self._flush = flush
        self._gather = gather
        self._isolate = isolate
        self._max_group = max_group
        self._max_weight = max_weight
        self._weight = weight
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self.groups = 0
        self.items = 0

    async def submit(self, item: Item) -> Result:
        """Queue `item` for the next group; return its result once that group committed."""
        if self._closed:
            raise RuntimeError("the store is closed")
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="smsgate-group-commit")
        return await future

    async def _write(self) -> None:
        # One turn of the loop lets callers started in the same turn join the first group.
        await asyncio.sleep(0)
        while self._waiting:
            group: list[tuple[Item, asyncio.Future[Result]]] = []
            try:
                if self._gather:
                    await asyncio.sleep(self._gather)  # the callers of that time join too
                group = self._take()
                if not group:
                    continue
                self.groups += 1
                self.items += len(group)
                outcomes = await self._outcomes([item for item, _ in group])
            except Exception as exc:
                _fail(group, exc)
                continue
            except BaseException:
                # Cancelled mid-transaction or while gathering (shutdown): nobody may
                # wait forever.
                _fail([*group, *self._waiting], RuntimeError("the store was closed"))
                self._waiting.clear()
                raise
            for (_, future), outcome in zip(group, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def _outcomes(
        self, items: Sequence[Item], *, tried: bool = False
    ) -> Sequence[Result | Exception]:
        """Flush `items`; after an error that may be one item's, flush each half again.

        Costs nothing until a flush raises; then about 2*log2(n) more flushes find one
        bad item among n, and everything else commits. `tried`: the items were in a
        flush that raised already.
        """
        try:
            return await self._flush(items)
        except Exception as exc:
            if not self._isolate(exc):
                raise
            if len(items) == 1 and tried:
                return [exc]
        if len(items) == 1:
            return await self._outcomes(items, tried=True)
        middle = len(items) // 2
        first = await self._outcomes(items[:middle], tried=True)
        return [*first, *await self._outcomes(items[middle:], tried=True)]

    def _take(self) -> list[tuple[Item, asyncio.Future[Result]]]:
        """The next group, oldest first: at least one caller, then as many as the bounds allow."""
        group: list[tuple[Item, asyncio.Future[Result]]] = []
        weight = taken = 0
        for item, future in self._waiting:
            if future.done():
                # A caller that gave up is dropped before anything is written for it.
                taken += 1
                continue
            cost = self._weight(item)
            if group and (len(group) >= self._max_group or weight + cost > self._max_weight):
                break
            taken += 1
            group.append((item, future))
            weight += cost
        del self._waiting[:taken]
        return group

    async def close(self) -> None:
        """Refuse new callers and wait until every queued one has been answered."""
        self._closed = True
        if self._writer is not None:
            await self._writer


def _fail(group: Sequence[tuple[object, asyncio.Future[Result]]], exc: Exception) -> None:
    for _, future in group:
        if not future.done():
            future.set_exception(exc)
