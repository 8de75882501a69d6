"""query_sm and cancel_sm on the account's own messages; malformed input stays local."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from aiosmpplib import ESME, AbstractHook, PhoneNumber, SmppMessage
from aiosmpplib import DeliverSm as TheirDeliverSm
from aiosmpplib import SubmitSm as TheirSubmitSm
from aiosmpplib import SubmitSmResp as TheirSubmitSmResp
from aiosmpplib.broker import SimpleBroker

from smsgate.core.messages import Status
from smsgate.smpp import (
    CancelSm,
    CommandStatus,
    MessageState,
    QuerySm,
    QuerySmResp,
    SmppClient,
    SubmitSm,
    connect,
    parse_receipt_text,
)
from tests.integration.smpp_server.conftest import (
    CREDIT,
    PASSWORD,
    PRICE,
    Customer,
    stop_aiosmpplib,
)

pytestmark = pytest.mark.timeout(60)


async def bind(
    customer: Customer, system_id: str = "alice", password: str = PASSWORD
) -> SmppClient:
    return await connect(
        "127.0.0.1", customer.port, system_id=system_id, password=password, reconnect=False
    )


async def query_sm(client: SmppClient, message_id: str) -> QuerySmResp:
    response = await client.request(QuerySm(message_id=message_id))
    assert isinstance(response, QuerySmResp)
    return response


def schedule_in(seconds: int) -> str:
    return time.strftime("%y%m%d%H%M%S0", time.gmtime(time.time() + seconds)) + "00+"


async def test_query_and_cancel_a_scheduled_message(alice: Customer) -> None:
    async with await bind(alice) as client:
        submitted = await client.submit(
            SubmitSm(
                source_addr="ACME",
                destination_addr="393331234567",
                short_message=b"later",
                schedule_delivery_time=schedule_in(3600),
            )
        )
        assert submitted.command_status == 0
        message_id = submitted.message_id
        query = await query_sm(client, message_id)
        assert (query.command_status, query.message_state) == (0, MessageState.SCHEDULED)
        assert await alice.balance() == CREDIT - PRICE
        cancel = await client.request(CancelSm(message_id=message_id))
        assert cancel.command_status == 0
        again = await client.request(CancelSm(message_id=message_id))
        assert again.command_status == CommandStatus.ESME_RCANCELFAIL
        query = await query_sm(client, message_id)
        assert query.message_state == MessageState.DELETED and query.final_date
    stored = await alice.gateway.store.message(message_id)
    assert stored is not None and stored.status is Status.CANCELLED
    assert await alice.balance() == CREDIT


async def test_another_accounts_message_is_unknown(alice: Customer) -> None:
    await alice.gateway.accounts.create("bob", credit=CREDIT, password="bobpw123")
    async with await bind(alice) as client:
        submitted = await client.submit(
            SubmitSm(
                source_addr="ACME",
                destination_addr="393331234567",
                short_message=b"mine",
                schedule_delivery_time=schedule_in(3600),
            )
        )
    async with await bind(alice, "bob", "bobpw123") as other:
        query = await other.request(QuerySm(message_id=submitted.message_id))
        assert query.command_status == CommandStatus.ESME_RQUERYFAIL
        cancel = await other.request(CancelSm(message_id=submitted.message_id))
        assert cancel.command_status == CommandStatus.ESME_RCANCELFAIL
        unknown = await other.request(QuerySm(message_id="nope"))
        assert unknown.command_status == CommandStatus.ESME_RQUERYFAIL
    stored = await alice.gateway.store.message(submitted.message_id)
    assert stored is not None and stored.status is Status.SCHEDULED


async def test_garbage_on_one_session_does_not_touch_another(alice: Customer) -> None:
    async with await bind(alice) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", alice.port)
        writer.write(
            b"\x00\x00\x00\x10\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x01"
            + b"GET / HTTP/1.1\r\n\r\n" * 4
        )
        await writer.drain()
        await reader.read(4096)
        writer.close()
        await writer.wait_closed()
        submitted = await client.submit(
            SubmitSm(
                source_addr="ACME", destination_addr="393331234567", short_message=b"still here"
            )
        )
        assert submitted.command_status == 0


class RecordingHook(AbstractHook):  # type: ignore[misc]
    def __init__(self) -> None:
        self.messages: list[SmppMessage] = []
        self.changed = asyncio.Event()

    async def sending(self, smpp_message: SmppMessage, pdu: bytes, client_id: str) -> None:
        return None

    async def received(self, smpp_message: SmppMessage | None, pdu: bytes, client_id: str) -> None:
        if smpp_message is not None:
            self.messages.append(smpp_message)
            self.changed.set()

    async def send_error(self, smpp_message: SmppMessage, error: Exception, client_id: str) -> None:
        self.changed.set()

    def of(self, kind: type[SmppMessage]) -> list[SmppMessage]:
        return [m for m in self.messages if isinstance(m, kind)]


async def test_aiosmpplib_customer_submits_and_gets_receipts(alice: Customer) -> None:
    hook, broker = RecordingHook(), SimpleBroker()
    esme = ESME(
        smsc_host="127.0.0.1",
        smsc_port=alice.port,
        system_id="alice",
        password=PASSWORD,
        hook=hook,
        broker=broker,
        log_level=logging.WARNING,
        socket_timeout=5.0,
    )
    runner = asyncio.create_task(esme.start())
    for index, text in enumerate(["hello", "Ünïcödé €"]):
        await broker.enqueue(
            TheirSubmitSm(
                short_message=text,
                source=PhoneNumber("ACME"),
                destination=PhoneNumber(f"39333123456{index}"),
                log_id=str(index),
            )
        )
    async with asyncio.timeout(15):
        while len(hook.of(TheirDeliverSm)) < 2:
            hook.changed.clear()
            await hook.changed.wait()
    await stop_aiosmpplib(esme, runner)
    responses = hook.of(TheirSubmitSmResp)
    assert [r.command_status for r in responses] == [0, 0]
    # One receipt for each message: the Unicode one's too, not the first one twice.
    receipted = [parse_receipt_text(d.short_message).message_id for d in hook.of(TheirDeliverSm)]
    assert sorted(receipted) == sorted(r.message_id for r in responses)
    stored = {m.text for m in await alice.messages()}
    assert stored == {"hello", "Ünïcödé €"}
    assert await alice.balance() == CREDIT - 2 * PRICE
