"""The SMSC dialect on a real SQLite store: send, status, balance, get and senders,
in each format and charset."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest

from smsgate.core.messages import PartStatus, Status
from smsgate.services.ports import ReceiptUpdate, SendOutcome, SentPart
from tests.integration.compat.smsc_harness import PASSWORD, Smsc, smsc_gateway

PHONE = "79991234567"


@pytest.fixture
async def smsc(tmp_path: Path) -> AsyncIterator[Smsc]:
    async with smsc_gateway(tmp_path) as gateway:
        yield gateway


async def test_send_answers_in_every_format_and_charges(smsc: Smsc) -> None:
    base = {"phones": PHONE, "mes": "hello", "sender": "ACME", "cost": "3"}

    text = await smsc.text("send", **base, id="1")
    csv = await smsc.text("send", **base, id="2", fmt="1")
    xml = await smsc.text("send", **base, id="3", fmt="2")
    body = json.loads(await smsc.text("send", **base, id="4", fmt="3"))

    assert text == "OK - 1 SMS, ID - 1, COST - 0.05, BALANCE - 9.95"
    assert csv == "2,1,0.05,9.90"
    assert xml == "<result><id>3</id><cnt>1</cnt><cost>0.05</cost><balance>9.85</balance></result>"
    assert body == {"id": 4, "cnt": 1, "cost": "0.05", "balance": "9.80"}
    assert await smsc.balance() == 9_800_000
    sent = await smsc.messages()
    assert sorted(m.reference or "" for m in sent) == ["1", "2", "3", "4"]
    assert {(m.to, m.sender, m.text, m.cost) for m in sent} == {
        ("+79991234567", "ACME", "hello", 50_000)
    }


async def test_send_many_phones_counts_parts_and_cost_modes(smsc: Smsc) -> None:
    long_text = "x" * 200  # two parts each
    quote_only = await smsc.text(
        "send",
        phones=f"{PHONE},79991234568;79991234569",
        mes=long_text,
        sender="ACME",
        cost="1",
        fmt="3",
    )
    assert json.loads(quote_only) == {"cost": "0.30", "cnt": 6}
    assert await smsc.messages() == [], "cost=1 only quotes"

    plain = await smsc.text(
        "send", phones=f"{PHONE},79991234568", mes=long_text, sender="ACME", fmt="1"
    )
    message_id, count = plain.split(",")
    assert int(message_id) > 2_147_483_647, "a generated id never meets a client's"
    assert count == "4"
    with_cost = await smsc.text(
        "send", phones=PHONE, mes="hi", sender="ACME", cost="2", fmt="1", id="9"
    )
    assert with_cost == "9,1,0.05"
    assert await smsc.balance() == 10_000_000 - 5 * 50_000


async def test_same_client_id_is_not_charged_twice(smsc: Smsc) -> None:
    params = {"phones": PHONE, "mes": "hi", "sender": "ACME", "id": "42", "fmt": "1"}
    assert await smsc.text("send", **params) == "42,1"
    assert await smsc.text("send", **params) == "42,1"
    assert len(await smsc.messages()) == 1
    assert await smsc.balance() == 10_000_000 - 50_000


async def test_list_sends_a_text_per_line_and_status_finds_each(smsc: Smsc) -> None:
    answer = await smsc.text(
        "send", list=f"{PHONE}:first\n79991234568:second text", sender="ACME", id="7", fmt="3"
    )
    assert json.loads(answer) == {"id": 7, "cnt": 2}
    texts = {m.to: m.text for m in await smsc.messages()}
    assert texts == {"+79991234567": "first", "+79991234568": "second text"}
    status = json.loads(
        await smsc.text("status", id="7,7", phone=f"{PHONE},79991234568", all="1", fmt="3")
    )
    assert [(s["id"], s["phone"], s["message"]) for s in status] == [
        ("7", PHONE, "first"),
        ("7", "79991234568", "second text"),
    ]


async def test_status_follows_the_message_to_delivered(smsc: Smsc) -> None:
    await smsc.text("send", phones=PHONE, mes="hi", sender="ACME", id="5")
    waiting = json.loads(await smsc.text("status", id="5", phone=PHONE, fmt="3"))
    assert (waiting["status"], waiting["err"]) == (-1, 0)

    store = smsc.gateway.store
    (claimed,) = await store.claim(smsc.gateway.clock.now() + 1, 10)
    await store.record_sends(
        [
            SendOutcome(
                claimed.id,
                Status.SENT,
                "sim",
                (SentPart(1, "up-1", PartStatus.SENT, None),),
                None,
                0,
                None,
            )
        ],
        smsc.gateway.clock.now(),
    )
    assert (await smsc.text("status", id="5", phone=PHONE, fmt="1")).startswith("0,")
    await store.apply_receipts(
        [ReceiptUpdate("sim", "up-1", PartStatus.DELIVERED, None, smsc.gateway.clock.now())]
    )

    csv = await smsc.text("status", id="5", phone=f"+{PHONE}", fmt="1", all="1")
    fields = csv.split(",")
    assert fields[0] == "1" and fields[2] == "0"
    assert fields[4:] == [PHONE, "0.05", "ACME", "Delivered", "hi"]
    text = await smsc.text("status", id="5", phone=PHONE)
    assert text.startswith("Status = 1, check_time = ")
    xml = await smsc.text("status", id="5", phone=PHONE, fmt="2")
    assert xml.startswith("<result><status>1</status><last_date>")


async def test_status_of_an_unknown_message_is_minus_three(smsc: Smsc) -> None:
    assert json.loads(await smsc.text("status", id="999", phone=PHONE, fmt="3"))["status"] == -3
    assert (await smsc.text("status", id="999,", phone=f"{PHONE},", fmt="1")) == (
        f"-3,0,0,999,{PHONE}"
    )


async def test_windows_1251_in_and_out(smsc: Smsc) -> None:
    text = "Привет, мир"
    encoded = quote(text.encode("cp1251"))
    response = await smsc.http.get(
        f"/sys/send.php?login=alice&psw={PASSWORD}&phones={PHONE}&sender=ACME&id=3&fmt=3"
        f"&mes={encoded}&charset=windows-1251"
    )
    assert json.loads(response.text) == {"id": 3, "cnt": 1}
    (message,) = await smsc.messages()
    assert message.text == text

    # No charset: SMSC's default, windows-1251, both ways.
    status = await smsc.http.get(
        f"/sys/status.php?login=alice&psw={PASSWORD}&phone={PHONE}&id=3&all=1&fmt=1"
    )
    assert status.headers["content-type"] == "text/plain; charset=windows-1251"
    assert status.content.decode("cp1251").endswith(",Waiting to be sent," + text)
    utf8 = await smsc.text("status", phone=PHONE, id="3", all="1", fmt="1", charset="utf-8")
    assert utf8.endswith(text)


async def test_post_form_and_api_key(smsc: Smsc) -> None:
    response = await smsc.call(
        "send",
        "POST",
        auth=False,
        apikey=smsc.key,
        phones=PHONE,
        mes="Ёлка",
        sender="ACME",
        charset="utf-8",
        fmt="3",
    )
    assert json.loads(response.text)["cnt"] == 1
    assert (await smsc.messages())[0].text == "Ёлка"


async def test_post_multipart(smsc: Smsc) -> None:
    fields = {"login": "alice", "psw": PASSWORD, "phones": PHONE, "mes": "Ёлка", "fmt": "3"}
    response = await smsc.http.post(
        "/sys/send.php?sender=ACME", files={k: (None, v) for k, v in fields.items()}
    )
    assert json.loads(response.text)["cnt"] == 1
    (message,) = await smsc.messages()
    assert (message.text, message.sender) == ("Ёлка", "ACME")


async def test_balance_with_and_without_currency(smsc: Smsc) -> None:
    assert await smsc.text("balance") == "10.00"
    assert await smsc.text("balance", cur="1") == "10.00 EUR"
    assert await smsc.text("balance", fmt="1", cur="1") == "10.00,EUR"
    assert await smsc.text("balance", fmt="2") == "<result><balance>10.00</balance></result>"
    assert json.loads(await smsc.text("balance", fmt="3", cur="1")) == {
        "balance": "10.00",
        "currency": "EUR",
    }


async def test_get_messages_and_stat(smsc: Smsc) -> None:
    await smsc.text("send", phones=PHONE, mes="one", sender="ACME", id="1")
    await smsc.text("send", phones="79991234568", mes="two", sender="ACME", id="2")

    history = json.loads(await smsc.text("get", get_messages="1", fmt="3", cnt="10"))
    assert [(h["id"], h["phone"], h["message"], h["status"]) for h in history] == [
        ("2", "79991234568", "two", -1),
        ("1", PHONE, "one", -1),
    ]
    only = json.loads(await smsc.text("get", get_messages="1", fmt="3", phone=PHONE))
    assert [h["message"] for h in only] == ["one"]
    stat = await smsc.text("get", get_stat="1")
    assert (
        stat == "login = alice, sms = 2, credit = 0.10, debit = 10.00, currency = EUR, answers = 0"
    )


async def test_get_answers_has_no_records(smsc: Smsc) -> None:
    assert await smsc.text("get", get_answers="1") == "ERROR = 3 (no records)"


async def test_senders_add_list_delete(smsc: Smsc) -> None:
    # With no sender and none registered, the login is the sender.
    assert await smsc.text("send", phones=PHONE, mes="hi", id="9", fmt="1") == "9,1"
    assert (await smsc.messages())[0].sender == "alice"

    assert json.loads(await smsc.text("senders", add="1", sender="ACME", fmt="3")) == {"id": 1}
    assert json.loads(await smsc.text("senders", add="1", sender="Shop", fmt="3")) == {"id": 2}
    listed = json.loads(await smsc.text("senders", get="1", fmt="3"))
    assert [s["sender"] for s in listed] == ["ACME", "Shop"]

    # The first registered sender id is the default one of send.php.
    assert await smsc.text("send", phones=PHONE, mes="hi", id="1", fmt="1") == "1,1"
    assert [m.sender for m in await smsc.messages()] == ["ACME", "alice"]

    assert await smsc.text("senders", **{"del": "1", "sender": "ACME"}) == "OK"
    assert await smsc.text("senders", **{"del": "1", "id": "2"}) == "OK"
    assert await smsc.text("senders", get="1") == "ERROR = 3 (no records)"


async def test_users_stat_filters_and_operator(smsc: Smsc) -> None:
    accounts = smsc.gateway.accounts
    bob = await accounts.create("bob", parent=smsc.alice, credit=1_000_000)
    await accounts.create("shared", parent=smsc.alice, own_balance=False)
    smsc.auth = {"apikey": bob.api_key}
    await smsc.text("send", phones=PHONE, mes="hi", sender="ACME", id="1")
    store, now = smsc.gateway.store, smsc.gateway.clock.now()
    (claimed,) = await store.claim(now + 1, 10)
    part = SentPart(1, "up-1", PartStatus.SENT, None)
    await store.record_sends(
        [SendOutcome(claimed.id, Status.SENT, "sim", (part,), None, 0, None)], now
    )
    smsc.auth = {"login": "alice", "psw": PASSWORD}

    own = await smsc.text("users", get_stat="1", reseller="1", fmt="1")
    assert own == "bob,1,0.05,1.00,EUR,0"
    assert (
        await smsc.text("users", get_stat="1", reseller="0", fmt="1") == "shared,0,0.00,0.00,EUR,0"
    )
    by_id = await smsc.text("users", get_stat="1", user_id=str(bob.account.id), fmt="1")
    assert by_id == own
    detailed = json.loads(await smsc.text("users", get_stat_all="1", fmt="3"))
    assert detailed == [
        {
            "login": "bob",
            "items": [
                {
                    "description": "SMS",
                    "operator": "sim",
                    "mccmnc": "",
                    "sms": "1",
                    "credit": "0.05",
                    "debit": "0.00",
                    "currency": "EUR",
                }
            ],
        }
    ]
