"""A message is charged for exactly the parts it is sent as, whatever its connector's settings.

The submit use case, the dispatcher and SMPP connectors run on a real SQLite or PostgreSQL
store against an SMSC simulator over 127.0.0.1 that keeps every submit_sm it answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from smsgate.connectors.registry import PARSERS, SCHEMES
from smsgate.connectors.smpp import SmppUpstream
from smsgate.connectors.smpp_settings import SmppSettings
from smsgate.core.accounts import Account
from smsgate.core.ledger import EntryKind, LedgerEntry
from smsgate.core.messages import Message
from smsgate.services.catalog import Catalog
from smsgate.services.clock import SystemClock, TimeOrderedIds
from smsgate.services.connectors import ConnectorService, ConnectorStore
from smsgate.services.counters import Counters
from smsgate.services.dispatch import Dispatcher
from smsgate.services.plans import RoutePlans
from smsgate.services.ports import Store, Upstream
from smsgate.services.routing import Router, RouteService, RouteStore
from smsgate.services.submit import SubmitCommand, SubmitService
from smsgate.smpp import CommandStatus, EsmClass, SubmitSm, tlv
from smsgate.smpp.smsc_simulator import SmscSimulator
from smsgate.text import Concat, Encoding, count_units, encoding_for_data_coding, parse_udh
from smsgate.text import decode as decode_text
from tests.integration.backends import Database
from tests.integration.store.scenario import funded

pytestmark = pytest.mark.timeout(60)
PRICE = 10_000  # micro-units per part
TO = "+393331234567"
REJECTED_TO = "+393330000002"  # the simulator refuses every part to …0002


class CountingSmsc(SmscSimulator):
    """The simulator, keeping each submit_sm; from the `refuse_from`-th on it refuses them."""

    def __init__(self) -> None:
        super().__init__("127.0.0.1", 0, receipt_delay=60.0)
        self.pdus: list[SubmitSm] = []
        self.refuse_from: int | None = None

    async def on_submit(self, session: Any, pdu: SubmitSm) -> tuple[int, str]:
        self.pdus.append(pdu)
        if self.refuse_from is not None and len(self.pdus) >= self.refuse_from:
            return CommandStatus.ESME_RSUBMITFAIL, ""
        return await super().on_submit(session, pdu)

    def sms_sent(self) -> int:
        """The SMS the accepted PDUs make: one each, or as many as a message_payload needs."""
        count = 0
        for pdu in self.pdus[: None if self.refuse_from is None else self.refuse_from - 1]:
            payload = tlv.MESSAGE_PAYLOAD.get(pdu.tlvs)
            if payload is None:
                count += 1
                continue
            encoding = encoding_for_data_coding(pdu.data_coding)
            text = decode_text(payload, encoding)
            count += count_units(text, encoding=encoding, concat=Concat.PAYLOAD).parts
        return count


@dataclass
class Gateway:
    store: Store
    account: Account
    submit: SubmitService
    dispatcher: Dispatcher
    upstreams: dict[str, Upstream]

    async def send(self, text: str, to: str = TO) -> Message:
        command = SubmitCommand(to=(to,), sender="smsgate", text=text)
        accepted = await self.submit.submit(self.account, command)
        (message,) = accepted.messages
        for upstream in self.upstreams.values():
            async with asyncio.timeout(10):
                while not upstream.ready():
                    await asyncio.sleep(0.01)
        assert await self.dispatcher.dispatch_once() == 1
        await self.dispatcher.drain()
        found = await self.store.message(message.id)
        assert found is not None
        return found

    async def entries(self) -> list[LedgerEntry]:
        entries = await self.store.ledger(self.account.id, limit=100, before_id=None)
        return [e for e in reversed(entries) if e.kind is not EntryKind.TOPUP]


async def ignore(receipts: object) -> None:
    del receipts


@pytest.fixture
async def smsc() -> AsyncIterator[CountingSmsc]:
    simulator = CountingSmsc()
    await simulator.start()
    yield simulator
    await simulator.stop()


async def gateway(
    db: Database,
    smsc: CountingSmsc,
    connectors: Mapping[str, Mapping[str, Any]],
    *,
    bound: tuple[str, ...] | None = None,
    credit: int = 100 * PRICE,
) -> Gateway:
    """Connectors routed in the given order (the first is the best route); only those in
    `bound` are running, so the router fails over to them."""
    store = await db.open()
    assert isinstance(store, ConnectorStore) and isinstance(store, RouteStore)
    clock = SystemClock()
    definitions = ConnectorService(store, PARSERS, clock.now)
    routes = RouteService(store, clock.now)
    upstreams: dict[str, Upstream] = {}
    for priority, (name, settings) in enumerate(connectors.items()):
        values = {
            "host": "127.0.0.1",
            "port": smsc.port,
            "system_id": "gw",
            "password": "pw",
            "retries": 0,
            **settings,
        }
        await definitions.add(name, "smpp", values)
        await routes.add("39", name, priority=priority)
        if bound is None or name in bound:
            upstream = SmppUpstream(name, SmppSettings.from_json(values), clock)
            await upstream.start(ignore)
            upstreams[name] = upstream
    router = Router(lambda: upstreams, default="simulator")
    router.replace_routes(await routes.list())
    plans = RoutePlans(routes.list, definitions.list, SCHEMES, clock)
    account = await funded(store, "acme", credit)
    await store.set_price(None, "39", PRICE)
    submit = SubmitService(store, Catalog(store, clock), clock, TimeOrderedIds(), plans=plans)
    dispatcher = Dispatcher(store, router, clock, Counters(), plans=plans)
    return Gateway(store, account, submit, dispatcher, upstreams)


async def closed(gw: Gateway) -> None:
    for upstream in gw.upstreams.values():
        await upstream.close()


CASES = [
    # connector settings, text, parts
    ({}, "a" * 160, 1),
    ({}, "a" * 161, 2),
    ({"default_alphabet": "latin1"}, "a" * 140, 1),
    ({"default_alphabet": "latin1"}, "a" * 160, 2),  # priced 1 and sent 2 before
    ({"default_alphabet": "latin1"}, "[" * 140, 1),  # 280 septets in GSM 7-bit
    ({"default_alphabet": "latin1"}, "€" * 80, 2),  # not in Latin-1: UCS-2
    ({"concat": "udh16"}, "a" * 304, 2),
    ({"concat": "udh16"}, "a" * 306, 3),  # priced 2 and sent 3 before
    ({"concat": "udh16"}, "я" * 133, 3),  # UCS-2: 66 a part, not 67
    ({"concat": "udh16"}, "€" * 76 + "a" * 9, 2),  # 161 septets, a pair never split
    ({"concat": "sar"}, "a" * 306, 2),
    ({"concat": "sar"}, "я" * 135, 3),
    ({"concat": "payload"}, "a" * 307, 3),
    ({"concat": "payload", "default_alphabet": "latin1"}, "a" * 269, 3),
]


@pytest.mark.parametrize(("settings", "text", "parts"), CASES)
async def test_parts_sent_equal_parts_charged(
    sql_database: Database,
    smsc: CountingSmsc,
    settings: dict[str, Any],
    text: str,
    parts: int,
) -> None:
    gw = await gateway(sql_database, smsc, {"op": settings})
    try:
        message = await gw.send(text)
    finally:
        await closed(gw)
    assert message.status.value == "sent"
    assert smsc.sms_sent() == parts == message.parts
    (charge,) = await gw.entries()
    assert (charge.kind, charge.amount) == (EntryKind.CHARGE, -parts * PRICE)
    concat = Concat(settings.get("concat", "udh8"))
    for pdu in smsc.pdus:
        if concat is Concat.PAYLOAD:
            assert tlv.MESSAGE_PAYLOAD.get(pdu.tlvs) and not pdu.short_message
        elif concat is Concat.SAR and parts > 1:
            assert tlv.SAR_TOTAL_SEGMENTS.get(pdu.tlvs) == parts
        elif parts > 1:
            info = parse_udh(pdu.short_message).concat
            assert info is not None and info.total == parts
            header = 7 if concat is Concat.UDH16 else 6
            assert pdu.esm_class & EsmClass.UDHI and pdu.short_message[0] == header - 1
    if settings.get("default_alphabet") == "latin1":
        expected = Encoding.UCS2 if "€" in text else Encoding.LATIN1
        assert {encoding_for_data_coding(p.data_coding) for p in smsc.pdus} == {expected}


async def test_the_quote_is_the_plan_of_the_route(
    sql_database: Database, smsc: CountingSmsc
) -> None:
    gw = await gateway(sql_database, smsc, {"op": {"default_alphabet": "latin1"}})
    try:
        quote = await gw.submit.quote(gw.account, SubmitCommand((TO,), "smsgate", "a" * 160))
    finally:
        await closed(gw)
    assert (quote.encoding, quote.parts, quote.cost) == ("latin1", 2, 2 * PRICE)


async def test_a_failover_to_fewer_parts_refunds_the_difference(
    sql_database: Database, smsc: CountingSmsc
) -> None:
    connectors = {"u16": {"concat": "udh16"}, "plain": {}}
    gw = await gateway(sql_database, smsc, connectors, bound=("plain",))
    try:
        message = await gw.send("a" * 306)
    finally:
        await closed(gw)
    assert (len(smsc.pdus), message.parts, message.cost) == (2, 2, 2 * PRICE)
    assert (message.encoding, message.concat) == ("gsm7", "udh8")
    amounts = [(e.kind, e.amount) for e in await gw.entries()]
    assert amounts == [(EntryKind.CHARGE, -3 * PRICE), (EntryKind.ADJUSTMENT, PRICE)]


async def test_latin1_planned_text_stays_latin1_on_another_connector(
    sql_database: Database, smsc: CountingSmsc
) -> None:
    connectors = {"lat": {"default_alphabet": "latin1"}, "plain": {}}
    gw = await gateway(sql_database, smsc, connectors, bound=("plain",))
    try:
        message = await gw.send("a" * 160)
    finally:
        await closed(gw)
    assert (len(smsc.pdus), message.parts, message.encoding) == (2, 2, "latin1")
    assert {encoding_for_data_coding(p.data_coding) for p in smsc.pdus} == {Encoding.LATIN1}
    amounts = [(e.kind, e.amount) for e in await gw.entries()]
    assert amounts == [(EntryKind.CHARGE, -2 * PRICE)]


async def test_a_failover_to_more_parts_charges_them_even_beyond_the_balance(
    sql_database: Database, smsc: CountingSmsc
) -> None:
    connectors = {"plain": {}, "u16": {"concat": "udh16"}}
    gw = await gateway(sql_database, smsc, connectors, bound=("u16",), credit=2 * PRICE)
    try:
        message = await gw.send("a" * 306)
    finally:
        await closed(gw)
    assert (len(smsc.pdus), message.parts, message.concat) == (3, 3, "udh16")
    entries = await gw.entries()
    amounts = [(e.kind, e.amount) for e in entries]
    assert amounts == [(EntryKind.CHARGE, -2 * PRICE), (EntryKind.ADJUSTMENT, -PRICE)]
    assert entries[-1].balance_after == -PRICE
    account = await gw.store.account(gw.account.id)
    assert account is not None and account.balance == -PRICE


@pytest.mark.parametrize(("refuse_from", "accepted"), [(1, 0), (2, 1), (3, 2)])
async def test_refused_parts_are_refunded_on_the_plan_sent(
    sql_database: Database, smsc: CountingSmsc, refuse_from: int, accepted: int
) -> None:
    connectors = {"plain": {}, "u16": {"concat": "udh16"}}
    gw = await gateway(sql_database, smsc, connectors, bound=("u16",))
    smsc.refuse_from = refuse_from
    try:
        message = await gw.send("a" * 306)
    finally:
        await closed(gw)
    assert message.status.value == "rejected" and message.parts == 3
    entries = await gw.entries()
    kinds = [e.kind for e in entries]
    assert kinds == [EntryKind.CHARGE, EntryKind.ADJUSTMENT, EntryKind.REFUND]
    assert -sum(e.amount for e in entries) == accepted * PRICE == smsc.sms_sent() * PRICE
    states = [p.status.value for p in await gw.store.parts(message.id)]
    assert states == ["sent"] * accepted + ["rejected"] * (3 - accepted)


async def test_a_refusal_of_every_part_refunds_the_whole_plan_sent(
    sql_database: Database, smsc: CountingSmsc
) -> None:
    connectors = {"plain": {}, "lat": {"default_alphabet": "latin1"}}
    gw = await gateway(sql_database, smsc, connectors, bound=("lat",))
    try:
        message = await gw.send("a" * 160, to=REJECTED_TO)
    finally:
        await closed(gw)
    assert (message.status.value, message.parts, len(smsc.pdus)) == ("rejected", 2, 1)
    amounts = [(e.kind, e.amount) for e in await gw.entries()]
    assert amounts == [
        (EntryKind.CHARGE, -PRICE),
        (EntryKind.ADJUSTMENT, -PRICE),
        (EntryKind.REFUND, 2 * PRICE),
    ]
