"""aiosmpplib (an asyncio ESME with its own codec) against the simulator."""

import asyncio
import logging

import pytest
from aiosmpplib import ESME, AbstractHook, PhoneNumber, SmppMessage
from aiosmpplib import DeliverSm as TheirDeliverSm
from aiosmpplib import SubmitSm as TheirSubmitSm
from aiosmpplib import SubmitSmResp as TheirSubmitSmResp
from aiosmpplib.broker import SimpleBroker

from smsgate.smpp.smsc_simulator import SmscSimulator

pytestmark = pytest.mark.timeout(30)


class RecordingHook(AbstractHook):  # type: ignore[misc]
    def __init__(self) -> None:
        self.messages: list[SmppMessage] = []
        self.errors: list[Exception] = []
        self.changed = asyncio.Event()

    async def sending(self, smpp_message: SmppMessage, pdu: bytes, client_id: str) -> None:
        return None

    async def received(self, smpp_message: SmppMessage | None, pdu: bytes, client_id: str) -> None:
        if smpp_message is not None:
            self.messages.append(smpp_message)
            self.changed.set()

    async def send_error(self, smpp_message: SmppMessage, error: Exception, client_id: str) -> None:
        self.errors.append(error)
        self.changed.set()

    def of(self, kind: type[SmppMessage]) -> list[SmppMessage]:
        return [m for m in self.messages if isinstance(m, kind)]


async def test_aiosmpplib_submits_and_gets_receipts(simulator: SmscSimulator) -> None:
    hook = RecordingHook()
    broker = SimpleBroker()
    esme = ESME(
        smsc_host="127.0.0.1",
        smsc_port=simulator.port,
        system_id="alice",
        password="secret",
        hook=hook,
        broker=broker,
        log_level=logging.WARNING,
        socket_timeout=5.0,
    )
    runner = asyncio.create_task(esme.start())
    texts = ["hello", "Ünïcödé €", "plain"]
    for index, text in enumerate(texts):
        await broker.enqueue(
            TheirSubmitSm(
                short_message=text,
                source=PhoneNumber("smsgate"),
                destination=PhoneNumber(f"39333123456{index}"),
                log_id=str(index),
            )
        )
    async with asyncio.timeout(10):
        while len(hook.of(TheirDeliverSm)) < len(texts):
            hook.changed.clear()
            await hook.changed.wait()
    # aiosmpplib 0.7 half-closes its socket (write_eof) and drops the writer: close it here
    # so the test leaves no unclosed transport behind.
    writer = esme._writer
    await esme.stop()
    await runner
    if writer is not None:
        writer.close()
        await writer.wait_closed()
    responses = hook.of(TheirSubmitSmResp)
    assert len(responses) == len(texts)
    assert all(r.command_status == 0 for r in responses)
    assert not hook.errors
    assert simulator.counters.submits_received == len(texts)
    assert simulator.counters.receipts_acked == len(texts)
