"""The `Upstream` contract (services/ports.py), one test per clause, run against every
implementation in `operators.OPERATORS` (the SMPP one over 127.0.0.1 sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from smsgate.core.messages import PartStatus
from smsgate.services.ports import ReceiptUpdate, UpstreamResult
from tests.integration.connectors.operators import (
    DELIVERED_TO,
    OPERATORS,
    REFUSED_TO,
    UNDELIVERED_TO,
    Operator,
)
from tests.unit.connectors.messages import outgoing

pytestmark = pytest.mark.timeout(60)
PATIENCE = 20.0  # a bound on waits, far above what any of them takes
LONG = "".join(f"word{i:03d} " for i in range(50))  # 3 parts


@pytest.fixture(params=sorted(OPERATORS))
async def operator(request: pytest.FixtureRequest) -> AsyncIterator[Operator]:
    async with OPERATORS[request.param]() as played:
        await until(played.upstream.ready)
        yield played


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(PATIENCE):
        while not condition():
            await asyncio.sleep(0.01)


def shape(result: UpstreamResult) -> tuple[bool, bool, bool]:
    """(accepted, temporary, has an error)."""
    return result.accepted, result.temporary, bool(result.error)


async def test_1_ready_once_started_and_the_operator_is_reached(operator: Operator) -> None:
    assert operator.upstream.ready()


async def test_2_an_accepted_message_has_one_distinct_id_per_part(operator: Operator) -> None:
    first = await operator.upstream.submit(outgoing(LONG, to=DELIVERED_TO, message_id="m1"))
    second = await operator.upstream.submit(outgoing("Hello", to=DELIVERED_TO, message_id="m2"))
    assert shape(first) == shape(second) == (True, False, False)
    assert [p.seq for p in first.parts] == [1, 2, 3]
    assert [p.seq for p in second.parts] == [1]
    ids = [p.upstream_id for p in (*first.parts, *second.parts)]
    assert all(ids) and len(set(ids)) == 4
    assert all(p.error is None for p in (*first.parts, *second.parts))


async def test_3_a_temporary_refusal_is_returned_as_temporary(operator: Operator) -> None:
    operator.refuse_for_now(True)
    refused = await operator.upstream.submit(outgoing("Hello", to=DELIVERED_TO))
    assert shape(refused) == (False, True, True)
    operator.refuse_for_now(False)
    accepted = await operator.upstream.submit(outgoing("Hello", to=DELIVERED_TO))
    assert shape(accepted) == (True, False, False)


async def test_4_a_permanent_refusal_is_returned_as_final(operator: Operator) -> None:
    refused = await operator.upstream.submit(outgoing("Hello", to=REFUSED_TO))
    assert shape(refused) == (False, False, True)
    assert [p.upstream_id for p in refused.parts] == []


async def test_5_receipts_match_the_ids_submit_returned(operator: Operator) -> None:
    upstream, recorded = operator.upstream, operator.recorded
    delivered = await upstream.submit(outgoing(LONG, to=DELIVERED_TO, message_id="m1"))
    undelivered = await upstream.submit(outgoing("Hello", to=UNDELIVERED_TO, message_id="m2"))
    await until(lambda: len(recorded.receipts) >= 4)
    by_id: dict[str | None, ReceiptUpdate] = {r.upstream_id: r for r in recorded.receipts}
    assert len(recorded.receipts) == len(by_id) == 4
    assert {r.connector for r in recorded.receipts} == {upstream.name}
    for part in delivered.parts:
        assert (by_id[part.upstream_id].status, by_id[part.upstream_id].error) == (
            PartStatus.DELIVERED,
            None,
        )
    (part,) = undelivered.parts
    assert by_id[part.upstream_id].status is PartStatus.UNDELIVERED
    assert by_id[part.upstream_id].error


async def test_6_an_mo_is_handed_on_before_the_operator_is_answered(operator: Operator) -> None:
    recorded = operator.recorded
    recorded.mo_gate.clear()
    sending = asyncio.create_task(operator.send_mo("393331234567", "4000", "STOP"))
    await until(lambda: bool(recorded.mo))
    assert not sending.done()  # the operator waits while the MO sink has not returned
    recorded.mo_gate.set()
    async with asyncio.timeout(PATIENCE):
        await sending
    assert recorded.mo == [(operator.upstream.name, "393331234567", "4000", "STOP", "gsm7", 1)]


async def test_7_close_ends_submits_left_unanswered_and_start_takes_messages_again(
    operator: Operator,
) -> None:
    upstream = operator.upstream
    operator.stop_answering()
    waiting = asyncio.create_task(upstream.submit(outgoing("Hello", to=DELIVERED_TO)))
    await until(lambda: operator.holding() == 1)
    async with asyncio.timeout(PATIENCE):
        await upstream.close()
        abandoned = await waiting
    assert (abandoned.accepted, abandoned.temporary) == (False, True)
    operator.answer_again()
    await upstream.start(operator.recorded.sink)
    await until(upstream.ready)
    again = await upstream.submit(outgoing("Hello", to=DELIVERED_TO))
    assert shape(again) == (True, False, False)


async def test_8_a_full_window_to_a_slow_operator_is_all_accepted(operator: Operator) -> None:
    upstream = operator.upstream
    assert upstream.window >= 1
    operator.answer_slowly()
    messages = [
        outgoing("Hello", to=DELIVERED_TO, message_id=f"m{i}") for i in range(upstream.window)
    ]
    async with asyncio.timeout(PATIENCE):
        results = await asyncio.gather(*(upstream.submit(m) for m in messages))
    assert {shape(r) for r in results} == {(True, False, False)}
    assert len({r.parts[0].upstream_id for r in results}) == upstream.window
