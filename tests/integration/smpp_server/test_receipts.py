"""Receipts and MO reach customers as deliver_sm on their receiver binds, durably."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import smpplib.gsm

from smsgate.services.inbound import InboundMessage, InboundStore
from smsgate.services.inbound_plan import MoEffects
from smsgate.smpp import parse_receipt_text
from tests.integration.smpp_server.conftest import PASSWORD, PRICE, Customer, Esme

pytestmark = pytest.mark.timeout(60)


def submit_and_collect(port: int, messages: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """Submit over a transceiver bind and wait for one receipt per accepted message."""
    esme = Esme(port)
    try:
        esme.client.bind_transceiver(system_id="alice", password=PASSWORD)
        for fields in messages:
            esme.client.send_message(source_addr="ACME", registered_delivery=1, **fields)
        esme.read_until(lambda: len(esme.sent) == len(messages))
        esme.read_until(lambda: len(esme.received) >= len(messages))
    finally:
        esme.close()
    return esme.sent, esme.received


async def test_receipt_carries_our_id(alice: Customer) -> None:
    sent, received = await asyncio.to_thread(
        submit_and_collect,
        alice.port,
        [{"destination_addr": "393331234567", "dest_addr_ton": 1, "short_message": b"hello"}],
    )
    message_id = sent[0].message_id.decode()
    receipt = received[0]
    assert receipt.esm_class == 0x04
    assert receipt.receipted_message_id.decode() == message_id
    assert receipt.message_state == 2
    parsed = parse_receipt_text(receipt.short_message)
    assert (parsed.message_id, parsed.stat, parsed.error) == (message_id, "DELIVRD", "000")
    assert receipt.source_addr == b"393331234567"
    assert receipt.destination_addr == b"ACME"
    assert await alice.balance() == 10_000_000 - PRICE


async def test_one_receipt_per_segment(alice: Customer) -> None:
    parts, encoding, esm_class = smpplib.gsm.make_parts("Segmented text " * 25)
    sent, received = await asyncio.to_thread(
        submit_and_collect,
        alice.port,
        [
            {
                "destination_addr": "393331234567",
                "short_message": part,
                "data_coding": encoding,
                "esm_class": esm_class,
            }
            for part in parts
        ],
    )
    ids = {pdu.message_id.decode() for pdu in sent}
    assert len(ids) == len(parts) == 3
    assert {pdu.receipted_message_id.decode() for pdu in received} == ids
    assert await alice.balance() == 10_000_000 - 3 * PRICE


def submit_only(port: int) -> str:
    esme = Esme(port)
    try:
        esme.client.bind_transmitter(system_id="alice", password=PASSWORD)
        esme.client.send_message(
            source_addr="ACME",
            destination_addr="393331234567",
            short_message=b"later",
            registered_delivery=1,
        )
        esme.read_until(lambda: len(esme.sent) == 1)
    finally:
        esme.close()
    return str(esme.sent[0].message_id.decode())


def receive(port: int, count: int) -> list[Any]:
    esme = Esme(port)
    try:
        esme.client.bind_receiver(system_id="alice", password=PASSWORD)
        esme.read_until(lambda: len(esme.received) >= count)
    finally:
        esme.close()
    return esme.received


async def test_receipts_wait_for_a_receiver_bind(alice: Customer) -> None:
    message_id = await asyncio.to_thread(submit_only, alice.port)
    store = alice.store
    async with asyncio.timeout(15):
        while not (await store.smpp_pending(alice.account.id, 10)):
            await asyncio.sleep(0.05)
    pending = await store.smpp_pending(alice.account.id, 10)
    assert [item.message.id for item in pending if item.message] == [message_id]
    received = await asyncio.to_thread(receive, alice.port, 1)
    assert received[0].receipted_message_id.decode() == message_id
    async with asyncio.timeout(15):
        while await store.smpp_pending(alice.account.id, 10):
            await asyncio.sleep(0.05)


async def test_inbound_sms_is_delivered_as_plain_deliver_sm(alice: Customer) -> None:
    store = alice.gateway.store
    assert isinstance(store, InboundStore)
    await store.add_inbound(
        InboundMessage(
            "simulator", "+393331234567", "4321", "STOP please", "gsm7", 1, 1.0, alice.account.id
        ),
        MoEffects(smpp=True),
    )
    received = await asyncio.to_thread(receive, alice.port, 1)
    mo = received[0]
    assert mo.esm_class == 0
    assert (mo.source_addr, mo.destination_addr, mo.short_message) == (
        b"393331234567",
        b"4321",
        b"STOP please",
    )


async def test_receipts_claimed_by_this_node_go_out_after_its_delivery_restarts(
    alice: Customer,
) -> None:
    message_id = await asyncio.to_thread(submit_only, alice.port)
    store, node = alice.store, alice.gateway.node.node_id
    async with asyncio.timeout(15):
        while not (await store.smpp_pending(alice.account.id, 10)):
            await asyncio.sleep(0.05)
    # claimed by this (live) node, as by a delivery that stopped with it in flight
    assert len(await store.smpp_claim(alice.account.id, 10, node, 60.0)) == 1
    assert await store.smpp_waiting_accounts() == []
    delivery = alice.gateway.smpp.delivery
    await delivery.stop()  # a clean stop releases this node's claims
    assert await store.smpp_waiting_accounts() == [alice.account.id]
    delivery.start()
    received = await asyncio.to_thread(receive, alice.port, 1)
    assert received[0].receipted_message_id.decode() == message_id
