"""What the operator console reads of every store backend: the connectors' live state
published per node, the store's size, and the pending rows of each outbox."""

from __future__ import annotations

from smsgate.services.connector_state import ConnectorState, ConnectorStateStore, combined
from smsgate.services.health import OUTBOXES, HealthStore
from smsgate.services.inbound import InboundMessage, InboundStore
from smsgate.services.inbound_numbers import NATIVE
from smsgate.services.inbound_plan import MoEffects, MoTarget
from smsgate.services.ports import NotificationAttempt, Store
from tests.integration.store.scenario import NOW, funded, submission


def state(
    node: str, connector: str, up: int, at: float, *errors: tuple[float, str]
) -> ConnectorState:
    return ConnectorState(node, connector, up, 2, 3, 20, 1.5, errors, at)


async def test_each_node_replaces_its_own_connector_states(store: Store) -> None:
    assert isinstance(store, ConnectorStateStore)
    a1 = state("a", "op1", 2, NOW, (NOW - 5, "bind refused: ESME_RBINDFAIL (0x0000000D)"))
    a2 = state("a", "op2", 0, NOW)
    b1 = state("b", "op1", 1, NOW - 20)
    await store.publish_connector_states("a", [a1, a2])
    await store.publish_connector_states("b", [b1])
    assert await store.connector_states(NOW - 30) == [a1, b1, a2]
    assert await store.connector_states(NOW - 10) == [a1, a2], "b's row is older"

    a1_later = state("a", "op1", 1, NOW + 2)
    await store.publish_connector_states("a", [a1_later])
    assert await store.connector_states(NOW - 30) == [a1_later, b1], "op2 stopped on a"
    await store.publish_connector_states("b", [])
    assert await store.connector_states(NOW - 30) == [a1_later]


def test_the_nodes_states_of_a_connector_add_up() -> None:
    errors = [(NOW - n, f"error {n}") for n in range(8)]
    merged = combined(
        [state("a", "op1", 2, NOW, *errors[:4]), state("b", "op1", 1, NOW + 1, *errors[4:])]
    )
    op1 = merged["op1"]
    assert (op1.binds_up, op1.binds, op1.window_used, op1.window, op1.rate) == (3, 4, 6, 40, 3.0)
    assert op1.updated_at == NOW + 1
    assert op1.errors == tuple(errors[:5]), "the newest five, newest first"


async def test_outbox_depths_count_pending_rows(store: Store) -> None:
    assert isinstance(store, HealthStore) and isinstance(store, InboundStore)
    assert await store.outbox_depths() == dict.fromkeys(OUTBOXES, 0)
    alice = await funded(store, "alice", 100)
    accepted = await store.accept(
        submission(alice, cost=30, scheduled_at=NOW + 600, callback_url="https://cb.test/x")
    )
    await store.cancel(accepted.messages[0].id, NOW + 1)  # final: its webhook is queued
    mo = InboundMessage("sim", "+393331111111", "3000", "hi", "gsm7", 1, NOW, alice.id)
    effects = MoEffects(webhooks=(MoTarget("https://mo.test/in", NATIVE),), smpp=True)
    await store.add_inbound(mo, effects)
    await store.add_inbound(mo, effects)
    assert await store.outbox_depths() == {"webhooks": 1, "mo_webhooks": 2, "smpp": 2}

    (note,) = await store.due_notifications(NOW + 1, 10)
    await store.record_notifications([NotificationAttempt(note.id, True, 200, None, None)], NOW)
    assert (await store.outbox_depths())["webhooks"] == 0


async def test_store_size(store: Store, backend: str) -> None:
    assert isinstance(store, HealthStore)
    size = await store.store_size()
    if backend == "memory":
        assert size is None
    else:
        assert size is not None and size > 0
