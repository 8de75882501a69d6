"""Bind slots on memory, SQLite and PostgreSQL: two nodes never hold one slot, a slot
whose lease ran out is taken, a node renews only what is still its own; and
`BindOwnership` nodes on one store share a connector's binds and move them."""

from __future__ import annotations

import asyncio

from smsgate.services.ownership import BindOwnership, SlotStore, SlotView, share
from smsgate.services.ports import Store, Upstream

BINDS = {"tim": 3}


def slots(store: Store) -> SlotStore:
    assert isinstance(store, SlotStore)
    return store


def holders(view: SlotView, connector: str = "tim") -> list[str | None]:
    return [s.node_id for s in view.slots if s.connector == connector]


async def test_two_nodes_never_hold_the_same_slot(store: Store) -> None:
    a, b = slots(store), slots(store)
    view = await a.renew_slots("a", BINDS, (), 60.0)
    assert holders(view) == [None, None, None] and view.members == ("a",)
    assert await a.claim_slots("a", "tim", [0, 1], 60.0) == [0, 1]
    view = await b.renew_slots("b", BINDS, (), 60.0)
    assert view.members == ("a", "b")
    # b asks for every slot: it gets only the free one
    assert await b.claim_slots("b", "tim", [0, 1, 2], 60.0) == [2]
    assert await a.claim_slots("a", "tim", [2], 60.0) == []
    view = await a.renew_slots("a", BINDS, [("tim", 0)], 60.0)
    assert holders(view) == ["a", "a", "b"]
    assert [s.bound for s in view.slots] == [True, False, False]


async def test_a_slot_whose_lease_ran_out_is_taken_and_no_longer_renewed(store: Store) -> None:
    a, b = slots(store), slots(store)
    await a.renew_slots("a", BINDS, (), 0.2)
    assert await a.claim_slots("a", "tim", [0], 60.0) == [0]
    assert await a.claim_slots("a", "tim", [1], 0.2) == [1]
    await asyncio.sleep(0.5)
    view = await b.renew_slots("b", BINDS, (), 60.0)
    assert view.members == ("b",)  # a's membership ran out
    assert await b.claim_slots("b", "tim", [0, 1], 60.0) == [1]  # slot 0's lease runs
    # a's renewal keeps slot 0 and does not take slot 1 back
    view = await a.renew_slots("a", BINDS, [("tim", 0), ("tim", 1)], 60.0)
    assert holders(view) == ["a", "b", None]
    assert [s.bound for s in view.slots] == [True, False, False]


async def test_released_slots_are_free_and_a_leaving_node_lets_go_of_all(store: Store) -> None:
    a = slots(store)
    await a.renew_slots("a", BINDS, (), 60.0)
    assert await a.claim_slots("a", "tim", [0, 1, 2], 60.0) == [0, 1, 2]
    await a.release_slots("a", "tim", [1])
    await a.release_slots("b", "tim", [2])  # not b's: nothing happens
    view = await a.renew_slots("a", BINDS, (), 60.0)
    assert holders(view) == ["a", None, "a"]
    await a.leave_slots("a")
    view = await a.renew_slots("b", BINDS, (), 60.0)
    assert holders(view) == [None, None, None] and view.members == ("b",)


async def test_fewer_binds_remove_the_free_slots_above(store: Store) -> None:
    a = slots(store)
    await a.renew_slots("a", {"tim": 3, "wind": 1}, (), 60.0)
    assert await a.claim_slots("a", "tim", [2], 60.0) == [2]
    view = await a.renew_slots("a", {"tim": 1, "wind": 1}, (), 60.0)
    # slot 2 is still held (its bind closes first); slot 1 was free and is gone
    assert [(s.connector, s.slot) for s in view.slots] == [("tim", 0), ("tim", 2), ("wind", 0)]


def test_shares_add_up_to_the_binds() -> None:
    for binds in range(0, 7):
        for count in range(1, 5):
            members = [f"n{i}" for i in range(count)]
            for name in ("tim", "wind", "vodafone"):
                shares = [share(name, binds, members, m) for m in members]
                assert sum(shares) == binds
                assert max(shares) - min(shares) <= 1


class SlottedFake:
    """A slotted upstream that records which slots are bound: the ownership's side only
    (the SMPP one is tested against the SMSC simulator in tests/e2e)."""

    def __init__(self, name: str, binds: int, open_now: dict[tuple[str, int], str], node: str):
        self.name, self.window, self._binds = name, 1, binds
        self._open_now, self._node = open_now, node
        self.opened: set[int] = set()

    def bind_slots(self) -> int:
        return self._binds

    def defer_binds(self) -> None:
        return None

    def open_slot(self, slot: int) -> None:
        holder = self._open_now.setdefault((self.name, slot), self._node)
        assert holder == self._node, f"slot {slot} bound by {holder} and {self._node}"
        self.opened.add(slot)

    def slot_bound(self, slot: int) -> bool:
        return slot in self.opened

    async def close_slot(self, slot: int) -> None:
        if slot in self.opened:
            self.opened.discard(slot)
            del self._open_now[(self.name, slot)]

    def drop_slots(self, grace: float) -> None:
        for slot in list(self.opened):
            self.opened.discard(slot)
            del self._open_now[(self.name, slot)]

    def ready(self) -> bool:
        return bool(self.opened)


def ownership(store: Store, node: str, upstream: SlottedFake) -> BindOwnership:
    running: dict[str, Upstream] = {upstream.name: upstream}  # type: ignore[dict-item]
    return BindOwnership(slots(store), node, lambda: running, grace=0.0, pause=0.0)


async def test_nodes_share_the_binds_and_take_over_a_leaving_node_s(store: Store) -> None:
    bound: dict[tuple[str, int], str] = {}
    tim_a, tim_b = SlottedFake("tim", 3, bound, "a"), SlottedFake("tim", 3, bound, "b")
    a, b = ownership(store, "a", tim_a), ownership(store, "b", tim_b)
    await a.round()
    assert tim_a.opened == {0, 1, 2}  # alone, it binds every slot
    await b.round()
    assert tim_b.opened == set()  # none free yet
    await a.round()  # a sees b short of its share: it closes one bind, lets it go
    await b.round()
    assert len(tim_a.opened) + len(tim_b.opened) == 3
    assert {len(tim_a.opened), len(tim_b.opened)} == {1, 2}
    assert a.bound_elsewhere("tim") is False  # b had not reported its bind yet
    await b.round()
    await a.round()
    assert a.bound_elsewhere("tim") and b.bound_elsewhere("tim")
    await a.leave()
    assert tim_a.opened == set()
    await b.round()
    assert tim_b.opened == {0, 1, 2}
    assert sorted(bound.values()) == ["b", "b", "b"]


async def test_a_node_that_cannot_renew_drops_its_binds(store: Store) -> None:
    bound: dict[tuple[str, int], str] = {}
    tim = SlottedFake("tim", 2, bound, "a")
    running: dict[str, Upstream] = {"tim": tim}  # type: ignore[dict-item]
    a = BindOwnership(slots(store), "a", lambda: running, lease=5.0, margin=2.5)
    await a.round()
    assert tim.opened == {0, 1}
    # no further renewal: 2.5 s after the last one began (before its lease can run out),
    # its binds are dropped
    async with asyncio.timeout(20):
        while tim.opened:
            await asyncio.sleep(0.05)
    assert bound == {} and a.held() == {}
