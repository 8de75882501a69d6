"""One hung operator does not stall another: two SMSC simulators over real sockets, two
SMPP connectors, the real router and dispatcher, on every store.

The hung SMSC binds and answers enquire_link but never answers submit_sm. The healthy
operator's messages must all be sent while the hung one's are still unanswered; the hung
one's then end their attempt by the response timeout and go back to the queue to be
retried, and those that did not fit its window wait held, spending no attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from smsgate.connectors.smpp import SmppUpstream
from smsgate.connectors.smpp_settings import SmppSettings
from smsgate.core.messages import Message, Status
from smsgate.services.clock import SystemClock
from smsgate.services.connectors import ConnectorStore
from smsgate.services.counters import Counters
from smsgate.services.dispatch import MAX_ATTEMPTS, Dispatcher
from smsgate.services.ports import Store, Upstream
from smsgate.services.routing import Router, RouteService, RouteStore
from smsgate.smpp.smsc_simulator import SmscSimulator
from tests.integration.store.scenario import funded, submission

pytestmark = pytest.mark.timeout(120)

WINDOW = 2
RESPONSE_TIMEOUT = 3.0  # long beside a healthy send over loopback, short for a test


@pytest.fixture
async def smscs() -> AsyncIterator[tuple[SmscSimulator, SmscSimulator]]:
    hung = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"}, submit_delay=None)
    healthy = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"})
    await hung.start()
    await healthy.start()
    yield hung, healthy
    await hung.stop()
    await healthy.stop()


async def bound(name: str, smsc: SmscSimulator) -> SmppUpstream:
    settings = SmppSettings.from_json(
        {
            "host": "127.0.0.1",
            "port": smsc.port,
            "system_id": "gw",
            "password": "pw",
            "window": WINDOW,
            "response_timeout": RESPONSE_TIMEOUT,
            "retries": 0,
            "enquire_link": 0.5,
            "reconnect_delay": 0.05,
        }
    )
    upstream = SmppUpstream(name, settings, SystemClock())

    async def ignore(receipts: object) -> None:
        return None

    await upstream.start(ignore)
    async with asyncio.timeout(10):
        while not upstream.ready():
            await asyncio.sleep(0.01)
    return upstream


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.02)


async def messages(store: Store, ids: list[str]) -> list[Message]:
    found = [await store.message(i) for i in ids]
    assert all(m is not None for m in found)
    return [m for m in found if m is not None]


async def test_a_hung_operator_holds_up_only_its_own_messages(
    store: Store, smscs: tuple[SmscSimulator, SmscSimulator]
) -> None:
    hung_smsc, healthy_smsc = smscs
    assert isinstance(store, RouteStore) and isinstance(store, ConnectorStore)
    slow_account = await funded(store, "slowco", 1_000)
    fast_account = await funded(store, "fastco", 1_000)
    clock = SystemClock()
    routes = RouteService(store, clock.now)
    await routes.add("*", "hung", account_id=slow_account.id)
    await routes.add("*", "healthy", account_id=fast_account.id)
    hung, healthy = await bound("hung", hung_smsc), await bound("healthy", healthy_smsc)
    upstreams: dict[str, Upstream] = {"hung": hung, "healthy": healthy}
    router = Router(lambda: upstreams, default="healthy")
    router.replace_routes(await routes.list())
    dispatcher = Dispatcher(store, router, clock, Counters(), batch_size=50)
    running = asyncio.create_task(dispatcher.run())
    try:
        slow = sorted(
            m.id for m in (await store.accept(submission(slow_account, recipients=5))).messages
        )
        dispatcher.wake()
        # The hung operator's window is full before the healthy messages are accepted.
        await until(lambda: ready_count(hung_smsc, WINDOW))
        fast = sorted(
            m.id for m in (await store.accept(submission(fast_account, recipients=20))).messages
        )
        dispatcher.wake()

        async def all_fast_sent() -> bool:
            return all(m.status is Status.SENT for m in await messages(store, fast))

        await until(all_fast_sent)
        # Sent while the hung operator had answered nothing, and before any of its
        # messages reached the end of its response timeout.
        assert (hung_smsc.counters.acked, healthy_smsc.counters.acked) == (0, 20)
        states = [(m.status, m.attempts, m.error) for m in await messages(store, slow)]
        assert sorted(states, key=str) == sorted(
            [(Status.SENDING, 1, None)] * WINDOW + [(Status.QUEUED, 0, None)] * (5 - WINDOW),
            key=str,
        )
        assert await store.held_messages() == {"hung": 5 - WINDOW}

        # Then each hung message ends its attempt by the response timeout: back to the
        # queue with the error, to be retried after the back-off.
        async def all_slow_timed_out() -> bool:
            return all(
                m.error is not None and "ResponseTimeout" in m.error
                for m in await messages(store, slow)
            )

        await until(all_slow_timed_out, seconds=60)
        for message in await messages(store, slow):
            assert message.status in (Status.QUEUED, Status.SENDING)
            assert 1 <= message.attempts < MAX_ATTEMPTS
        assert hung_smsc.counters.acked == 0
        assert hung_smsc.counters.submits_delayed >= 5
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await hung.close()
        await healthy.close()


async def ready_count(smsc: SmscSimulator, count: int) -> bool:
    return smsc.counters.submits_delayed >= count
