"""Changes: an announcement drops the entry in this process at once and reaches the
other processes' handlers through the store; a resync drops every cache."""

from __future__ import annotations

from smsgate.services.changes import POLICY, PRICES, STOPS, Changes, drop_entry
from smsgate.services.nodes import RESYNC
from smsgate.store.memory import MemoryStore


async def test_an_announcement_reaches_the_handlers_of_its_cache_only() -> None:
    store = MemoryStore()
    here, there = Changes(store), Changes(store)
    await there.listen()
    heard: list[tuple[str, str]] = []
    there.on(POLICY, lambda key: heard.append((POLICY, key)))
    there.on(STOPS, lambda key: heard.append((STOPS, key)))
    here.announce(POLICY, 42)
    await here.flush()
    assert heard == [(POLICY, "42")]


async def test_a_failing_handler_does_not_stop_the_others_and_resync_drops_all() -> None:
    changes = Changes()
    dropped: list[str] = []

    def broken(_key: str) -> None:
        raise RuntimeError("boom")

    changes.on(PRICES, broken)
    changes.on(PRICES, lambda key: dropped.append(f"prices:{key}"))
    changes.on(STOPS, lambda key: dropped.append(f"stops:{key}"))
    changes.announce(PRICES)
    assert dropped == ["prices:"]
    changes.received(RESYNC)
    assert sorted(dropped[1:]) == ["prices:", "stops:"]


def test_drop_entry_drops_one_account_or_all() -> None:
    cache = {1: "a", 2: "b"}
    drop_entry(cache, "1")
    assert cache == {2: "b"}
    drop_entry(cache, "")
    assert cache == {}
