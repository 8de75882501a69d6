"""The supervisor keeps running upstreams in step with the connectors table (SQLite)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from smsgate.connectors.registry import FACTORIES, PARSERS
from smsgate.connectors.simulated_operator import SimulatedOperator
from smsgate.connectors.supervisor import ConnectorSupervisor
from smsgate.services.clock import SystemClock
from smsgate.services.connectors import ConnectorDefinition, ConnectorService
from smsgate.services.inbound import InboundService
from smsgate.services.ports import ReceiptUpdate, Upstream
from smsgate.smpp.smsc_simulator import SmscSimulator
from smsgate.store import SqlStore, open_store

pytestmark = pytest.mark.timeout(60)


async def ignore(receipts: Sequence[ReceiptUpdate]) -> None:
    pass


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    opened = await open_store(f"sqlite:///{tmp_path / 'smsgate.db'}")
    assert isinstance(opened, SqlStore)
    yield opened
    await opened.close()


async def bound_sessions(smsc: SmscSimulator, count: int) -> None:
    async with asyncio.timeout(10):
        while len(smsc.server.sessions) != count:
            await asyncio.sleep(0.01)


async def test_definitions_are_picked_up_changed_and_drained(store: SqlStore) -> None:
    clock = SystemClock()
    smsc = SmscSimulator("127.0.0.1", 0)
    await smsc.start()
    connectors = ConnectorService(store, PARSERS, clock.now)
    syncs: list[int] = []

    def build(definition: ConnectorDefinition) -> Upstream:
        return FACTORIES[definition.type](definition, clock, InboundService(store, clock))

    async def on_sync() -> None:
        syncs.append(1)

    simulator = SimulatedOperator(clock)
    supervisor = ConnectorSupervisor(
        connectors.list, build, builtin={"simulator": simulator}, on_sync=on_sync
    )
    settings = {"host": "127.0.0.1", "port": smsc.port, "system_id": "a", "password": "b"}
    try:
        await supervisor.start(ignore)
        assert set(supervisor.upstreams) == {"simulator"} and syncs == [1]

        await connectors.add("op", "smpp", settings)
        await supervisor.sync()
        first = supervisor.upstreams["op"]
        await bound_sessions(smsc, 1)

        await supervisor.sync()  # unchanged: the same upstream keeps running
        assert supervisor.upstreams["op"] is first

        await connectors.remove("op")
        await connectors.add("op", "smpp", {**settings, "binds": 2})
        await supervisor.sync()
        assert supervisor.upstreams["op"] is not first
        await bound_sessions(smsc, 2)

        await connectors.set_enabled("op", False)
        await supervisor.sync()
        assert set(supervisor.upstreams) == {"simulator"}
        await bound_sessions(smsc, 0)

        await connectors.set_enabled("op", True)
        await supervisor.sync()
        await bound_sessions(smsc, 2)
        await connectors.remove("op")
        await supervisor.sync()
        assert set(supervisor.upstreams) == {"simulator"}
        await bound_sessions(smsc, 0)
        assert len(syncs) == 7
    finally:
        await supervisor.close()
        await smsc.stop()


async def test_the_poll_loop_picks_up_a_new_connector(store: SqlStore) -> None:
    clock = SystemClock()
    smsc = SmscSimulator("127.0.0.1", 0)
    await smsc.start()
    connectors = ConnectorService(store, PARSERS, clock.now)

    def build(definition: ConnectorDefinition) -> Upstream:
        return FACTORIES[definition.type](definition, clock, InboundService(store, clock))

    supervisor = ConnectorSupervisor(connectors.list, build, builtin={}, interval=0.05)
    await supervisor.start(ignore)
    polling = asyncio.create_task(supervisor.run())
    try:
        settings = {"host": "127.0.0.1", "port": smsc.port, "system_id": "a", "password": "b"}
        await connectors.add("op", "smpp", settings)
        await bound_sessions(smsc, 1)
        assert set(supervisor.upstreams) == {"op"}
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await supervisor.close()
        await smsc.stop()
