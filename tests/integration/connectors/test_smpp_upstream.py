"""SmppUpstream against our SMSC simulator over real sockets: submits, retries, receipts, MO."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from smsgate.connectors.smpp import SmppUpstream
from smsgate.connectors.smpp_settings import SmppSettings
from smsgate.core.messages import PartStatus
from smsgate.services.clock import SystemClock
from smsgate.services.inbound import InboundMessage, InboundService
from smsgate.services.inbound_plan import NO_EFFECTS, MoEffects
from smsgate.services.ports import ReceiptUpdate
from smsgate.smpp import CommandStatus, normalize_message_id, tlv
from smsgate.smpp.smsc_simulator import SmscSimulator
from smsgate.store import MemoryStore
from smsgate.text import Encoding, encode
from tests.unit.connectors.messages import outgoing

pytestmark = pytest.mark.timeout(60)
LONG = "".join(f"word{i:03d} " for i in range(50))  # 3 parts


class MoStore(MemoryStore):
    """A memory store that also lists the MO it stored, as it stored them, and their flags."""

    def __init__(self) -> None:
        super().__init__()
        self.mo: list[tuple[str, str, str, str, str, int]] = []
        self.flags: list[str | None] = []

    async def add_inbound(self, mo: InboundMessage, effects: MoEffects = NO_EFFECTS) -> int:
        self.mo.append((mo.connector, mo.source, mo.destination, mo.text, mo.encoding, mo.parts))
        self.flags.append(mo.flag)
        return await super().add_inbound(mo, effects)


class Collected:
    """A receipt sink that keeps what it is given, and the MO service over a MoStore."""

    def __init__(self) -> None:
        self.receipts: list[ReceiptUpdate] = []
        self.store = MoStore()
        self.inbound = InboundService(self.store, SystemClock())

    @property
    def mo(self) -> list[tuple[str, str, str, str, str, int]]:
        return self.store.mo

    async def sink(self, receipts: Sequence[ReceiptUpdate]) -> None:
        self.receipts.extend(receipts)

    async def wait_receipts(self, count: int) -> list[ReceiptUpdate]:
        async with asyncio.timeout(20):
            while len(self.receipts) < count:
                await asyncio.sleep(0.01)
        return self.receipts


@pytest.fixture
async def simulator() -> AsyncIterator[SmscSimulator]:
    smsc = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"}, receipt_delay=0.05)
    await smsc.start()
    yield smsc
    await smsc.stop()


async def started(smsc: SmscSimulator, collected: Collected, **settings: Any) -> SmppUpstream:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "gw",
        "password": "pw",
        "reconnect_delay": 0.05,
        "retry_delay": 0.05,
        "response_timeout": 5.0,
        **settings,
    }
    upstream = SmppUpstream("op", SmppSettings.from_json(values), SystemClock(), collected.inbound)
    await upstream.start(collected.sink)
    return upstream


async def test_a_message_is_accepted_and_its_receipt_matches_the_normalized_id(
    simulator: SmscSimulator,
) -> None:
    collected = Collected()
    upstream = await started(simulator, collected)
    try:
        result = await upstream.submit(outgoing("Hello"))
        assert (result.accepted, result.temporary, result.error) == (True, False, None)
        ((seq, upstream_id, error),) = [(p.seq, p.upstream_id, p.error) for p in result.parts]
        raw = next(iter(simulator.messages))  # the simulator answers hex ids
        assert (seq, upstream_id, error) == (1, normalize_message_id(raw, "hex"), None)
        (receipt,) = await collected.wait_receipts(1)
        assert (receipt.connector, receipt.upstream_id) == ("op", upstream_id)
        assert (receipt.status, receipt.error) == (PartStatus.DELIVERED, None)
    finally:
        await upstream.close()


async def test_receipt_ids_in_decimal_match_submit_ids_in_hex() -> None:
    smsc = SmscSimulator("127.0.0.1", 0, id_format="hex", receipt_id_format="dec")
    await smsc.start()
    collected = Collected()
    upstream = await started(smsc, collected, system_id="any", id_format="hex")
    try:
        result = await upstream.submit(outgoing("Hello", to="+393330000001"))
        (receipt,) = await collected.wait_receipts(1)
        assert receipt.upstream_id == result.parts[0].upstream_id
        assert receipt.status is PartStatus.UNDELIVERED
        assert receipt.error is not None and receipt.error.startswith("UNDELIV")
    finally:
        await upstream.close()
        await smsc.stop()


async def test_parts_go_out_in_order_and_each_gets_its_receipt(simulator: SmscSimulator) -> None:
    collected = Collected()
    upstream = await started(simulator, collected, concat="sar")
    try:
        result = await upstream.submit(outgoing(LONG))
        assert result.accepted and [p.seq for p in result.parts] == [1, 2, 3]
        ids = [normalize_message_id(raw, "hex") for raw in simulator.messages]
        assert [p.upstream_id for p in result.parts] == ids
        receipts = await collected.wait_receipts(3)
        assert sorted(r.upstream_id for r in receipts) == sorted(ids)
    finally:
        await upstream.close()


async def test_temporary_refusals_are_retried_by_the_connector(simulator: SmscSimulator) -> None:
    collected = Collected()
    upstream = await started(simulator, collected, retries=100)
    simulator.fail_submits(CommandStatus.ESME_RMSGQFUL)

    async def recover() -> None:
        while simulator.counters.rejected < 2:
            await asyncio.sleep(0.01)
        simulator.fail_submits(None)

    try:
        result, _ = await asyncio.gather(upstream.submit(outgoing("Hello")), recover())
        assert result.accepted
        assert simulator.counters.rejected >= 2 and simulator.counters.acked == 1
    finally:
        await upstream.close()


async def test_throttling_that_lasts_gives_a_temporary_result(simulator: SmscSimulator) -> None:
    collected = Collected()
    upstream = await started(simulator, collected, retries=2)
    simulator.fail_submits(CommandStatus.ESME_RTHROTTLED)
    try:
        result = await upstream.submit(outgoing("Hello"))
        assert (result.accepted, result.temporary) == (False, True)
        assert result.error == "ESME_RTHROTTLED (0x00000058)"
        assert simulator.counters.rejected == 3  # the first try and two retries
    finally:
        await upstream.close()


async def test_a_permanent_refusal_is_final_and_named(simulator: SmscSimulator) -> None:
    collected = Collected()
    upstream = await started(simulator, collected)
    try:
        result = await upstream.submit(outgoing("Hello", to="+393330000002"))
        assert (result.accepted, result.temporary, result.parts) == (False, False, ())
        assert result.error == "ESME_RSUBMITFAIL (0x00000045)"
        assert simulator.counters.rejected == 1
    finally:
        await upstream.close()


async def test_dropped_connections_mid_window_lose_no_message(simulator: SmscSimulator) -> None:
    collected = Collected()
    upstream = await started(simulator, collected, window=5, binds=2)
    messages = [outgoing(LONG, message_id=f"m{i}") for i in range(20)]

    async def drop() -> None:
        while simulator.counters.acked < 10:
            await asyncio.sleep(0.001)
        simulator.drop_connections()

    try:
        results, _ = await asyncio.gather(
            asyncio.gather(*(upstream.submit(m) for m in messages)), drop()
        )
        assert all(r.accepted for r in results)
        assert all([p.seq for p in r.parts] == [1, 2, 3] for r in results)
        assert simulator.counters.binds >= 3  # two binds, and at least one rebind
    finally:
        await upstream.close()


async def test_receipts_sent_before_the_submit_response_still_arrive() -> None:
    smsc = SmscSimulator("127.0.0.1", 0, receipt_delay=0.0)
    await smsc.start()
    collected = Collected()
    upstream = await started(smsc, collected, system_id="any")
    try:
        results = await asyncio.gather(
            *(upstream.submit(outgoing("Hi", message_id=f"m{i}")) for i in range(10))
        )
        receipts = await collected.wait_receipts(10)
        assert {r.upstream_id for r in receipts} == {r.parts[0].upstream_id for r in results}
    finally:
        await upstream.close()
        await smsc.stop()


async def test_tx_and_rx_binds(simulator: SmscSimulator) -> None:
    collected = Collected()
    upstream = await started(simulator, collected, bind="tx+rx", binds=2)
    try:
        result = await upstream.submit(outgoing("Hello"))
        assert result.accepted
        await collected.wait_receipts(1)  # arrives on a receiver bind
        assert simulator.counters.binds == 4
    finally:
        await upstream.close()


async def test_mo_is_stored_before_it_is_acknowledged(simulator: SmscSimulator) -> None:
    collected = Collected()
    upstream = await started(simulator, collected, throughput=50)
    try:
        await upstream.submit(outgoing("Hello"))  # the bind is up once this returns
        response = await simulator.inject_mo("393331234567", "4000", b"STOP", system_id="gw")
        assert response.command_status == 0
        assert collected.mo == [("op", "393331234567", "4000", "STOP", "gsm7", 1)]
        ucs2 = encode("Привет", Encoding.UCS2)
        await simulator.inject_mo("393331234567", "4000", ucs2, data_coding=8, system_id="gw")
        assert collected.mo[-1][3:] == ("Привет", "ucs2", 1)
    finally:
        await upstream.close()


async def test_multipart_mo_is_reassembled_from_sar_parts(simulator: SmscSimulator) -> None:
    collected = Collected()
    upstream = await started(simulator, collected)
    pieces = [b"Hello ", b"from ", b"three parts"]
    try:
        await upstream.submit(outgoing("Hello"))
        for sequence in (2, 1, 3):
            sar = {
                tlv.SAR_MSG_REF_NUM.tag: 77,
                tlv.SAR_TOTAL_SEGMENTS.tag: 3,
                tlv.SAR_SEGMENT_SEQNUM.tag: sequence,
            }
            response = await simulator.inject_mo(
                "393331234567", "4000", pieces[sequence - 1], system_id="gw", tlvs=sar
            )
            assert response.command_status == 0
            assert len(collected.mo) == (1 if sequence == 3 else 0)
        assert collected.mo == [("op", "393331234567", "4000", "Hello from three parts", "gsm7", 3)]
    finally:
        await upstream.close()


async def test_a_refused_bind_does_not_block_and_submits_fail_temporarily(
    simulator: SmscSimulator,
) -> None:
    collected = Collected()
    upstream = await started(
        simulator, collected, password="wrong", response_timeout=0.3, retries=0
    )
    try:
        result = await upstream.submit(outgoing("Hello"))
        assert (result.accepted, result.temporary, result.error) == (False, True, "not bound")
        assert simulator.counters.binds == 0
    finally:
        await upstream.close()


async def test_the_throughput_limit_keeps_under_the_operator_throttle() -> None:
    # The SMSC refuses more than 20 submits in one second of the loop clock; at 10/s with
    # bursts of 10, no second can see more than 20.
    smsc = SmscSimulator("127.0.0.1", 0, throttle_per_second=20, sink=True)
    await smsc.start()
    collected = Collected()
    upstream = await started(smsc, collected, system_id="any", throughput=10, retries=0)
    try:
        results = await asyncio.gather(
            *(upstream.submit(outgoing("Hi", message_id=f"m{i}")) for i in range(30))
        )
        assert all(r.accepted for r in results)
        assert (smsc.counters.acked, smsc.counters.rejected) == (30, 0)
    finally:
        await upstream.close()
        await smsc.stop()
