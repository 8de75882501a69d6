"""Connector definitions, routes and unrouted MO on every store backend, and the Router."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from smsgate.connectors.registry import PARSERS
from smsgate.connectors.simulated_operator import SimulatedOperator
from smsgate.core.errors import Conflict, InvalidRequest, NotFound
from smsgate.services.clock import SystemClock
from smsgate.services.connectors import ConnectorService, ConnectorStore
from smsgate.services.inbound import PARTS_KEPT_FOR, InboundService, InboundStore
from smsgate.services.ports import Upstream
from smsgate.services.routing import Router, RouteService, RouteStore
from smsgate.store import MemoryStore, SqlStore
from smsgate.store.schema_inbound import inbound, inbound_parts
from smsgate.text import ConcatInfo, Encoding, TextError, encode
from tests.integration.backends import SQL_BACKENDS, Database, fresh_database
from tests.unit.connectors.messages import outgoing

SETTINGS: dict[str, Any] = {"host": "10.0.0.1", "port": 2775, "system_id": "s", "password": "p"}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    db: Database
    async with fresh_database(str(request.param), tmp_path, request) as db:
        yield await db.open()


@pytest.fixture(params=SQL_BACKENDS)
async def sql_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with fresh_database(str(request.param), tmp_path, request) as db:
        yield db


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


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


async def unrouted(store: Any) -> list[tuple[str, str, int]]:
    """(text, encoding, parts) of every stored MO, oldest first."""
    if isinstance(store, SqlStore):
        rows = await store.connections.read(
            lambda conn: conn.execute(select(inbound).order_by(inbound.c.id)).all()
        )
        return [(r.text, r.encoding, r.parts) for r in rows]
    assert isinstance(store, MemoryStore)
    return [(mo.text, mo.encoding, mo.parts) for mo in store._inbound.values()]


async def waiting_parts(store: Any) -> int:
    if isinstance(store, SqlStore):
        query = select(func.count()).select_from(inbound_parts)
        counted: int = await store.connections.read(lambda conn: conn.execute(query).scalar_one())
        return counted
    assert isinstance(store, MemoryStore)
    return sum(len(kept) for kept in store._inbound_parts.values())


def part(reference: int, total: int, sequence: int) -> ConcatInfo:
    return ConcatInfo(reference, total, sequence)


async def test_multipart_mo_is_stored_whole_when_its_last_part_arrives(store: Any) -> None:
    assert isinstance(store, InboundStore)
    mo = InboundService(store, Clock())
    pieces = {2: b"from ", 1: b"Hello ", 3: b"three parts"}
    found = [
        await mo.receive_part("op", "393331234567", "4000", part(7, 3, seq), text, Encoding.GSM7)
        for seq, text in pieces.items()
    ]
    assert found[:2] == [None, None] and found[2] is not None
    assert await unrouted(store) == [("Hello from three parts", "gsm7", 3)]
    assert await waiting_parts(store) == 0


async def test_a_repeated_part_replaces_its_copy_and_messages_stay_apart(store: Any) -> None:
    assert isinstance(store, InboundStore)
    mo = InboundService(store, Clock())
    await mo.receive_part("op", "39333", "4000", part(7, 2, 1), b"first ", Encoding.GSM7)
    await mo.receive_part("op", "39333", "4000", part(7, 2, 1), b"again ", Encoding.GSM7)
    # Same reference, another sender, connector or total: other messages.
    await mo.receive_part("op", "39444", "4000", part(7, 2, 2), b"x", Encoding.GSM7)
    await mo.receive_part("op-2", "39333", "4000", part(7, 2, 2), b"x", Encoding.GSM7)
    await mo.receive_part("op", "39333", "4000", part(7, 3, 2), b"x", Encoding.GSM7)
    assert await unrouted(store) == []
    await mo.receive_part("op", "39333", "4000", part(7, 2, 2), b"time", Encoding.GSM7)
    assert await unrouted(store) == [("again time", "gsm7", 2)]
    assert await waiting_parts(store) == 3


async def test_parts_are_decoded_only_once_joined(store: Any) -> None:
    assert isinstance(store, InboundStore)
    mo = InboundService(store, Clock())
    whole = encode("Привет", Encoding.UCS2)  # 12 octets, split inside a character
    await mo.receive_part("op", "39333", "4000", part(9, 2, 1), whole[:5], Encoding.UCS2)
    await mo.receive_part("op", "39333", "4000", part(9, 2, 2), whole[5:], Encoding.UCS2)
    assert await unrouted(store) == [("Привет", "ucs2", 2)]


async def test_a_part_older_than_the_wait_is_dropped(store: Any) -> None:
    assert isinstance(store, InboundStore)
    clock = Clock()
    mo = InboundService(store, clock)
    await mo.receive_part("op", "39333", "4000", part(1, 2, 1), b"old ", Encoding.GSM7)
    clock.at += PARTS_KEPT_FOR + 1
    await mo.receive_part("op", "39333", "4000", part(1, 2, 2), b"part", Encoding.GSM7)
    assert await unrouted(store) == []
    assert await waiting_parts(store) == 1  # the fresh one waits for its other half
    with pytest.raises(TextError):
        await mo.receive_part("op", "39333", "4000", part(1, 2, 3), b"!", Encoding.GSM7)
    assert await waiting_parts(store) == 1


async def test_kept_parts_outlive_the_process_that_acknowledged_them(
    sql_database: Database,
) -> None:
    first = await sql_database.open()
    assert isinstance(first, InboundStore)
    await InboundService(first, Clock()).receive_part(
        "op", "39333", "4000", part(3, 2, 1), b"before ", Encoding.GSM7
    )
    await first.close()
    sql_database.opened.remove(first)
    second = await sql_database.open()
    assert isinstance(second, InboundStore)
    await InboundService(second, Clock()).receive_part(
        "op", "39333", "4000", part(3, 2, 2), b"and after", Encoding.GSM7
    )
    assert await unrouted(second) == [("before and after", "gsm7", 2)]


async def test_parts_arriving_at_once_on_two_connections_make_one_message(
    sql_database: Database,
) -> None:
    stores = [await sql_database.open(), await sql_database.open()]
    services = [InboundService(s, Clock()) for s in stores if isinstance(s, InboundStore)]
    for reference in range(30):
        await asyncio.gather(
            *(
                mo.receive_part(
                    "op", "39333", "4000", part(reference, 2, seq), b"%d" % seq, Encoding.GSM7
                )
                for seq, mo in enumerate(services, start=1)
            )
        )
    assert await unrouted(stores[0]) == [("12", "gsm7", 2)] * 30
    assert await waiting_parts(stores[0]) == 0


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
