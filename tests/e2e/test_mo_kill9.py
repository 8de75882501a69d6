"""MO acknowledged upstream survive kill -9 of the gateway: after a restart on the same
database a customer's first SMPP bind receives every one, each sent once (real `smsgate
run` subprocess, SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import smpplib.client
from sqlalchemy import text
from sqlalchemy.engine import Connection

from smsgate.services.clock import SystemClock
from smsgate.services.inbound_plan import InboundSettings, InboundSettingsService
from smsgate.smpp.smsc_simulator import SmscSimulator
from smsgate.store import open_store
from smsgate.store.sql import SqlStore
from tests.e2e.gateway import BACKENDS, GatewayProcess, postgres_database

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
COUNT = 200
NUMBER = "3000"
PASSWORD = "acmepw1"


class Upstream:
    """Our SMSC simulator on a loop in a thread of its own: the operator delivering MO."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.smsc = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"})

    def run(self, coroutine: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @contextlib.contextmanager
    def running(self) -> Iterator[Upstream]:
        self.thread.start()
        self.run(self.smsc.start())
        try:
            yield self
        finally:
            self.run(self.smsc.stop())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    def wait_bound(self, binds: int) -> None:
        deadline = time.monotonic() + 60
        while self.smsc.counters.binds < binds:
            assert time.monotonic() < deadline, "the gateway never bound upstream"
            time.sleep(0.05)

    def deliver(self, texts: list[str]) -> list[int]:
        """Deliver one MO per text to NUMBER at once; the gateway's answers."""

        async def all_at_once() -> list[int]:
            responses = await asyncio.gather(
                *(
                    self.smsc.inject_mo(f"39333{i:07d}", NUMBER, t.encode(), system_id="gw")
                    for i, t in enumerate(texts)
                )
            )
            return [response.command_status for response in responses]

        statuses: list[int] = self.run(all_at_once())
        return statuses


def outbox(url: str) -> list[tuple[str, int]]:
    """(state, attempts) of each MO row of the SMPP outbox, oldest first."""

    def rows(conn: Connection) -> list[tuple[str, int]]:
        query = "SELECT state, attempts FROM smpp_outbox WHERE kind = 'mo' ORDER BY id"
        return [(str(state), int(attempts)) for state, attempts in conn.execute(text(query))]

    async def read() -> list[tuple[str, int]]:
        store = await open_store(url, migrate=False)
        try:
            assert isinstance(store, SqlStore)
            return await store.connections.read(rows)
        finally:
            await store.close()

    return asyncio.run(read())


def enable_smpp(url: str, account_id: int) -> None:
    """The account's MO go to its SMPP binds (written before the gateway starts)."""

    async def write() -> None:
        store = await open_store(url)
        try:
            service = InboundSettingsService(store, SystemClock())
            await service.set(InboundSettings(account_id, smpp=True))
        finally:
            await store.close()

    asyncio.run(write())


def receive(port: int, count: int) -> list[Any]:
    """Bind as acme's receiver and read until `count` deliver_sm came."""
    received: list[Any] = []
    client = smpplib.client.Client("127.0.0.1", port, timeout=10, allow_unknown_opt_params=True)
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    client.connect()
    try:
        client.bind_receiver(system_id="acme", password=PASSWORD)
        deadline = time.monotonic() + 120
        while len(received) < count:
            assert time.monotonic() < deadline, f"{len(received)} of {count} received"
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()
    return received


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'smsgate.db'}"
        return
    with postgres_database(str(request.getfixturevalue("postgres_url"))) as url:
        yield url


def test_mo_acknowledged_before_kill_9_reach_the_first_bind_after_restart(
    tmp_path: Path, database_url: str
) -> None:
    gateway = GatewayProcess(tmp_path, database_url=database_url)
    created = gateway.cli("account", "create", "acme", "--password", PASSWORD)
    gateway.cli("number", "add", NUMBER, "--account", "acme")
    enable_smpp(database_url, created["id"])
    texts = [f"MO {i:03d}" for i in range(COUNT)]
    with Upstream().running() as upstream:
        port = str(upstream.smsc.port)
        gateway.cli(
            "connector", "add", "op", "--host", "127.0.0.1", "--port", port,
            "--system-id", "gw", "--password", "pw",
        )  # fmt: skip
        gateway.start()
        try:
            upstream.wait_bound(1)
            assert upstream.deliver(texts) == [0] * COUNT  # each acknowledged: committed
            assert outbox(database_url) == [("pending", 0)] * COUNT
        finally:
            gateway.kill()  # no customer has bound yet

        gateway.start()
        try:
            received = receive(gateway.smpp_port, COUNT)
            deadline = time.monotonic() + 60
            while any(state == "pending" for state, _ in outbox(database_url)):
                assert time.monotonic() < deadline, "rows still pending after delivery"
                time.sleep(0.1)
        finally:
            gateway.stop()
    got = [pdu.short_message.decode() for pdu in received]
    assert sorted(got) == texts  # none lost, none twice
    # Each row was sent once: no duplicate went out after the ones read here.
    assert outbox(database_url) == [("delivered", 1)] * COUNT
