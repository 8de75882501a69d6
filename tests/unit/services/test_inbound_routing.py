"""MO routing on the memory store: numbers and keywords normalised and folded, the route
an MO takes, and the routing table cached for a couple of seconds per process."""

from __future__ import annotations

import pytest

from smsgate.services.inbound import InboundService
from smsgate.services.inbound_numbers import (
    CACHE_SECONDS,
    NumberService,
    first_word,
    fold,
    normalise_number,
)
from smsgate.services.ports import AccountToCreate
from smsgate.store import MemoryStore


class Clock:
    def __init__(self) -> None:
        self.at = 1_700_000_000.0

    def now(self) -> float:
        return self.at


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("3000", "3000"),
        ("+3000", "3000"),
        ("12345678", "12345678"),
        ("393331234567", "+393331234567"),
        ("+39 333 123 4567", "+393331234567"),
        ("0039333 1234567", "+393331234567"),
        ("12", None),
        ("INFO", None),
        ("+1", None),
    ],
)
def test_numbers_are_normalised_one_way(raw: str, normal: str | None) -> None:
    assert normalise_number(raw) == normal


def test_words_are_folded_without_case_or_accents() -> None:
    assert fold("Arrêt") == "ARRET"
    assert fold("ìnfo") == "INFO"
    assert first_word("  Infó, please ") == "INFO"
    assert first_word("") == ""


async def test_a_change_in_another_process_is_seen_after_the_cache_expires() -> None:
    store, clock = MemoryStore(), Clock()
    alice = await store.create_account(
        AccountToCreate("alice", None, True, "EUR", "IT", 10, None, clock.at)
    )
    here = NumberService(store, clock)
    inbound = InboundService(store, clock, numbers=here)
    elsewhere = NumberService(store, clock)  # what the CLI of another process changes

    first = await inbound.receive("op", "39333", "3000", "hi", "gsm7", 1)
    await elsewhere.add("3000", account=alice)
    second = await inbound.receive("op", "39333", "3000", "hi", "gsm7", 1)
    clock.at += CACHE_SECONDS
    third = await inbound.receive("op", "39333", "3000", "hi", "gsm7", 1)
    await here.assign("3000", None)  # a change in this process is seen at once
    fourth = await inbound.receive("op", "39333", "3000", "hi", "gsm7", 1)

    stored = {mo.id: mo.account_id for mo in (await inbound.page(None))[0]}
    assert [stored[i] for i in (first, second, third, fourth)] == [None, None, alice.id, None]
