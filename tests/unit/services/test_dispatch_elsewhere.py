"""Two nodes' dispatchers on one memory store, one with a bind of `op` and one without:
the node without holds op's messages for it (no failover while op is bound elsewhere)
and says so; the node with the bind releases and sends them."""

from __future__ import annotations

from smsgate.core.messages import Status
from smsgate.core.routing import Route
from smsgate.services.counters import Counters
from smsgate.services.dispatch import Dispatcher
from smsgate.services.ports import Upstream
from smsgate.services.routing import Router
from smsgate.store.memory import MemoryStore
from tests.integration.dispatch.operators import Operator, one_round
from tests.integration.store.scenario import NOW, funded, submission
from tests.unit.services.fixed import FixedClock

ROUTES = [Route(1, "", "op", None, 0), Route(2, "", "backup", None, 1)]


def node(store: MemoryStore, upstreams: dict[str, Upstream], **options: object) -> Dispatcher:
    router = Router(lambda: upstreams, "backup", **options)  # type: ignore[arg-type]
    router.replace_routes(ROUTES)
    return Dispatcher(store, router, FixedClock(NOW + 1), Counters())


async def test_a_node_without_the_bind_hands_the_messages_to_the_node_with_it() -> None:
    store = MemoryStore()
    bound_op, unbound_op, backup = Operator("op"), Operator("op", bound=False), Operator("backup")
    with_bind = node(store, {"op": bound_op, "backup": Operator("backup")})
    without = node(store, {"op": unbound_op, "backup": backup}, elsewhere=lambda n: n == "op")
    told: list[str] = []
    without.announce_held = lambda: told.append("held")
    await one_round(with_bind)  # an empty queue: it has seen its routes
    alice = await funded(store, "alice", 100)
    ids = [m.id for m in (await store.accept(submission(alice, recipients=3))).messages]

    await one_round(without)
    assert await store.held_messages() == {"op": 3} and told == ["held"]
    assert backup.submitted == [] and unbound_op.submitted == []

    await one_round(with_bind)  # its routes did not change: the held messages stay
    assert await store.held_messages() == {"op": 3} and bound_op.submitted == []
    with_bind.held_elsewhere()
    await one_round(with_bind)
    assert sorted(bound_op.submitted) == sorted(ids)
    for message_id in ids:
        found = await store.message(message_id)
        assert found is not None and found.status is Status.SENT


async def test_without_a_bind_anywhere_the_message_fails_over() -> None:
    store = MemoryStore()
    alice = await funded(store, "alice", 100)
    await store.accept(submission(alice))
    backup = Operator("backup")
    alone = node(store, {"op": Operator("op", bound=False), "backup": backup})
    await one_round(alone)
    assert len(backup.submitted) == 1 and await store.held_messages() == {}
