"""smpplib (a blocking ESME, run in a thread) against our server: an independent peer."""

import asyncio
import time
from typing import Any

import pytest
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp

from smsgate.smpp import parse_receipt_text
from smsgate.smpp.smsc_simulator import SmscSimulator

pytestmark = pytest.mark.timeout(30)


class Esme:
    """A smpplib client that records what it sends and receives."""

    def __init__(self, port: int) -> None:
        self.client = smpplib.client.Client(
            "127.0.0.1", port, timeout=5, allow_unknown_opt_params=True
        )
        self.sent: list[Any] = []
        self.received: list[Any] = []
        self.client.set_message_sent_handler(lambda pdu: self.sent.append(pdu))
        self.client.set_message_received_handler(lambda pdu: self.received.append(pdu))

    def read_until(self, done: Any, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            assert time.monotonic() < deadline, "peer did not answer in time"
            self.client.read_once()

    def close(self) -> None:
        self.client.disconnect()


def _submit_and_receipts(port: int) -> tuple[list[Any], list[Any]]:
    esme = Esme(port)
    esme.client.connect()
    try:
        esme.client.bind_transceiver(system_id="alice", password="secret")
        esme.client.send_message(
            source_addr_ton=5,
            source_addr="smsgate",
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr="393331234567",
            short_message=b"hello from smpplib",
            registered_delivery=1,
        )
        esme.client.send_message(
            destination_addr="393330000001", short_message=b"x", registered_delivery=1
        )
        esme.read_until(lambda: len(esme.sent) == 2 and len(esme.received) == 2)
        esme.client.unbind()
    finally:
        esme.close()
    return esme.sent, esme.received


async def test_submit_and_receive_receipts(simulator: SmscSimulator) -> None:
    sent, received = await asyncio.to_thread(_submit_and_receipts, simulator.port)
    ids = [pdu.message_id.decode() for pdu in sent]
    assert all(pdu.status == 0 for pdu in sent)
    by_id = {pdu.receipted_message_id.decode(): pdu for pdu in received}
    assert set(by_id) == set(ids)
    delivered, undelivered = by_id[ids[0]], by_id[ids[1]]
    assert delivered.esm_class == 0x04
    assert delivered.message_state == 2
    assert parse_receipt_text(delivered.short_message).stat == "DELIVRD"
    assert delivered.destination_addr == b"smsgate"
    assert undelivered.message_state == 5
    assert parse_receipt_text(undelivered.short_message).stat == "UNDELIV"
    assert simulator.counters.receipts_acked == 2


def _bind_with(port: int, password: str) -> int:
    esme = Esme(port)
    esme.client.connect()
    try:
        esme.client.bind_transmitter(system_id="alice", password=password)
    except smpplib.exceptions.PDUError as exc:
        return int(exc.args[1])
    finally:
        esme.close()
    return 0


async def test_wrong_password_is_reported(simulator: SmscSimulator) -> None:
    status = await asyncio.to_thread(_bind_with, simulator.port, "wrong")
    assert status == smpplib.consts.SMPP_ESME_RINVPASWD


def _long_message(port: int, text: str) -> list[Any]:
    esme = Esme(port)
    esme.client.connect()
    try:
        esme.client.bind_transmitter(system_id="bob", password="hunter2")
        parts, encoding, esm_class = smpplib.gsm.make_parts(text)
        for part in parts:
            esme.client.send_message(
                destination_addr="393331234567",
                short_message=part,
                data_coding=encoding,
                esm_class=esm_class,
            )
        esme.read_until(lambda: len(esme.sent) == len(parts))
        esme.client.unbind()
    finally:
        esme.close()
    return esme.sent


async def test_long_message_via_udh(simulator: SmscSimulator) -> None:
    text = "Long message " * 30
    sent = await asyncio.to_thread(_long_message, simulator.port, text)
    assert len(sent) == 3
    assert len({pdu.message_id for pdu in sent}) == 3
    assert simulator.counters.submits_received == 3


def _enquire_link(port: int) -> str:
    esme = Esme(port)
    esme.client.connect()
    try:
        esme.client.bind_transceiver(system_id="alice", password="secret")
        esme.client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=esme.client))
        reply = esme.client.read_pdu()
        esme.client.unbind()
    finally:
        esme.close()
    return str(reply.command)


async def test_enquire_link(simulator: SmscSimulator) -> None:
    assert await asyncio.to_thread(_enquire_link, simulator.port) == "enquire_link_resp"
