"""MO webhooks from the real gateway on SQLite and PostgreSQL, the MO injected over a real
SMPP bind from the SMSC simulator: a number's Agile Telecom receiver gets its MO until it
answers `+OK`, an account's default webhook gets smsgate's JSON, and a reply to an SMS
Partner send made by `requests` with `urlResponse` reaches that URL in SMS Partner's shape."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests

from smsgate.app import Gateway
from smsgate.services.inbound_numbers import AGILETELECOM, NumberToAdd
from smsgate.services.inbound_plan import InboundSettings
from smsgate.services.ports import MessageQuery
from smsgate.smpp.smsc_simulator import SmscSimulator
from smsgate.webhooks.signing import HEADER, verify
from tests.integration.gateway import open_gateway, served_http
from tests.integration.webhooks.receiving import LoopbackReceiver, serving

pytestmark = pytest.mark.timeout(60)

SECRET = "mo-secret"


class Receiver(LoopbackReceiver):
    """Keeps every POST by path; /agile answers `KO` first, then `+OK`."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: dict[str, list[tuple[dict[str, str], bytes]]] = {}

    async def answer(
        self, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> None:
        seen = self.posts.setdefault(path, [])
        seen.append((headers, body))
        text = b"" if path != "/agile" else b"KO" if len(seen) == 1 else b"+OK\n"
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text))

    async def wait_for(self, path: str, count: int) -> list[bytes]:
        async with asyncio.timeout(20):
            while len(self.posts.get(path, [])) < count:
                await asyncio.sleep(0.02)
        return [body for _, body in self.posts[path]]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving(Receiver()) as found:
        yield found


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    simulator = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"})
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def gateway(tmp_path: Path, database_url: str) -> AsyncIterator[Gateway]:
    settings: dict[str, Any] = {"database_url": database_url} if database_url else {}
    settings |= {"webhook_secret": SECRET, "webhook_base_delay": 0.05}
    async with open_gateway(tmp_path, **settings) as gateway:
        yield gateway


async def start_bound(gateway: Gateway, smsc: SmscSimulator) -> None:
    settings = {"host": "127.0.0.1", "port": smsc.port, "system_id": "gw", "password": "pw"}
    await gateway.connectors.add("op", "smpp", settings)
    await gateway.start(smpp=False)
    async with asyncio.timeout(20):
        while smsc.counters.binds < 1:
            await asyncio.sleep(0.02)


async def test_a_number_s_agile_receiver_and_an_account_s_default_webhook(
    gateway: Gateway, smsc: SmscSimulator, receiver: Receiver
) -> None:
    alice = await gateway.accounts.create("alice", default_country="IT")
    bob = await gateway.accounts.create("bob", default_country="IT")
    now = gateway.clock.now()
    agile = NumberToAdd(
        "+393330000001", alice.account.id, None, receiver.url("/agile"), now, AGILETELECOM
    )
    await gateway.store.add_number(agile)
    await gateway.numbers.add("3000", default_account=bob.account)
    await gateway.inbound_settings.set(InboundSettings(bob.account.id, receiver.url("/native")))
    await start_bound(gateway, smsc)

    response = await smsc.inject_mo("393331234567", "393330000001", b"Ciao", system_id="gw")
    assert response.command_status == 0
    for text in (b"first", b"second"):
        await smsc.inject_mo("393339999999", "3000", text, system_id="gw")

    first, second = await receiver.wait_for("/agile", 2)
    assert first == second, "the same MO again: the first answer was not +OK"
    assert parse_qs(first.decode())["originator"] == ["+393331234567"]
    assert parse_qs(first.decode())["text"] == ["Ciao"]
    bodies = await receiver.wait_for("/native", 2)
    assert [json.loads(body)["text"] for body in bodies] == ["first", "second"]
    headers, body = receiver.posts["/native"][0]
    assert verify(SECRET, body, headers[HEADER.lower()], now=int(gateway.clock.now()))
    async with asyncio.timeout(20):  # every row ends delivered: nothing is posted again
        while await gateway.store.due_mo_webhooks(gateway.clock.now() + 10_000, 10):
            await asyncio.sleep(0.02)
    assert len(receiver.posts["/agile"]) == 2 and len(receiver.posts["/native"]) == 2


# The shape of SMS Partner's published Python samples (tests/integration/compat/
# test_smspartner_clients.py), sending with urlResponse.
class SMSPartner:
    def __init__(self, url: str, api_key: str) -> None:
        self.url, self.api_key = url, api_key

    def send_sms(self, phone_numbers: str, message: str, sender: str, url_response: str) -> Any:
        data = OrderedDict(
            [
                ("apiKey", self.api_key),
                ("phoneNumbers", phone_numbers),
                ("message", message),
                ("sender", sender),
                ("urlResponse", url_response),
            ]
        )
        url = self.url + "/send"
        r = requests.post(url, data=json.dumps(data), verify=False, timeout=30)
        return r.json()


async def test_a_reply_to_an_sms_partner_send_reaches_its_url_response(
    gateway: Gateway, smsc: SmscSimulator, receiver: Receiver
) -> None:
    await gateway.accounts.set_price(None, "33", 50_000)
    alice = await gateway.accounts.create("alice", credit=10_000_000, default_country="FR")
    await start_bound(gateway, smsc)
    async with served_http(gateway.api_context()) as base:
        client = SMSPartner(f"{base}/v1", alice.api_key)
        url = receiver.url("/sp?campaign=7")
        sent = await asyncio.to_thread(client.send_sms, "0612345678", "Venez ?", "36001", url)
        assert sent["success"] is True, sent
        bad = await asyncio.to_thread(client.send_sms, "0612345678", "x", "36001", "ftp://x")
        assert (bad["success"], bad["code"]) == (False, 9), bad
    stored = await gateway.store.messages(alice.account.id, MessageQuery(limit=10))
    assert [m.reply_url for m in stored] == [url], "the refused send stored nothing"

    await smsc.inject_mo("33612345678", "36001", b"Oui merci", system_id="gw")
    await smsc.inject_mo("33612345678", "36001", b"STOP", system_id="gw")
    bodies = [json.loads(body) for body in await receiver.wait_for("/sp?campaign=7", 2)]
    assert bodies == [
        {
            "type": "response",
            "phone_number": "+33612345678",
            "text": "Oui merci",
            "message_id": sent["message_id"],
        },
        {
            "type": "stop",
            "phone_number": "+33612345678",
            "text": "STOP",
            "message_id": sent["message_id"],
        },
    ]
