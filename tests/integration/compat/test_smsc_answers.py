"""SMSC get.php?get_answers=1: the MO routed to the account, over a real gateway, in each
format, with after_id, hour, to_phone and cnt; bad values and other accounts' MO."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import requests

from smsgate.api.compat.smsc.render import moscow_date
from smsgate.services.inbound import InboundService
from tests.integration.compat.smsc_harness import PASSWORD, Smsc, smsc_gateway
from tests.integration.gateway import served_http

ALICE_NUMBER = "+79000000001"
ALICE_OTHER = "+79000000002"
BOB_NUMBER = "+79000000009"
PHONE = "+79991234567"
ANSWERS = {"get_answers": "1"}


class PastClock:
    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


@pytest.fixture
async def smsc(tmp_path: Path) -> AsyncIterator[Smsc]:
    async with smsc_gateway(tmp_path) as gateway:
        bob = await gateway.gateway.accounts.create("bob", password="bob-secret-1")
        numbers = gateway.gateway.numbers
        await numbers.add(ALICE_NUMBER, account=gateway.alice)
        await numbers.add(ALICE_OTHER, account=gateway.alice)
        await numbers.add(BOB_NUMBER, account=bob.account)
        yield gateway


async def receive(smsc: Smsc, text: str, to: str = ALICE_NUMBER, source: str = PHONE) -> int:
    return await smsc.gateway.inbound.receive("test", source, to, text, "gsm7", 1)


async def answers(smsc: Smsc, **params: str) -> list[dict[str, object]]:
    body = json.loads(await smsc.text("get", **ANSWERS, fmt="3", **params))
    assert isinstance(body, list), body
    return body


async def ids(smsc: Smsc, **params: str) -> list[object]:
    return [a["id"] for a in await answers(smsc, **params)]


async def test_answers_in_every_format(smsc: Smsc) -> None:
    first = await receive(smsc, "yes, please")
    second = await receive(smsc, "<stop> & go", to=ALICE_OTHER, source="+79991112233")
    stored = [await smsc.gateway.inbound.get(smsc.alice, i) for i in (first, second)]
    d1, d2 = (moscow_date(mo.received_at) for mo in stored)

    text = await smsc.text("get", **ANSWERS)
    csv = await smsc.text("get", **ANSWERS, fmt="1")
    xml = await smsc.text("get", **ANSWERS, fmt="2")
    body = await answers(smsc)

    assert text == (
        f"id = {first}, received = {d1}, phone = 79991234567, message = yes, please, "
        f"to_phone = 79000000001, sent = \n"
        f"id = {second}, received = {d2}, phone = 79991112233, message = <stop> & go, "
        f"to_phone = 79000000002, sent = "
    )
    assert csv == (
        f"{first},{d1},79991234567,yes, please,79000000001,\n"
        f"{second},{d2},79991112233,<stop> & go,79000000002,"
    )
    assert xml == (
        f"<list><answer><id>{first}</id><received>{d1}</received><phone>79991234567</phone>"
        "<message>yes, please</message><to_phone>79000000001</to_phone><sent></sent></answer>"
        f"<answer><id>{second}</id><received>{d2}</received><phone>79991112233</phone>"
        "<message>&lt;stop&gt; &amp; go</message><to_phone>79000000002</to_phone><sent></sent>"
        "</answer></list>"
    )
    assert body == [
        {
            "id": first,
            "received": d1,
            "phone": "79991234567",
            "message": "yes, please",
            "to_phone": "79000000001",
            "sent": "",
        },
        {
            "id": second,
            "received": d2,
            "phone": "79991112233",
            "message": "<stop> & go",
            "to_phone": "79000000002",
            "sent": "",
        },
    ]


async def test_post_and_api_key_are_answered_alike(smsc: Smsc) -> None:
    mo = await receive(smsc, "hi")
    posted = await smsc.http.post(
        "/sys/get.php", data={"apikey": smsc.key, "get_answers": "1", "fmt": "1"}
    )
    assert posted.status_code == 200
    assert posted.text.startswith(f"{mo},")


async def test_after_id_and_cnt_page_oldest_first(smsc: Smsc) -> None:
    made = [await receive(smsc, f"m{n}") for n in range(5)]

    assert await ids(smsc) == made
    assert await ids(smsc, after_id=str(made[1])) == made[2:]
    assert await ids(smsc, after_id=str(made[1]), cnt="2") == made[2:4]
    assert await ids(smsc, after_id=str(made[3]), cnt="2") == made[4:]
    assert await ids(smsc, cnt="2") == made[3:], "without after_id: the cnt newest"
    assert await smsc.text("get", **ANSWERS, after_id=str(made[4])) == "ERROR = 3 (no records)"


async def test_after_id_pages_past_one_store_page(smsc: Smsc) -> None:
    made = [await receive(smsc, f"m{n}") for n in range(1003)]

    assert await ids(smsc, after_id=str(made[0]), cnt="2") == made[1:3]
    assert await ids(smsc, after_id=str(made[0]), cnt="10000") == made[1:]
    assert await ids(smsc, cnt="1002") == made[1:]


async def test_to_phone_filters_by_the_number_written_any_way(smsc: Smsc) -> None:
    to_first = await receive(smsc, "one")
    to_other = await receive(smsc, "two", to=ALICE_OTHER)

    assert await ids(smsc, to_phone="79000000001") == [to_first]
    assert await ids(smsc, to_phone="+79000000002") == [to_other]
    assert await smsc.text("get", **ANSWERS, to_phone=BOB_NUMBER) == "ERROR = 3 (no records)"


async def test_hour_keeps_the_last_hours_only(smsc: Smsc) -> None:
    gateway = smsc.gateway
    earlier = InboundService(
        gateway.store, PastClock(time.time() - 5 * 3600), numbers=gateway.numbers
    )
    old = await earlier.receive("test", PHONE, ALICE_NUMBER, "old", "gsm7", 1)
    new = await receive(smsc, "new")

    assert await ids(smsc) == [old, new], "the default is the last 24 hours"
    assert await ids(smsc, hour="4") == [new]
    assert await ids(smsc, hour="6") == [old, new]
    assert await ids(smsc, hour="168") == [old, new]


async def test_another_accounts_answers_are_never_shown(smsc: Smsc) -> None:
    mine = await receive(smsc, "for alice")
    bobs = await receive(smsc, "for bob", to=BOB_NUMBER)
    await receive(smsc, "to nobody", to="+79000000777")

    assert await ids(smsc) == [mine]
    assert await ids(smsc, after_id="0", hour="168", cnt="10000") == [mine]
    smsc.auth = {"login": "bob", "psw": "bob-secret-1"}
    assert await ids(smsc) == [bobs]
    assert await smsc.text("get", **ANSWERS, to_phone=ALICE_NUMBER) == "ERROR = 3 (no records)"


async def test_no_answers_is_error_3(smsc: Smsc) -> None:
    assert await smsc.text("get", **ANSWERS) == "ERROR = 3 (no records)"
    assert json.loads(await smsc.text("get", **ANSWERS, fmt="3")) == {
        "error": "no records",
        "error_code": 3,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"hour": "0"},
        {"hour": "169"},
        {"hour": "x"},
        {"cnt": "0"},
        {"cnt": "10001"},
        {"after_id": "-1"},
        {"after_id": "1.5"},
        {"to_phone": "abc"},
        {"to_phone": "+"},
    ],
)
async def test_bad_values_are_error_1_and_change_nothing(
    smsc: Smsc, params: dict[str, str]
) -> None:
    await receive(smsc, "hi")
    before = await smsc.snapshot()
    assert await smsc.text("get", **ANSWERS, **params) == "ERROR = 1 (parameters error)"
    assert json.loads(await smsc.text("get", **ANSWERS, fmt="3", **params)) == {
        "error": "parameters error",
        "error_code": 1,
    }
    assert await smsc.snapshot() == before
    assert len(await answers(smsc)) == 1


async def test_a_failed_login_shows_nothing(smsc: Smsc) -> None:
    await receive(smsc, "hi")
    smsc.auth = {"login": "alice", "psw": "wrong"}
    assert await smsc.text("get", **ANSWERS) == "ERROR = 2 (authorise error)"


@pytest.fixture
async def served(smsc: Smsc) -> AsyncIterator[str]:
    """The gateway's own app on a real socket: /sys/get.php's base URL."""
    async with served_http(smsc.gateway.api_context()) as base:
        yield f"{base}/sys/get.php"


def poll(url: str, after_id: int, **extra: str) -> Any:
    """One poll the way an SMSC client written with `requests` makes it."""
    params = {"login": "alice", "psw": PASSWORD, "get_answers": "1", "after_id": str(after_id)}
    reply = requests.get(url, params={**params, **extra}, timeout=10)
    assert reply.status_code == 200
    return reply.json() if extra.get("fmt") == "3" else reply.text


async def test_a_requests_client_polls_with_after_id(smsc: Smsc, served: str) -> None:
    first = await receive(smsc, "да, спасибо")
    got = await asyncio.to_thread(poll, served, 0, fmt="3")
    assert [(a["id"], a["message"]) for a in got] == [(first, "да, спасибо")]

    nothing = await asyncio.to_thread(poll, served, first, fmt="3")
    assert nothing == {"error": "no records", "error_code": 3}

    second = await receive(smsc, "ещё")
    text = await asyncio.to_thread(poll, served, first)
    assert text.startswith(f"id = {second}, received = ")
    assert ", message = ещё, to_phone = 79000000001, sent = " in text


async def test_get_stat_counts_the_mo_received_as_answers(smsc: Smsc) -> None:
    carol = await smsc.gateway.accounts.create("carol", parent=smsc.alice)
    await smsc.gateway.numbers.add("+79000000003", account=carol.account)
    for text, to in (("a", ALICE_NUMBER), ("b", ALICE_OTHER), ("c", ALICE_NUMBER)):
        await receive(smsc, text, to)
    await receive(smsc, "for bob", BOB_NUMBER)
    await receive(smsc, "for carol", "+79000000003")

    [own] = json.loads(await smsc.text("get", get_stat="1", fmt="3"))
    assert (own["login"], own["sms"], own["answers"]) == ("alice", "0", "3")
    assert (await smsc.text("get", get_stat="1", fmt="1")).endswith(",EUR,3")
    children = await smsc.text("users", get_stat="1", fmt="0")
    assert (
        children
        == "login = carol, sms = 0, credit = 0.00, debit = 0.00, currency = EUR, answers = 1"
    )
    earlier = {"start": "01.01.2020", "end": "02.01.2020"}
    [before] = json.loads(await smsc.text("get", get_stat="1", fmt="3", **earlier))
    assert before["answers"] == "0"
