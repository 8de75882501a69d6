"""Connector definitions, routes and unrouted MO on every store backend, and the Router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from smsgate.connectors.registry import PARSERS
from smsgate.connectors.simulator import SimulatedOperator
from smsgate.core.errors import Conflict, InvalidRequest, NotFound
from smsgate.services.clock import SystemClock
from smsgate.services.connectors import ConnectorService, ConnectorStore
from smsgate.services.inbound import InboundService, InboundStore
from smsgate.services.ports import Upstream
from smsgate.services.routing import Router, RouteService, RouteStore
from smsgate.store import MemoryStore, SqlStore
from smsgate.store.schema import inbound
from tests.integration.store.conftest import Database, fresh_database
from tests.unit.connectors.messages import outgoing

SETTINGS: dict[str, Any] = {"host": "10.0.0.1", "port": 2775, "system_id": "s", "password": "p"}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    db: Database
    async with fresh_database(str(request.param), tmp_path, request) as db:
        yield await db.open()


def services(store: Any) -> tuple[ConnectorService, RouteService, InboundService]:
    assert isinstance(store, ConnectorStore)
    assert isinstance(store, RouteStore)
    assert isinstance(store, InboundStore)
    clock = SystemClock()
    return (
        ConnectorService(store, PARSERS, clock.now),
        RouteService(store, clock.now),
        InboundService(store, clock),
    )


async def test_connector_definitions(store: Any) -> None:
    connectors, _, _ = services(store)
    added = await connectors.add("op-1", "smpp", SETTINGS)
    assert added.enabled and added.settings["window"] == 10
    assert [d.name for d in await connectors.list()] == ["op-1"]
    assert (await connectors.get("op-1")).settings == added.settings
    assert not (await connectors.set_enabled("op-1", False)).enabled
    assert (await connectors.set_enabled("op-1", True)).enabled
    await connectors.remove("op-1")
    assert await connectors.list() == []


async def test_bad_definitions_change_nothing(store: Any) -> None:
    connectors, _, _ = services(store)
    await connectors.add("op-1", "smpp", SETTINGS)
    before = await connectors.list()
    with pytest.raises(Conflict):
        await connectors.add("op-1", "smpp", SETTINGS)
    with pytest.raises(Conflict):
        await connectors.add("simulator", "smpp", SETTINGS)
    with pytest.raises(InvalidRequest):
        await connectors.add("op-2", "carrier-pigeon", SETTINGS)
    with pytest.raises(InvalidRequest):
        await connectors.add("op-2", "smpp", {**SETTINGS, "bind": "sideways"})
    with pytest.raises(InvalidRequest):
        await connectors.add("op 2", "smpp", SETTINGS)
    with pytest.raises(NotFound):
        await connectors.remove("op-9")
    with pytest.raises(NotFound):
        await connectors.set_enabled("op-9", False)
    assert await connectors.list() == before


async def test_routes(store: Any) -> None:
    _, routes, _ = services(store)
    first = await routes.add("+39", "op-1", priority=5)
    second = await routes.add("*", "op-2")
    assert [(r.prefix, r.connector, r.priority) for r in await routes.list()] == [
        ("39", "op-1", 5),
        ("", "op-2", 0),
    ]
    await routes.remove(first.id)
    assert await routes.list() == [second]
    with pytest.raises(NotFound):
        await routes.remove(first.id)
    with pytest.raises(InvalidRequest):
        await routes.add("39x", "op-1")
    assert await routes.list() == [second]


async def test_mo_is_kept_unrouted(store: Any) -> None:
    _, _, mo = services(store)
    first = await mo.receive("op-1", "393331234567", "4000", "STOP", "gsm7", 1)
    second = await mo.receive("op-1", "393331234567", "4000", "Ciao", "gsm7", 2)
    assert second > first
    if isinstance(store, SqlStore):
        rows = await store.connections.read(
            lambda conn: conn.execute(select(inbound).order_by(inbound.c.id)).all()
        )
        assert [(r.text, r.parts, r.account_id, r.connector) for r in rows] == [
            ("STOP", 1, None, "op-1"),
            ("Ciao", 2, None, "op-1"),
        ]


class Operator(SimulatedOperator):
    """The simulator, with a bind that can be lost."""

    bound = True

    def ready(self) -> bool:
        return self.bound


async def test_router_prefers_bound_then_running_upstreams_else_the_default() -> None:
    store = MemoryStore()
    _, routes, _ = services(store)
    clock = SystemClock()
    simulator, italy, backup = (Operator(clock, name) for name in ("simulator", "italy", "backup"))
    running: dict[str, Upstream] = {"simulator": simulator, "italy": italy, "backup": backup}
    router = Router(lambda: running, default="simulator")
    await routes.add("39", "italy", priority=1)
    await routes.add("39", "backup", priority=2)
    await routes.add("44", "uk")
    assert router(outgoing(to="+393331234567")) is simulator  # no snapshot yet
    router.replace_routes(await routes.list())
    assert router(outgoing(to="+393331234567")) is italy
    italy.bound = False
    assert router(outgoing(to="+393331234567")) is backup
    backup.bound = False
    assert router(outgoing(to="+393331234567")) is italy  # none bound: wait for the best
    italy.bound = True
    assert router(outgoing(to="+393331234567")) is italy
    del running["italy"]
    assert router(outgoing(to="+393331234567")) is backup
    assert router(outgoing(to="+447700900000")) is simulator  # "uk" is not running
    assert router(outgoing(to="+4915112345678")) is simulator
