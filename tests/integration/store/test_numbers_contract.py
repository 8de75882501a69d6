"""Inbound numbers, keywords, MO routing and MO reads on every store backend, through
NumberService and InboundService."""

from __future__ import annotations

import dataclasses

import pytest

from smsgate.core.errors import Conflict, InvalidRequest, NotFound
from smsgate.services.inbound import REPLY_WINDOW, InboundService, InboundStore
from smsgate.services.inbound_numbers import NumberService
from smsgate.services.ports import Store
from smsgate.services.stoplist import StopListService, StopListStore
from smsgate.text import ConcatInfo, Encoding
from tests.integration.store.scenario import NOW, funded, submission


class Clock:
    def __init__(self, now: float = NOW + 60) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


def services(store: Store, clock: Clock | None = None) -> tuple[NumberService, InboundService]:
    assert isinstance(store, InboundStore)
    assert isinstance(store, StopListStore)
    clock = clock or Clock()
    numbers = NumberService(store, clock)
    stop_list = StopListService(store, clock)
    return numbers, InboundService(store, clock, numbers=numbers, stop_list=stop_list)


async def test_numbers_are_added_normalised_assigned_and_removed(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    numbers, _ = services(store)

    long = await numbers.add("393331234567", account=alice)
    short = await numbers.add(" 3000 ", default_account=bob, webhook_url="https://bob.example/mo")
    assert (long.number, long.account_id, long.default_account_id) == (
        "+393331234567",
        alice.id,
        None,
    )
    assert (short.number, short.account_id, short.default_account_id) == ("3000", None, bob.id)
    assert short.webhook_url == "https://bob.example/mo"
    assert [n.number for n in await numbers.list()] == ["+393331234567", "3000"]
    assert [n.number for n in await numbers.list(alice)] == ["+393331234567"]
    assert [n.number for n in await numbers.list(bob)] == ["3000"]

    assert (await numbers.assign("+393331234567", bob)).account_id == bob.id
    assert (await numbers.assign("0039 333 123 4567", None)).account_id is None
    assert (await numbers.set_default("3000", alice)).default_account_id == alice.id
    assert (await numbers.remove("3000")).number == "3000"
    assert [n.number for n in await numbers.list()] == ["+393331234567"]


async def test_bad_numbers_and_duplicates_change_nothing(store: Store) -> None:
    alice = await funded(store, "alice")
    numbers, _ = services(store)
    await numbers.add("+393331234567", account=alice)
    with pytest.raises(Conflict):
        await numbers.add("393331234567")
    for bad in ("12", "123456789", "+12", "INFO", "", "+39 abc", "+1"):
        with pytest.raises(InvalidRequest) as refused:
            await numbers.add(bad)
        assert refused.value.field == "number"
    with pytest.raises(InvalidRequest) as refused:
        await numbers.add("3001", webhook_url="ftp://x")
    assert refused.value.field == "webhook_url"
    with pytest.raises(NotFound):
        await numbers.remove("3001")
    with pytest.raises(NotFound):
        await numbers.assign("3001", alice)
    assert [n.number for n in await numbers.list()] == ["+393331234567"]


async def test_keywords_are_folded_unique_and_go_with_their_number(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    numbers, _ = services(store)
    await numbers.add("3000")
    await numbers.add("4000")
    assert (await numbers.add_keyword("3000", "Infó", alice)).keyword == "INFO"
    await numbers.add_keyword("3000", "promo2", bob)
    await numbers.add_keyword("4000", "info", bob)
    with pytest.raises(Conflict):
        await numbers.add_keyword("3000", "INFO", bob)
    for bad in ("", "two words", "a-b", "X" * 21):
        with pytest.raises(InvalidRequest) as refused:
            await numbers.add_keyword("3000", bad, bob)
        assert refused.value.field == "keyword"
    with pytest.raises(NotFound):
        await numbers.add_keyword("5000", "INFO", bob)

    assert [(k.keyword, k.account_id) for k in await numbers.keywords("3000")] == [
        ("INFO", alice.id),
        ("PROMO2", bob.id),
    ]
    assert len(await numbers.keywords()) == 3
    assert [n.number for n in await numbers.list(alice)] == ["3000"]
    await numbers.remove_keyword("3000", "promo2")
    with pytest.raises(NotFound):
        await numbers.remove_keyword("3000", "promo2")
    await numbers.remove("3000")
    assert [(k.keyword, k.account_id) for k in await numbers.keywords()] == [("INFO", bob.id)]


async def routed(store: Store) -> list[tuple[str, int | None, str | None]]:
    """(text, account, keyword) of every MO, oldest first."""
    _, inbound = services(store)
    rows, _ = await inbound.page(None, limit=1000)
    return [(mo.text, mo.account_id, mo.keyword) for mo in reversed(rows)]


async def test_mo_is_routed_by_owner_keyword_default_and_reply(store: Store) -> None:
    alice = await funded(store, "alice", 1_000)
    bob = await funded(store, "bob")
    carol = await funded(store, "carol")
    numbers, inbound = services(store)
    await numbers.add("+393330000001", account=alice)
    await numbers.add("3000", default_account=carol)
    await numbers.add_keyword("3000", "INFO", bob)
    sent = dataclasses.replace(submission(alice), sender="393330000009")
    await store.accept(sent)
    to = sent.messages[0].to

    await inbound.receive("op", "393339999999", "393330000001", "hello", "gsm7", 1)
    await inbound.receive("op", "393339999999", "3000", "ìnfo please", "gsm7", 1)
    await inbound.receive("op", "393339999999", "+3000", "INFO", "gsm7", 1)
    await inbound.receive("op", "393339999999", "3000", "informal", "gsm7", 1)
    await inbound.receive("op", to.removeprefix("+"), "+393330000009", "a reply", "gsm7", 1)
    await inbound.receive("op", "393338888888", "393330000009", "not a reply", "gsm7", 1)
    await inbound.receive("op", "393339999999", "5555", "nobody", "gsm7", 1)
    assert await routed(store) == [
        ("hello", alice.id, None),
        ("ìnfo please", bob.id, "INFO"),
        ("INFO", bob.id, "INFO"),
        ("informal", carol.id, None),
        ("a reply", alice.id, None),
        ("not a reply", None, None),
        ("nobody", None, None),
    ]


async def test_a_reply_after_the_window_is_unrouted(store: Store) -> None:
    alice = await funded(store, "alice", 1_000)
    clock = Clock(NOW + REPLY_WINDOW + 1)
    _, inbound = services(store, clock)
    sent = dataclasses.replace(submission(alice), sender="+393330000009")
    await store.accept(sent)
    await inbound.receive("op", sent.messages[0].to, "393330000009", "late", "gsm7", 1)
    assert await routed(store) == [("late", None, None)]


async def test_a_concatenated_mo_is_routed_by_its_whole_text(store: Store) -> None:
    bob = await funded(store, "bob")
    numbers, inbound = services(store)
    await numbers.add("3000")
    await numbers.add_keyword("3000", "INFO", bob)
    await inbound.receive_part("op", "39333", "3000", ConcatInfo(1, 2, 2), b"FO now", Encoding.GSM7)
    await inbound.receive_part("op", "39333", "3000", ConcatInfo(1, 2, 1), b"IN", Encoding.GSM7)
    assert await routed(store) == [("INFO now", bob.id, "INFO")]


async def test_stop_and_start_from_inbound_change_the_stop_list(store: Store) -> None:
    alice = await funded(store, "alice")
    assert isinstance(store, StopListStore)
    numbers, inbound = services(store)
    await numbers.add("3000", account=alice)
    await inbound.receive("op", "393331112222", "3000", " stop. ", "gsm7", 1)
    await inbound.receive("op", "393334445555", "3000", "Arrêt", "gsm7", 1)
    await inbound.receive("op", "393336667777", "3000", "STOP sending me this", "gsm7", 1)
    await inbound.receive("op", "393338889999", "5000", "STOP", "gsm7", 1)  # unrouted
    entries = await store.stop_entries(alice.id)
    assert sorted((e.number, e.source) for e in entries) == [
        ("+393331112222", "inbound"),
        ("+393334445555", "inbound"),
    ]
    await inbound.receive("op", "393331112222", "3000", "Start", "gsm7", 1)
    await inbound.receive("op", "393330000000", "3000", "UNSTOP", "gsm7", 1)  # not listed
    entries = await store.stop_entries(alice.id)
    assert [e.number for e in entries] == ["+393334445555"]
    assert len(await routed(store)) == 6


async def test_mo_pages_filter_and_belong_to_their_account(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    clock = Clock()
    numbers, inbound = services(store, clock)
    await numbers.add("3000", account=alice)
    await numbers.add("4000")
    await numbers.add_keyword("4000", "ALPHA", alice)
    for n in range(5):
        clock.at = NOW + 100 + n
        await inbound.receive("op", "39333", "3000", f"m{n}", "gsm7", 1)
    await inbound.receive("op", "39333", "4000", "alpha one", "gsm7", 1)
    await inbound.receive("op", "39333", "4000", "beta", "gsm7", 1)

    page, cursor = await inbound.page(alice, limit=4)
    assert [m.text for m in page] == ["alpha one", "m4", "m3", "m2"]
    assert cursor is not None
    page, cursor = await inbound.page(alice, limit=4, cursor=cursor)
    assert [m.text for m in page] == ["m1", "m0"] and cursor is None
    texts = [m.text for m in (await inbound.page(alice, number="+3000"))[0]]
    assert texts == ["m4", "m3", "m2", "m1", "m0"]
    assert [m.text for m in (await inbound.page(alice, keyword="alpha"))[0]] == ["alpha one"]
    since, until = NOW + 101, NOW + 103
    assert [m.text for m in (await inbound.page(alice, since=since, until=until))[0]] == [
        "m2",
        "m1",
    ]
    assert [m.text for m in (await inbound.page(None, unrouted=True))[0]] == ["beta"]
    assert (await inbound.page(bob))[0] == []
    first = page[0]
    assert (await inbound.get(alice, first.id)).text == "m1"
    with pytest.raises(NotFound):
        await inbound.get(bob, first.id)
    with pytest.raises(NotFound):
        await inbound.get(alice, 10**9)
    for bad in ({"limit": 0}, {"cursor": "x"}, {"number": "INFO"}):
        with pytest.raises(InvalidRequest):
            await inbound.page(alice, **bad)
