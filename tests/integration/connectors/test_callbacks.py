"""An upstream type whose operator calls back over HTTP: its one route is served under
/callbacks/{connector}/ by the gateway's own HTTP server, and a receipt POSTed there
over a 127.0.0.1 socket finishes the message the gateway sent through it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.config import Settings
from smsgate.connectors import registry
from smsgate.connectors.callbacks import Routes
from smsgate.core.messages import Message, PartStatus
from smsgate.core.money import MICRO
from smsgate.services.connectors import ConnectorDefinition
from smsgate.services.ports import (
    CallbackReply,
    CallbackRequest,
    Clock,
    MoSink,
    ReceiptSink,
    ReceiptUpdate,
    Upstream,
    UpstreamPart,
    UpstreamResult,
)
from smsgate.serving import http_server

pytestmark = pytest.mark.timeout(60)
TYPE = "callback-test"
PATIENCE = 20.0  # a bound on waits, far above what any of them takes


class CallbackUpstream:
    """Takes every message at once; its receipts come as HTTP callbacks."""

    window = 10

    def __init__(self, name: str) -> None:
        self.name = name
        self._ids = itertools.count(1)

    def ready(self) -> bool:
        return True

    async def start(self, sink: ReceiptSink) -> None:
        pass

    async def submit(self, message: Message) -> UpstreamResult:
        parts = tuple(
            UpstreamPart(seq, f"cb-{next(self._ids)}", None) for seq in range(1, message.parts + 1)
        )
        return UpstreamResult(True, False, parts, None)

    async def close(self) -> None:
        pass


def build(definition: ConnectorDefinition, clock: Clock, mo_sink: MoSink) -> Upstream:
    return CallbackUpstream(definition.name)


def receipt_routes(
    definition: ConnectorDefinition, receipts: ReceiptSink, mo: MoSink, clock: Clock
) -> Routes:
    """POST receipt with a form `id=...&stat=DELIVRD|UNDELIV`."""

    async def receipt(request: CallbackRequest) -> CallbackReply:
        form = parse_qs(request.body.decode())
        delivered = form["stat"] == ["DELIVRD"]
        status = PartStatus.DELIVERED if delivered else PartStatus.UNDELIVERED
        update = ReceiptUpdate(request.connector, form["id"][0], status, None, clock.now())
        await receipts([update])
        return CallbackReply(body=b"OK")

    return {("POST", "receipt"): receipt}


@pytest.fixture
def callback_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.PARSERS, TYPE, dict)
    monkeypatch.setitem(registry.FACTORIES, TYPE, build)
    monkeypatch.setitem(registry.CALLBACKS, TYPE, receipt_routes)


@contextlib.asynccontextmanager
async def served(tmp_path: Path) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:
    """A started gateway on a memory store, its HTTP API on a free loopback port."""
    settings = Settings(
        data_dir=str(tmp_path), database_url="memory://", http_port=0, smpp_port=0, demo=False
    )
    gateway = await Gateway.open(settings)
    server = http_server(gateway)
    serving = asyncio.create_task(server.serve())
    try:
        await gateway.start(smpp=False)
        async with asyncio.timeout(PATIENCE):
            while not server.started:
                assert not serving.done(), "uvicorn stopped before it started"
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield gateway, client
    finally:
        server.should_exit = True
        await serving
        await gateway.close()


async def status_of(client: httpx.AsyncClient, key: str, message_id: str, wanted: str) -> str:
    """The message's status once it is `wanted` (or the last seen when PATIENCE runs out)."""
    status = ""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(PATIENCE):
            while status != wanted:
                response = await client.get(
                    f"/api/v1/messages/{message_id}", headers={"Authorization": f"Bearer {key}"}
                )
                status = response.json()["status"]
                await asyncio.sleep(0.02)
    return status


@pytest.mark.usefixtures("callback_type")
async def test_a_receipt_posted_to_the_connectors_route_finishes_its_message(
    tmp_path: Path,
) -> None:
    async with served(tmp_path) as (gateway, client):
        await gateway.accounts.set_price(None, "*", 50_000)
        created = await gateway.accounts.create("acme", credit=10 * MICRO)
        await gateway.connectors.add("cbop", TYPE, {})
        await gateway.routes.add("*", "cbop")
        await gateway.supervisor.sync()
        body: dict[str, Any] = {"to": "+393331234567", "from": "smsgate", "text": "Hello"}
        auth = {"Authorization": f"Bearer {created.api_key}"}
        sent = await client.post("/api/v1/messages", json=body, headers=auth)
        assert sent.status_code == 202
        message_id = sent.json()["messages"][0]["id"]
        assert await status_of(client, created.api_key, message_id, "sent") == "sent"

        unknown = await client.post("/callbacks/nobody/receipt", data={"id": "cb-1"})
        no_route = await client.post("/callbacks/cbop/other", data={"id": "cb-1"})
        assert (unknown.status_code, no_route.status_code) == (404, 404)
        answer = await client.post(
            "/callbacks/cbop/receipt", data={"id": "cb-1", "stat": "DELIVRD"}
        )
        assert (answer.status_code, answer.text) == (200, "OK")
        assert await status_of(client, created.api_key, message_id, "delivered") == "delivered"
