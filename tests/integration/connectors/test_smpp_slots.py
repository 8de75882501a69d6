"""SmppUpstream's bind slots against the SMSC simulator over real sockets: with deferred
binds it binds only the slots opened, each with its share of the throughput limit and
window; a closed slot is unbound before `close_slot` returns, a dropped one within its
grace. A submit in flight on a closing bind gets its answer and is not sent again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from smsgate.connectors.smpp import SmppUpstream
from smsgate.connectors.smpp_settings import SmppSettings
from smsgate.services.clock import SystemClock
from smsgate.services.ownership import SlottedUpstream
from smsgate.services.ports import ReceiptUpdate
from smsgate.smpp.smsc_simulator import SmscSimulator
from tests.unit.connectors.messages import outgoing

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    simulator = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"}, receipt_delay=0.05)
    await simulator.start()
    yield simulator
    await simulator.stop()


def open_binds(smsc: SmscSimulator) -> int:
    return sum(1 for session in smsc.bound.get("gw", ()) if not session.closed)


async def until(condition: Any) -> None:
    async with asyncio.timeout(20):
        while not condition():
            await asyncio.sleep(0.01)


async def ignore(receipts: Sequence[ReceiptUpdate]) -> None:
    return None


def upstream(smsc: SmscSimulator, **settings: Any) -> SmppUpstream:
    values = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "gw",
        "password": "pw",
        "reconnect_delay": 0.05,
        **settings,
    }
    return SmppUpstream("op", SmppSettings.from_json(values), SystemClock())


async def test_deferred_binds_open_only_the_slots_held(smsc: SmscSimulator) -> None:
    op = upstream(smsc, binds=3, window=4, throughput=30)
    assert isinstance(op, SlottedUpstream) and op.bind_slots() == 3
    op.defer_binds()
    await op.start(ignore)
    try:
        await asyncio.sleep(0.2)
        assert open_binds(smsc) == 0 and not op.ready()
        op.open_slot(1)
        op.open_slot(1)  # already open: nothing more
        op.open_slot(3)  # no such slot
        await until(op.ready)
        assert open_binds(smsc) == 1 and op.slot_bound(1) and not op.slot_bound(0)
        # one slot of three: a third of the throughput, the window of one bind
        assert op.window == 4
        assert [s.bucket.rate for s in op._slots.values() if s.bucket] == [10.0]
        assert (await op.submit(outgoing("hi"))).accepted
        op.open_slot(2)
        await until(lambda: op.slot_bound(2))
        assert (open_binds(smsc), op.window) == (2, 8)
        await op.close_slot(1)
        assert open_binds(smsc) == 1 and not op.slot_bound(1)
        op.drop_slots(1.0)
        await until(lambda: open_binds(smsc) == 0)
        assert not op.ready()
    finally:
        await op.close()
    assert smsc.counters.most_binds == 2


async def test_without_deferring_every_slot_binds(smsc: SmscSimulator) -> None:
    op = upstream(smsc, binds=2, bind="tx+rx")
    await op.start(ignore)
    try:
        await until(lambda: open_binds(smsc) == 4)  # a transmitter and a receiver each
        # The SMSC counts a bind when it answers it; the connector, once it read the answer.
        await until(lambda: op.slot_bound(0) and op.slot_bound(1))
    finally:
        await op.close()
    assert open_binds(smsc) == 0


async def one_bind_submitting(smsc: SmscSimulator, **settings: Any) -> tuple[SmppUpstream, Any]:
    """A started upstream of one bind, and a submit it sent that the SMSC holds."""
    op = upstream(smsc, binds=1, **settings)
    op.defer_binds()
    await op.start(ignore)
    op.open_slot(0)
    await until(op.ready)
    sending = asyncio.create_task(op.submit(outgoing("in flight")))
    await until(lambda: smsc.counters.submits_delayed == 1)
    return op, sending


@pytest.mark.parametrize("how", ["close", "drop"])
async def test_a_submit_in_flight_is_answered_before_its_bind_closes(
    smsc: SmscSimulator, how: str
) -> None:
    smsc.submit_delay = 0.3
    op, sending = await one_bind_submitting(smsc)
    try:
        if how == "close":
            await op.close_slot(0)
        else:
            op.drop_slots(5.0)
            op.open_slot(0)  # again at once: it binds once the old bind has closed
            await until(op.ready)
        result = await sending
        assert result.accepted, result
        assert len(smsc.messages) == 1  # sent once
        assert smsc.counters.most_binds == 1
    finally:
        await op.close()


async def test_a_dropped_bind_is_cut_when_its_grace_runs_out(smsc: SmscSimulator) -> None:
    smsc.submit_delay = None  # a hung operator: the submit is never answered
    op, sending = await one_bind_submitting(smsc, retries=0)
    try:
        op.drop_slots(0.2)
        await until(lambda: open_binds(smsc) == 0)
        result = await sending
        assert not result.accepted and result.temporary
    finally:
        await op.close()
