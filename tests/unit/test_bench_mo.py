"""The MO benchmark's peers and table: the upstream SMSC delivers every MO within its
window and sends refused ones again, the webhook and SMPP receivers count ids and
repeats, and the table reports lost and duplicated from those counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bench.mo import KEYWORDS, PathResult, Result, mos, table, wait_done
from bench.mo_peers import (
    Arrivals,
    Upstream,
    UpstreamSession,
    WebhookReceiver,
    mo_ids,
    mo_text,
    receive_mo,
)
from smsgate.smpp import CommandStatus, DataSm, DeliverSm, connect


def test_ids_are_read_from_a_text_or_a_body_and_repeats_are_counted() -> None:
    assert mo_text("PIZZA", 42) == "PIZZA mo0000042"
    assert mo_ids(b'{"text": "PIZZA mo0000042", "id": 7}') == [42]
    assert mo_ids(b"mo123 xmo0000001 mo0000002 mo0000003") == [2, 3]
    arrivals = Arrivals()
    for mo_id in (0, 2, 2, 3, 0):
        arrivals.add(mo_id, 1.0 + mo_id)
    assert (sorted(arrivals.seen), arrivals.duplicates) == ([0, 2, 3], 2)
    assert (arrivals.first, arrivals.last) == (1.0, 4.0)
    assert arrivals.lost(5) == 2


def test_mo_are_spread_over_numbers_and_keywords() -> None:
    made = mos(8, 3)
    assert [m.source for m in made[:4]] == [
        "393330000000",
        "393330000001",
        "393330000002",
        "393330000000",
    ]
    assert {m.text.split()[0] for m in made} == set(KEYWORDS)
    assert [mo_ids(m.text.encode()) for m in made] == [[i] for i in range(8)]


def test_the_table_reports_rates_lost_duplicated_and_cpu_per_mo() -> None:
    result = Result(
        sent=1000,
        acked=1000,
        refused=3,
        ack_seconds=0.5,
        paths=(PathResult("webhook", 0, 0, 0.0), PathResult("SMPP bind", 998, 4, 1.0)),
        cpu_seconds=0.25,
        timed_out=True,
    )
    lines = table(result).splitlines()
    assert lines[2] == "| upstream deliver_sm acknowledged | 1,000/1,000 | 2,000 | 0 | - |"
    assert lines[3] == "| delivered by webhook | 0/1,000 | 0 | 1,000 | 0 |"
    assert lines[4] == "| delivered by SMPP bind | 998/1,000 | 998 | 2 | 4 |"
    assert lines[-1] == (
        "gateway CPU: 0.25 s over the run, 250 µs per MO acknowledged; "
        "refused and sent again: 3; stopped by --timeout"
    )


async def test_waiting_ends_when_every_path_has_all_or_at_the_timeout() -> None:
    upstream = Upstream([], 1)
    complete = Arrivals(seen={0})
    upstream.sent = 1
    assert await wait_done(upstream, [complete], settle=600, timeout=60) is False
    unfinished = Upstream(mos(1, 1), 1)
    assert await wait_done(unfinished, [Arrivals()], settle=0, timeout=0.2) is True


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, int]]:
    state = Upstream(mos(50, 5), window=4, started=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: UpstreamSession(state), "127.0.0.1", 0)
    yield state, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_the_upstream_keeps_its_window_and_sends_a_refused_mo_again(
    upstream: tuple[Upstream, int],
) -> None:
    state, port = upstream
    texts: list[str] = []
    active, most = 0, 0

    async def on_message(pdu: DeliverSm | DataSm) -> int:
        nonlocal active, most
        assert isinstance(pdu, DeliverSm) and pdu.esm_class == 0
        assert (pdu.destination_addr, pdu.source_addr_ton) == ("3000", 1)
        active += 1
        most = max(most, active)
        await asyncio.sleep(0)
        active -= 1
        text = pdu.short_message.decode()
        texts.append(text)
        return (
            CommandStatus.ESME_RTHROTTLED if texts.count(text) == 1 and "mo0000007" in text else 0
        )

    client = await connect(
        "127.0.0.1", port, system_id="gw", password="pw", window=10, on_message=on_message,
        reconnect=False,
    )  # fmt: skip
    try:
        state.start()
        async with asyncio.timeout(10):
            await state.done.wait()
    finally:
        await client.close()
    assert (state.acked, state.refused) == (50, 1)
    assert sorted(i for t in texts for i in mo_ids(t.encode())) == sorted([*range(50), 7])
    assert 1 < most <= 4


async def test_a_receiver_bind_counts_what_it_is_delivered(
    upstream: tuple[Upstream, int],
) -> None:
    state, port = upstream
    arrivals, stop = Arrivals(), asyncio.Event()
    receiving = asyncio.create_task(receive_mo(port, "pizza", "pw", arrivals, stop))
    async with asyncio.timeout(10):
        while not state.sessions:
            await asyncio.sleep(0.01)
        state.start()
        await state.done.wait()
    stop.set()
    await receiving
    assert (sorted(arrivals.seen), arrivals.duplicates) == (list(range(50)), 0)


async def test_the_webhook_receiver_answers_ok_and_counts_ids() -> None:
    arrivals = Arrivals()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: WebhookReceiver(arrivals), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for mo_id in (5, 6, 5):
            body = f'{{"id": 1, "text": "{mo_text("INFO", mo_id)}"}}'.encode()
            writer.write(
                b"POST /mo/info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ") and await reader.readexactly(3) == b"+OK"
        writer.close()
        await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
    assert (sorted(arrivals.seen), arrivals.duplicates) == ([5, 6], 1)
