"""Three gateway nodes (real `smsgate run` processes) on one PostgreSQL database share a
connector of `--binds 2`: the SMSC simulator never sees more than 2 binds at once, they
are spread over two nodes, and when one of those is killed (-9) its bind comes back on
another node within the lease; messages sent through any node are delivered meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from smsgate.services.nodes import LEASE_SECONDS
from tests.e2e.gateway import GatewayProcess, postgres_database, route_everything
from tests.e2e.test_mo_kill9 import Upstream

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(300)]
BINDS = 2


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    with postgres_database(postgres_url) as url:
        yield url


def slot_holders(url: str) -> list[str | None]:
    """Who holds each slot of `sim` whose lease has not run out, by slot."""

    async def read() -> list[str | None]:
        engine = create_async_engine(
            url.replace("postgresql://", "postgresql+asyncpg://", 1), poolclass=NullPool
        )
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT CASE WHEN lease_until >= extract(epoch FROM clock_timestamp())"
                        " THEN node_id END FROM connector_slots"
                        " WHERE connector = 'sim' ORDER BY slot"
                    )
                )
                return [row[0] for row in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def open_binds(upstream: Upstream) -> int:
    """The binds of `gw` the SMSC has open now, counted on its own loop."""

    async def count() -> int:
        return sum(1 for s in upstream.smsc.bound.get("gw", ()) if not s.closed)

    found: int = upstream.run(count())
    return found


def wait_until_spread(upstream: Upstream, url: str, nodes: set[str]) -> list[str | None]:
    deadline = time.monotonic() + 60
    while True:
        holders = slot_holders(url)
        if open_binds(upstream) == BINDS and len(set(holders) & nodes) == BINDS:
            return holders
        assert time.monotonic() < deadline, f"binds not spread: {holders}"
        time.sleep(0.05)


def send_and_deliver(gateway: GatewayProcess, key: str, count: int) -> None:
    with gateway.client(key) as client:
        ids = []
        for i in range(count):
            response = client.post(
                "/api/v1/messages",
                json={"to": f"+39333{i:05d}99", "from": "ACME", "text": f"m{i}"},
            )
            assert response.status_code == 202, response.text
            ids.append(response.json()["messages"][0]["id"])
        for message_id in ids:
            gateway.wait_for(client, message_id, {"delivered"}, timeout=60)


def test_binds_are_shared_within_the_total_and_move_off_a_killed_node(
    database_url: str, tmp_path: Path
) -> None:
    names = ["node-a", "node-b", "node-c"]
    gateways: dict[str, GatewayProcess] = {}
    for name in names:
        (tmp_path / name).mkdir()
        gateways[name] = GatewayProcess(
            tmp_path / name,
            database_url=database_url,
            node_id=name,
            demo="true" if name == "node-a" else "false",
        )
    with Upstream().running() as upstream:
        try:
            first = gateways["node-a"]
            first.start(timeout=120)
            key = first.demo_key
            assert key is not None
            route_everything(first, upstream.smsc.port, BINDS)
            gateways["node-b"].start(timeout=120)
            gateways["node-c"].start(timeout=120)
            holders = wait_until_spread(upstream, database_url, set(names))
            # through every node, the one without a bind too
            for gateway in gateways.values():
                send_and_deliver(gateway, key, 10)

            victim = next(h for h in holders if h is not None)
            gateways.pop(victim).kill()
            killed = time.monotonic()
            while open_binds(upstream) == BINDS:  # the SMSC sees the connection go
                time.sleep(0.01)
            holders = wait_until_spread(upstream, database_url, set(gateways))
            moved = time.monotonic() - killed
            print(f"\nbind of {victim} back on {holders} {moved:.2f} s after kill -9")
            assert moved < LEASE_SECONDS
            for gateway in gateways.values():
                send_and_deliver(gateway, key, 10)
            # the operator's own count, at every moment of the test
            assert upstream.smsc.counters.most_binds == BINDS
        finally:
            for gateway in gateways.values():
                gateway.stop()
