"""The SMSC simulator, driven by our client over 127.0.0.1."""

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from smsgate.smpp import (
    BindError,
    CancelSm,
    CommandStatus,
    DataSm,
    DeliverSm,
    MessageState,
    QuerySm,
    QuerySmResp,
    Receipt,
    SmeAddress,
    SmppError,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    normalize_message_id,
    parse_receipt_text,
    receipt_from_pdu,
    tlv,
)
from smsgate.smpp.client import SmppClient
from smsgate.smpp.smsc_simulator import SmscSimulator, main

pytestmark = pytest.mark.timeout(30)


class Inbox:
    """Collects what the simulator delivers to a client."""

    def __init__(self) -> None:
        self.pdus: list[DeliverSm | DataSm] = []
        self.changed = asyncio.Event()

    async def __call__(self, pdu: DeliverSm | DataSm) -> int | None:
        self.pdus.append(pdu)
        self.changed.set()
        return None

    async def wait_for(self, count: int, seconds: float = 5.0) -> None:
        async with asyncio.timeout(seconds):
            while len(self.pdus) < count:
                self.changed.clear()
                await self.changed.wait()

    @property
    def receipts(self) -> dict[str, Receipt]:
        return {r.message_id: r for r in map(receipt_from_pdu, self.pdus)}


@pytest.fixture
async def inbox_client(simulator: SmscSimulator) -> AsyncIterator[tuple[SmppClient, Inbox]]:
    inbox = Inbox()
    client = SmppClient(
        "127.0.0.1",
        simulator.port,
        system_id="alice",
        password="secret",
        on_message=inbox,
        reconnect_delay=0.05,
    )
    await client.start()
    yield client, inbox
    await client.close()


def submit(destination: str, registered_delivery: int = 1) -> SubmitSm:
    return SubmitSm(
        source_addr_ton=5,
        source_addr="smsgate",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr=destination,
        short_message=b"hello",
        registered_delivery=registered_delivery,
    )


async def test_receipts_follow_destination_rules(
    simulator: SmscSimulator, inbox_client: tuple[SmppClient, Inbox]
) -> None:
    client, inbox = inbox_client
    ok = await client.submit(submit("393331234567"))
    undeliv = await client.submit(submit("393330000001"))
    refused = await client.submit(submit("393330000002"))
    silent = await client.submit(submit("393330000003"))
    assert refused.command_status == CommandStatus.ESME_RSUBMITFAIL
    assert 0 == ok.command_status == undeliv.command_status == silent.command_status
    await inbox.wait_for(2)
    await asyncio.sleep(0.15)
    receipts = inbox.receipts
    assert set(receipts) == {ok.message_id, undeliv.message_id}
    assert receipts[ok.message_id].state is MessageState.DELIVERED
    assert receipts[undeliv.message_id].state is MessageState.UNDELIVERABLE
    assert receipts[undeliv.message_id].network_error == tlv.NetworkErrorCode(3, 1)
    pdu = next(p for p in inbox.pdus if tlv.RECEIPTED_MESSAGE_ID.get(p.tlvs) == ok.message_id)
    assert isinstance(pdu, DeliverSm)
    assert pdu.esm_class == 0x04
    assert (pdu.source_addr, pdu.source_addr_ton) == ("393331234567", 1)
    assert (pdu.destination_addr, pdu.dest_addr_ton) == ("smsgate", 5)
    text = parse_receipt_text(pdu.short_message)
    assert (text.message_id, text.stat, text.delivered) == (ok.message_id, "DELIVRD", 1)
    counters = simulator.counters
    assert (counters.submits_received, counters.acked, counters.rejected) == (4, 3, 1)
    assert counters.receipts_sent == counters.receipts_acked == 2


async def test_registered_delivery_choices(
    simulator: SmscSimulator, inbox_client: tuple[SmppClient, Inbox]
) -> None:
    client, inbox = inbox_client
    none = await client.submit(submit("393331234567", registered_delivery=0))
    failure_only_ok = await client.submit(submit("393331234567", registered_delivery=2))
    failure_only_bad = await client.submit(submit("393330000001", registered_delivery=2))
    await inbox.wait_for(1)
    await asyncio.sleep(0.15)
    assert set(inbox.receipts) == {failure_only_bad.message_id}
    assert none.message_id and failure_only_ok.message_id


async def test_outcome_mix_is_seeded() -> None:
    simulator = SmscSimulator(
        "127.0.0.1", 0, outcomes={"DELIVRD": 0.5, "EXPIRED": 0.5}, seed=7, receipt_delay=0.01
    )
    await simulator.start()
    inbox = Inbox()
    async with SmppClient(
        "127.0.0.1", simulator.port, system_id="x", password="y", on_message=inbox, window=40
    ) as client:
        await asyncio.gather(*(client.submit(submit(f"3933312345{i:02d}")) for i in range(40)))
        await inbox.wait_for(40)
    await simulator.stop()
    states = [r.state for r in inbox.receipts.values()]
    assert 5 < states.count(MessageState.EXPIRED) < 35
    assert states.count(MessageState.DELIVERED) + states.count(MessageState.EXPIRED) == 40


async def test_decimal_receipt_ids_for_hex_submit_ids() -> None:
    simulator = SmscSimulator(
        "127.0.0.1", 0, id_format="hex", receipt_id_format="dec", receipt_delay=0.01
    )
    await simulator.start()
    inbox = Inbox()
    async with SmppClient(
        "127.0.0.1", simulator.port, system_id="x", password="y", on_message=inbox
    ) as client:
        response = await client.submit(submit("393331234567"))
        await inbox.wait_for(1)
    await simulator.stop()
    text_id = parse_receipt_text(inbox.pdus[0].short_message).message_id  # type: ignore[union-attr]
    assert re.fullmatch(r"[0-9A-F]+", response.message_id)
    assert text_id.isdigit() and text_id != response.message_id
    assert normalize_message_id(text_id, "dec") == normalize_message_id(response.message_id, "hex")
    assert tlv.RECEIPTED_MESSAGE_ID.get(inbox.pdus[0].tlvs) == response.message_id


async def test_throttling() -> None:
    simulator = SmscSimulator("127.0.0.1", 0, throttle_per_second=5, sink=True)
    await simulator.start()
    async with SmppClient(
        "127.0.0.1", simulator.port, system_id="x", password="y", window=20
    ) as client:
        responses = await asyncio.gather(*(client.submit(submit("1")) for _ in range(20)))
    await simulator.stop()
    statuses = [r.command_status for r in responses]
    assert CommandStatus.ESME_RTHROTTLED in statuses
    assert 1 <= statuses.count(0) <= 10


async def test_forced_queue_full(
    simulator: SmscSimulator, inbox_client: tuple[SmppClient, Inbox]
) -> None:
    client, _ = inbox_client
    simulator.fail_submits(CommandStatus.ESME_RMSGQFUL)
    assert (await client.submit(submit("1"))).command_status == CommandStatus.ESME_RMSGQFUL
    simulator.fail_submits(None)
    assert (await client.submit(submit("1"))).command_status == 0


async def test_dropped_connections_are_rebound(
    simulator: SmscSimulator, inbox_client: tuple[SmppClient, Inbox]
) -> None:
    client, _ = inbox_client
    simulator.drop_connections()
    async with asyncio.timeout(5):
        while client.binds < 2:
            await asyncio.sleep(0.02)
    assert (await client.submit(submit("1"))).command_status == 0


async def test_inject_mo(simulator: SmscSimulator, inbox_client: tuple[SmppClient, Inbox]) -> None:
    _, inbox = inbox_client
    response = await simulator.inject_mo("393331234567", "4000", b"STOP", system_id="alice")
    assert response.command_status == 0
    (mo,) = inbox.pdus
    assert isinstance(mo, DeliverSm)
    assert (mo.source_addr, mo.destination_addr, mo.short_message) == (
        "393331234567",
        "4000",
        b"STOP",
    )
    assert mo.esm_class == 0
    assert simulator.counters.mo_sent == 1
    with pytest.raises(SmppError):
        await simulator.inject_mo("1", "2", b"x", system_id="nobody")


async def test_sink_mode_only_acknowledges() -> None:
    simulator = SmscSimulator("127.0.0.1", 0, sink=True, receipt_delay=0.01)
    await simulator.start()
    inbox = Inbox()
    async with SmppClient(
        "127.0.0.1", simulator.port, system_id="x", password="y", on_message=inbox
    ) as client:
        response = await client.submit(submit("393331234567"))
        await asyncio.sleep(0.1)
    await simulator.stop()
    assert response.command_status == 0
    assert inbox.pdus == []
    assert simulator.counters.acked == 1
    assert simulator.messages == {}


async def test_query_and_cancel(
    simulator: SmscSimulator, inbox_client: tuple[SmppClient, Inbox]
) -> None:
    client, _inbox = inbox_client
    simulator.receipt_delay = 5
    pending = await client.submit(submit("393331234567"))
    query = await client.request(QuerySm(message_id=pending.message_id))
    assert isinstance(query, QuerySmResp)
    assert query.message_state == MessageState.ENROUTE
    cancel = await client.request(CancelSm(message_id=pending.message_id))
    assert cancel.command_status == 0
    again = await client.request(QuerySm(message_id=pending.message_id))
    assert isinstance(again, QuerySmResp)
    assert again.message_state == MessageState.DELETED
    assert again.final_date.endswith("000+")
    unknown = await client.request(QuerySm(message_id="nope"))
    assert unknown.command_status == CommandStatus.ESME_RINVMSGID
    assert (
        await client.request(CancelSm(message_id="nope"))
    ).command_status == CommandStatus.ESME_RCANCELFAIL


async def test_data_sm_and_submit_multi(
    simulator: SmscSimulator, inbox_client: tuple[SmppClient, Inbox]
) -> None:
    client, _inbox = inbox_client
    data = await client.request(
        DataSm(destination_addr="393331234567", tlvs={tlv.MESSAGE_PAYLOAD.tag: b"long text"})
    )
    assert data.command_status == 0
    multi = await client.request(
        SubmitMulti(
            dest_addresses=[SmeAddress("393331234567"), SmeAddress("393330000002")],
            short_message=b"hi",
        )
    )
    assert isinstance(multi, SubmitMultiResp)
    assert multi.command_status == 0
    assert [u.destination_addr for u in multi.unsuccess_smes] == ["393330000002"]
    refused = await client.request(SubmitMulti(dest_addresses=[SmeAddress("393330000002")]))
    assert refused.command_status == CommandStatus.ESME_RSUBMITFAIL


@pytest.mark.parametrize(
    ("system_id", "password", "status"),
    [("alice", "nope", CommandStatus.ESME_RINVPASWD), ("eve", "x", CommandStatus.ESME_RINVSYSID)],
)
async def test_configured_credentials(
    simulator: SmscSimulator, system_id: str, password: str, status: int
) -> None:
    with pytest.raises(BindError) as info:
        await SmppClient(
            "127.0.0.1", simulator.port, system_id=system_id, password=password
        ).start()
    assert info.value.command_status == status


def test_main_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--id-format", "octal"])
    assert "invalid choice" in capsys.readouterr().err


async def test_runs_as_a_module() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsgate.smpp.smsc_simulator",
        "--port",
        "0",
        "--sink",
        "--log-level",
        "WARNING",
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(20):
            line = (await process.stdout.readline()).decode()
            port = int(line.rsplit(":", 1)[1])
            async with SmppClient("127.0.0.1", port, system_id="x", password="y") as client:
                assert (await client.submit(submit("1"))).command_status == 0
            process.send_signal(signal.SIGINT)
            rest = (await process.stdout.read()).decode()
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "acked=1" in rest
