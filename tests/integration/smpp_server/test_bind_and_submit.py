"""Customers bind and submit over SMPP: credentials, bind policy, charging and refusals."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

from smsgate.api.smpp.status import ESME_RINSUFFICIENT_CREDIT
from smsgate.core.accounts import AccountStatus
from smsgate.services.account_policy import AccountPolicy
from smsgate.services.ports import MessageQuery
from smsgate.smpp import CommandStatus
from tests.integration.smpp_server.conftest import PASSWORD, PRICE, Customer, Esme

pytestmark = pytest.mark.timeout(60)


def bind_status(port: int, system_id: str, password: str, kind: str = "bind_transmitter") -> int:
    esme = Esme(port)
    try:
        getattr(esme.client, kind)(system_id=system_id, password=password)
    except smpplib.exceptions.PDUError as exc:
        return int(exc.args[1])
    finally:
        esme.close()
    return 0


async def test_bind_with_account_credentials(alice: Customer) -> None:
    for kind in ("bind_transmitter", "bind_receiver", "bind_transceiver"):
        assert await asyncio.to_thread(bind_status, alice.port, "alice", PASSWORD, kind) == 0


async def test_wrong_password_and_unknown_system_id(alice: Customer) -> None:
    assert (
        await asyncio.to_thread(bind_status, alice.port, "alice", "nope")
        == CommandStatus.ESME_RINVPASWD
    )
    assert (
        await asyncio.to_thread(bind_status, alice.port, "nobody", "x")
        == CommandStatus.ESME_RINVPASWD
    )


async def test_suspended_account_and_suspended_parent(alice: Customer) -> None:
    gateway = alice.gateway
    child = await gateway.accounts.create("kid", parent=alice.account, password="kid-pw12")
    assert await asyncio.to_thread(bind_status, alice.port, "kid", "kid-pw12") == 0
    await gateway.accounts.set_status(alice.account, AccountStatus.SUSPENDED)
    assert (
        await asyncio.to_thread(bind_status, alice.port, "alice", PASSWORD)
        == CommandStatus.ESME_RBINDFAIL
    )
    assert (
        await asyncio.to_thread(bind_status, alice.port, "kid", "kid-pw12")
        == CommandStatus.ESME_RBINDFAIL
    )
    assert child.account.parent_id == alice.account.id


def hold_binds(port: int, count: int) -> list[int]:
    """Open `count` binds at once; return each status, then close them all."""
    esmes: list[Esme] = []
    statuses = []
    try:
        for _ in range(count):
            esme = Esme(port)
            esmes.append(esme)
            try:
                esme.client.bind_transmitter(system_id="alice", password=PASSWORD)
                statuses.append(0)
            except smpplib.exceptions.PDUError as exc:
                statuses.append(int(exc.args[1]))
    finally:
        for esme in esmes:
            esme.close()
    return statuses


async def test_too_many_binds(alice: Customer) -> None:
    await alice.gateway.policies.set(alice.account.id, AccountPolicy(max_binds=2))
    statuses = await asyncio.to_thread(hold_binds, alice.port, 3)
    assert statuses == [0, 0, CommandStatus.ESME_RBINDFAIL]


async def test_no_binds_closes_smpp_to_the_account(alice: Customer) -> None:
    await alice.gateway.policies.set(alice.account.id, AccountPolicy(max_binds=0))
    assert await asyncio.to_thread(hold_binds, alice.port, 1) == [CommandStatus.ESME_RBINDFAIL]


async def test_ip_allow_list(alice: Customer) -> None:
    policies = alice.gateway.policies
    await policies.set(alice.account.id, AccountPolicy(allowed_ips=("10.0.0.0/8",)))
    assert (
        await asyncio.to_thread(bind_status, alice.port, "alice", PASSWORD)
        == CommandStatus.ESME_RBINDFAIL
    )
    await policies.set(alice.account.id, AccountPolicy(allowed_ips=("10.0.0.0/8", "127.0.0.1")))
    assert await asyncio.to_thread(bind_status, alice.port, "alice", PASSWORD) == 0


def submit(port: int, messages: list[dict[str, Any]], bind: str = "bind_transmitter") -> list[Any]:
    """Submit each message; return every submit_sm_resp (errors included)."""
    esme = Esme(port)
    esme.client.set_error_pdu_handler(lambda pdu: None)
    try:
        getattr(esme.client, bind)(system_id="alice", password=PASSWORD)
        for fields in messages:
            esme.client.send_message(**fields)
        esme.read_until(lambda: len(esme.sent) == len(messages))
    finally:
        esme.close()
    return esme.sent


async def test_submit_is_charged_and_answered_with_our_id(alice: Customer) -> None:
    before = await alice.balance()
    sent = await asyncio.to_thread(
        submit,
        alice.port,
        [
            {
                "source_addr": "ACME",
                "source_addr_ton": 5,
                "destination_addr": "393331234567",
                "dest_addr_ton": 1,
                "short_message": b"hello",
            }
        ],
    )
    assert sent[0].status == 0
    message_id = sent[0].message_id.decode()
    stored = await alice.gateway.store.message(message_id)
    assert stored is not None
    assert (stored.account_id, stored.to, stored.sender, stored.text) == (
        alice.account.id,
        "+393331234567",
        "ACME",
        "hello",
    )
    assert await alice.balance() == before - PRICE


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"destination_addr": "12", "short_message": b"hi"}, CommandStatus.ESME_RINVDSTADR),
        ({"destination_addr": "393331234567", "short_message": b""}, CommandStatus.ESME_RINVMSGLEN),
        (
            {
                "destination_addr": "393331234567",
                "short_message": b"hi",
                "source_addr": "WAYTOOLONGSENDER",
            },
            CommandStatus.ESME_RINVSRCADR,
        ),
        (
            {
                "destination_addr": "393331234567",
                "short_message": b"hi",
                "validity_period": "garbage",
            },
            CommandStatus.ESME_RINVEXPIRY,
        ),
        (
            {
                "destination_addr": "393331234567",
                "short_message": b"\x05\x00\x03",
                "esm_class": 0x40,
            },
            CommandStatus.ESME_RINVESMCLASS,
        ),
    ],
)
async def test_bad_submits_change_nothing(
    alice: Customer, fields: dict[str, Any], status: int
) -> None:
    before = await alice.snapshot()
    sent = await asyncio.to_thread(submit, alice.port, [{"source_addr": "ACME", **fields}])
    assert sent[0].status == status
    assert await alice.snapshot() == before


async def test_insufficient_credit_has_its_documented_status(alice: Customer) -> None:
    gateway = alice.gateway
    poor = await gateway.accounts.create("poor", credit=PRICE - 1, password="poorpw12")
    before = (
        await gateway.store.messages(poor.account.id, MessageQuery(limit=10)),
        PRICE - 1,
    )

    def run() -> Any:
        esme = Esme(alice.port)
        esme.client.set_error_pdu_handler(lambda pdu: None)
        try:
            esme.client.bind_transmitter(system_id="poor", password="poorpw12")
            esme.client.send_message(
                source_addr="ACME", destination_addr="393331234567", short_message=b"hi"
            )
            esme.read_until(lambda: len(esme.sent) == 1)
        finally:
            esme.close()
        return esme.sent[0]

    response = await asyncio.to_thread(run)
    assert response.status == ESME_RINSUFFICIENT_CREDIT == 0x401
    account = await gateway.store.account(poor.account.id)
    assert account is not None
    after = (
        await gateway.store.messages(poor.account.id, MessageQuery(limit=10)),
        account.balance,
    )
    assert after == before


async def test_throughput_limit_throttles(alice: Customer) -> None:
    await alice.gateway.policies.set(alice.account.id, AccountPolicy(send_rate=2.0))
    before = await alice.snapshot()
    fields = {"source_addr": "ACME", "destination_addr": "393331234567", "short_message": b"x"}
    sent = await asyncio.to_thread(submit, alice.port, [fields] * 6)
    statuses = [pdu.status for pdu in sent]
    accepted = statuses.count(0)
    assert CommandStatus.ESME_RTHROTTLED in statuses
    assert set(statuses) == {0, CommandStatus.ESME_RTHROTTLED}
    after = await alice.snapshot()
    assert len(after.messages) - len(before.messages) == accepted
    assert before.balance - after.balance == accepted * PRICE


async def test_udh_segments_are_messages_of_one_part_each(alice: Customer) -> None:
    text = "Long message " * 30
    parts, encoding, esm_class = smpplib.gsm.make_parts(text)
    sent = await asyncio.to_thread(
        submit,
        alice.port,
        [
            {
                "source_addr": "ACME",
                "destination_addr": "393331234567",
                "short_message": part,
                "data_coding": encoding,
                "esm_class": esm_class,
            }
            for part in parts
        ],
    )
    assert len(sent) == len(parts) == 3
    assert all(pdu.status == 0 for pdu in sent)
    stored = [await alice.gateway.store.message(pdu.message_id.decode()) for pdu in sent]
    assert all(m is not None and m.parts == 1 and m.udh is not None for m in stored)
    # Responses may come in any order: put the segments back by their UDH sequence number.
    ordered = sorted((m for m in stored if m is not None), key=lambda m: m.udh[-1] if m.udh else 0)
    assert "".join(m.text for m in ordered) == text
    assert await alice.balance() == 10_000_000 - 3 * PRICE


async def test_message_payload_is_split_by_us(alice: Customer) -> None:
    from smsgate.smpp import SubmitSm, connect, tlv

    text = "x" * 300
    async with await connect(
        "127.0.0.1", alice.port, system_id="alice", password=PASSWORD, bind="tx", reconnect=False
    ) as client:
        response = await client.submit(
            SubmitSm(
                source_addr="ACME",
                destination_addr="393331234567",
                tlvs={tlv.MESSAGE_PAYLOAD.tag: text.encode()},
            )
        )
    assert response.command_status == 0
    stored = await alice.gateway.store.message(response.message_id)
    assert stored is not None and stored.parts == 2 and stored.text == text


async def test_sar_segments_keep_an_equivalent_udh(alice: Customer) -> None:
    from smsgate.smpp import SubmitSm, connect, tlv
    from smsgate.text import ConcatInfo, build_udh

    async with await connect(
        "127.0.0.1", alice.port, system_id="alice", password=PASSWORD, bind="tx", reconnect=False
    ) as client:
        response = await client.submit(
            SubmitSm(
                source_addr="ACME",
                destination_addr="393331234567",
                short_message=b"first half",
                tlvs={
                    tlv.SAR_MSG_REF_NUM.tag: 0x1234,
                    tlv.SAR_TOTAL_SEGMENTS.tag: 2,
                    tlv.SAR_SEGMENT_SEQNUM.tag: 1,
                },
            )
        )
    assert response.command_status == 0
    stored = await alice.gateway.store.message(response.message_id)
    assert stored is not None and stored.parts == 1
    assert stored.udh == build_udh(ConcatInfo(0x34, 2, 1))
