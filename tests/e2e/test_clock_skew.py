"""A node whose clock is off (libfaketime, tens of seconds ahead or behind) next to a
node on time, on one PostgreSQL database (real `smsgate run` processes): while A lives,
B takes neither the bind slot of A's connector nor the outbox rows A claimed, as leases
are judged on the database's clock; once A is killed (-9), B takes both within the node
lease. The webhook signature's `t=` is the sending node's clock: it tells who POSTed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from smsgate.services.nodes import LEASE_SECONDS
from tests.e2e.gateway import GatewayProcess, postgres_database, route_everything
from tests.e2e.test_connector_slots import open_binds, slot_holders
from tests.e2e.test_mo_kill9 import Upstream
from tests.integration.webhooks.receiving import LoopbackReceiver

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not LIBFAKETIME.exists() and os.environ.get("CI", "").lower() != "true",
        reason="libfaketime is not installed (apt-get install faketime)",
    ),
]
SKEW = 40.0
MESSAGES = 20
WATCH = 4.0  # seconds B is watched next to A's live leases
SLACK = 3.0  # seconds beyond a lease for the taking node's next round


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    with postgres_database(postgres_url) as url:
        yield url


class HangingReceiver(LoopbackReceiver):
    """Notes who POSTed each webhook (the signature's `t=` against the real time) and
    never answers: the row stays claimed by the sender while it waits."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[tuple[str, float, float]] = []  # (message id, t - now, monotonic)
        self.never = asyncio.Event()

    async def answer(
        self, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> None:
        stamp = float(headers["x-smsgate-signature"].split(",")[0].removeprefix("t="))
        self.posts.append((str(json.loads(body)["id"]), stamp - time.time(), time.monotonic()))
        await self.never.wait()

    def by(self, skewed: bool) -> dict[str, float]:
        """The first POST of each message id by the skewed node (or the other)."""
        found: dict[str, float] = {}
        for message_id, off, at in list(self.posts):
            if (abs(off) > SKEW / 2) == skewed:
                found.setdefault(message_id, at)
        return found


async def start_receiver(receiver: HangingReceiver) -> asyncio.Server:
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    return server


async def stop_receiver(receiver: HangingReceiver, server: asyncio.Server) -> None:
    for handler in receiver.handlers:
        handler.cancel()
    await asyncio.gather(*receiver.handlers, return_exceptions=True)
    server.close()
    await server.wait_closed()


def make_due_for_both(url: str) -> None:
    """Due times are on the clock of the node that wrote them (docs/deployment.md):
    the webhook rows go back two skews, so that a node behind sees them due too."""

    async def update() -> None:
        engine = create_async_engine(
            url.replace("postgresql://", "postgresql+asyncpg://", 1), poolclass=NullPool
        )
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text("UPDATE outbox SET next_at = next_at - :back"), {"back": 2 * SKEW}
                )
        finally:
            await engine.dispose()

    asyncio.run(update())


def created_at(body: dict[str, object]) -> float:
    return datetime.fromisoformat(str(body["created_at"]).replace("Z", "+00:00")).timestamp()


def wait_until(what: str, done: Callable[[], bool], timeout: float = 60) -> float:
    """Poll `done()` until true; the monotonic time it became true."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.05)
    return time.monotonic()


@pytest.mark.parametrize("skew", [SKEW, -SKEW], ids=["ahead", "behind"])
def test_a_node_with_its_clock_off_takes_no_live_lease(
    skew: float, database_url: str, tmp_path: Path
) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    settings = {"database_url": database_url, "webhook_base_delay": "600"}
    a = GatewayProcess(tmp_path / "a", node_id="node-a", **settings)
    b = GatewayProcess(tmp_path / "b", node_id="node-b", demo="false", **settings)
    b.env.update(
        LD_PRELOAD=str(LIBFAKETIME), FAKETIME=f"{skew:+.0f}s", FAKETIME_DONT_FAKE_MONOTONIC="1"
    )
    receiver = HangingReceiver()
    with Upstream().running() as upstream:
        server = upstream.run(start_receiver(receiver))
        try:
            a.start(timeout=120)
            key = a.demo_key
            assert key is not None
            route_everything(a, upstream.smsc.port, 1)
            upstream.wait_bound(1)
            b.start(timeout=120)

            # B's clock really is off: it stamps what it accepts with its own time
            with b.client(key) as client:
                answer = client.post(
                    "/api/v1/messages", json={"to": "+393330000100", "from": "ACME", "text": "t"}
                )
                assert answer.status_code == 202, answer.text
                message_id = answer.json()["messages"][0]["id"]
                off = created_at(client.get(f"/api/v1/messages/{message_id}").json()) - time.time()
            assert abs(off - skew) < SKEW / 4, f"B's clock is off by {off:.1f} s"

            # the bind slot stays with A for longer than a slot lease
            watch_until = time.monotonic() + 8.0
            while time.monotonic() < watch_until:
                assert slot_holders(database_url) == ["node-a"]
                time.sleep(0.2)
            assert upstream.smsc.counters.most_binds == 1

            # A claims the webhook rows (B is stopped meanwhile) and waits on their POSTs
            assert b.proc is not None
            b.proc.send_signal(signal.SIGSTOP)
            with a.client(key) as client:
                for i in range(MESSAGES):
                    answer = client.post(
                        "/api/v1/messages",
                        json={"to": f"+39333{i:05d}11", "from": "ACME", "text": "w",
                              "callback_url": receiver.url("/hook")},
                    )  # fmt: skip
                    assert answer.status_code == 202, answer.text
            wait_until("A POSTs every webhook", lambda: len(receiver.by(skewed=False)) == MESSAGES)
            make_due_for_both(database_url)
            b.proc.send_signal(signal.SIGCONT)
            time.sleep(WATCH)
            assert receiver.by(skewed=True) == {}, "B took rows A holds"
            assert slot_holders(database_url) == ["node-a"]

            a.kill()
            killed = time.monotonic()
            bound = wait_until("B binds", lambda: slot_holders(database_url) == ["node-b"])
            wait_until("the SMSC sees B's bind", lambda: open_binds(upstream) == 1)
            taken = wait_until("B POSTs A's webhooks", lambda: len(receiver.by(True)) == MESSAGES)
            print(
                f"\nskew {skew:+.0f} s: after kill -9 of A, B bound in {bound - killed:.2f} s,"
                f" took its {MESSAGES} webhook rows in {taken - killed:.2f} s"
            )
            assert bound - killed < LEASE_SECONDS + SLACK
            assert taken - killed < LEASE_SECONDS + SLACK
            assert upstream.smsc.counters.most_binds == 1
        finally:
            if b.proc is not None:
                b.proc.send_signal(signal.SIGCONT)
            a.stop()
            b.stop()
            upstream.run(stop_receiver(receiver, server))
