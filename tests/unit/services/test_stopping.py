"""A loop parked on its wake event stops when cancelled, even if a wake arrives with the stop.

On Python 3.11 `asyncio.wait_for` returns the result instead of raising when the
awaited thing completes in the same turn as the cancellation, which would leave the
loop running and its owner's `stop()` waiting for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, cast

import pytest

from smsgate.api.smpp.delivery import SmppDelivery
from smsgate.core.messages import Message
from smsgate.services.counters import Counters
from smsgate.services.dispatch import Dispatcher
from smsgate.services.ports import Upstream
from smsgate.services.smpp_customers import SmppCustomers
from smsgate.store.memory import MemoryStore


class NoRoutes:
    def __call__(self, message: Message) -> Upstream | None:
        return None

    def all_ready(self) -> bool:
        return True

    def upstreams(self) -> list[Upstream]:
        return []

    def state(self) -> Hashable:
        return ()


class NoCustomers:
    async def waiting_accounts(self) -> list[int]:
        return []

    async def release(self) -> None:
        return None


class Clock:
    def now(self) -> float:
        return 0.0


async def stops_despite_a_wake(
    run: Callable[[], Coroutine[Any, Any, None]], wake: Callable[[], None]
) -> None:
    task = asyncio.create_task(run())
    await asyncio.sleep(0.05)  # parked on its wake event, with a long poll
    wake()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done, "the cancellation was lost"
    with pytest.raises(asyncio.CancelledError):
        task.result()


async def test_the_dispatcher_stops_when_woken_as_it_is_cancelled() -> None:
    dispatcher = Dispatcher(MemoryStore(), NoRoutes(), Clock(), Counters(), idle_poll=60)
    await stops_despite_a_wake(dispatcher.run, dispatcher.wake)


async def test_smpp_delivery_stops_when_woken_as_it_is_cancelled() -> None:
    customers = cast(SmppCustomers, NoCustomers())
    delivery = SmppDelivery(customers, lambda account_id: [], poll_interval=60)
    await stops_despite_a_wake(delivery.run, delivery.wake)
