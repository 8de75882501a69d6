"""The listeners' timeouts and per-address cap, over real sockets to the served gateway.

The HTTP server is `serving.http_server` (uvicorn with the guarded protocol, or the lean
server: every HTTP test runs on both) and the SMPP
server the customers' `SmppFrontend`, both built from Settings as `smsgate run` builds
them; the clients are raw sockets (from 127.0.0.2 where the address matters) and smpplib.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import smpplib.client

from smsgate.api.front.server import LeanServer
from smsgate.app import Gateway
from smsgate.config import HTTP_SERVERS
from smsgate.serving import http_server
from tests.integration.gateway import open_gateway

OTHER = "127.0.0.2"
both_servers = pytest.mark.parametrize("server", HTTP_SERVERS)
HEALTH = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
PATIENCE = 15.0  # far above every timeout set here: a bound, not a measure


@contextlib.asynccontextmanager
async def served(tmp_path: Path, **settings: Any) -> AsyncIterator[tuple[Gateway, int]]:
    """The gateway's HTTP and SMPP servers on free ports; yields it and the HTTP port."""
    async with open_gateway(tmp_path, database_url="memory://", **settings) as gateway:
        server = http_server(gateway)
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                assert not serving.done(), "the server stopped before it started"
                await asyncio.sleep(0.01)
            await gateway.smpp.start()
            yield gateway, server.servers[0].sockets[0].getsockname()[1]
        finally:
            server.should_exit = True
            await serving


async def connect(port: int, source: str = "127.0.0.1") -> tuple[asyncio.StreamReader, Any]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes (a reset counts as closed)."""
    received = b""
    with contextlib.suppress(ConnectionResetError):
        async with asyncio.timeout(PATIENCE):
            while chunk := await reader.read(65536):
                received += chunk
    return received


async def answered(reader: asyncio.StreamReader, writer: Any, request: bytes) -> bytes:
    """Send a request on a kept-alive connection and read its whole answer."""
    writer.write(request)
    async with asyncio.timeout(PATIENCE):
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        )  # fmt: skip
        return head + await reader.readexactly(length)


@both_servers
async def test_half_a_request_is_answered_408_and_closed_after_the_header_timeout(
    tmp_path: Path,
    server: str,
) -> None:
    async with served(tmp_path, http_server=server, http_header_timeout=1) as (_, port):
        reader, writer = await connect(port)
        writer.write(b"POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        assert (await until_closed(reader)).startswith(b"HTTP/1.1 408 ")
        writer.close()


@both_servers
async def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(
    tmp_path: Path,
    server: str,
) -> None:
    async with served(tmp_path, http_server=server, http_header_timeout=1) as (_, port):
        reader, writer = await connect(port)
        assert (await until_closed(reader)).startswith(b"HTTP/1.1 408 ")
        writer.close()


@both_servers
async def test_the_next_request_on_a_kept_alive_connection_has_the_header_timeout(
    tmp_path: Path,
    server: str,
) -> None:
    async with served(
        tmp_path, http_server=server, http_header_timeout=1, http_keepalive_timeout=600
    ) as (_, port):
        reader, writer = await connect(port)
        assert (await answered(reader, writer, HEALTH)).startswith(b"HTTP/1.1 200 ")
        writer.write(b"GET /healthz HTTP/1.1\r\nHo")
        assert (await until_closed(reader)).startswith(b"HTTP/1.1 408 ")
        writer.close()


@both_servers
async def test_a_slow_body_is_answered_408_and_closed_after_the_body_timeout(
    tmp_path: Path, server: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with served(
        tmp_path, http_server=server, http_header_timeout=600, http_body_timeout=1
    ) as (gw, port):
        key = (await gw.accounts.create("alice", credit=10**6)).api_key
        reader, writer = await connect(port)
        writer.write(
            b"POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"to": ' % key.encode()
        )
        assert (await until_closed(reader)).startswith(b"HTTP/1.1 408 ")
        writer.close()
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


@both_servers
async def test_an_idle_kept_alive_connection_is_closed(tmp_path: Path, server: str) -> None:
    async with served(tmp_path, http_server=server, http_keepalive_timeout=1) as (_, port):
        reader, writer = await connect(port)
        assert (await answered(reader, writer, HEALTH)).startswith(b"HTTP/1.1 200 ")
        assert await until_closed(reader) == b""
        writer.close()


@both_servers
async def test_the_keepalive_timeout_counts_from_the_last_response(
    tmp_path: Path, server: str
) -> None:
    async with served(tmp_path, http_server=server, http_keepalive_timeout=4) as (_, port):
        reader, writer = await connect(port)
        # Requests 2.5 s apart: over the timeout since the first answer, never idle that long.
        for _ in range(3):
            assert (await answered(reader, writer, HEALTH)).startswith(b"HTTP/1.1 200 ")
            await asyncio.sleep(2.5)
        assert (await answered(reader, writer, HEALTH)).startswith(b"HTTP/1.1 200 ")
        writer.close()


@both_servers
async def test_the_keepalive_timeout_is_the_setting(tmp_path: Path, server: str) -> None:
    async with served(tmp_path, http_server=server, http_keepalive_timeout=7) as (gateway, _):
        built = http_server(gateway)
        if isinstance(built, LeanServer):
            assert built.shared.keepalive == 7
        else:
            assert built.config.timeout_keep_alive == 7


@both_servers
async def test_one_connection_over_the_cap_of_an_address_is_closed_and_others_served(
    tmp_path: Path,
    server: str,
) -> None:
    async with served(tmp_path, http_server=server, connections_per_address=2) as (_, port):
        held = [await connect(port, OTHER) for _ in range(2)]
        for reader, writer in held:  # answered: the server counts them
            assert (await answered(reader, writer, HEALTH)).startswith(b"HTTP/1.1 200 ")
        reader, writer = await connect(port, OTHER)
        writer.write(HEALTH)
        assert await until_closed(reader) == b""
        writer.close()
        mine = await connect(port)
        assert (await answered(*mine, HEALTH)).startswith(b"HTTP/1.1 200 ")
        # A connection that closes makes room for the next one from that address.
        held.pop()[1].close()
        async with asyncio.timeout(PATIENCE):
            while True:
                reader, writer = await connect(port, OTHER)
                with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                    if (await answered(reader, writer, HEALTH)).startswith(b"HTTP/1.1 200 "):
                        writer.close()
                        break
                writer.close()
                await asyncio.sleep(0.05)
        for _, writer in [*held, mine]:
            writer.close()


async def test_an_smpp_connection_that_never_binds_is_closed_after_the_bind_timeout(
    tmp_path: Path,
) -> None:
    async with served(tmp_path, smpp_bind_timeout=1) as (gateway, _):
        reader, writer = await connect(gateway.smpp.port)
        assert await until_closed(reader) == b""
        writer.close()


def _bind(port: int, system_id: str, password: str) -> int:
    client = smpplib.client.Client(
        "127.0.0.1", port, timeout=PATIENCE, allow_unknown_opt_params=True
    )
    client.connect()
    try:
        return int(client.bind_transmitter(system_id=system_id, password=password).status)
    finally:
        client.unbind()
        client.disconnect()


async def test_one_smpp_connection_over_the_cap_of_an_address_is_closed_and_others_bind(
    tmp_path: Path,
) -> None:
    async with served(tmp_path, connections_per_address=2) as (gateway, _):
        await gateway.accounts.create("alice", password="alice-pw")
        port = gateway.smpp.port
        held = [await connect(port, OTHER) for _ in range(2)]
        async with asyncio.timeout(PATIENCE):
            while len(gateway.smpp.server.sessions) < 2:
                await asyncio.sleep(0.01)
        reader, writer = await connect(port, OTHER)
        assert await until_closed(reader) == b""
        writer.close()
        assert await asyncio.to_thread(_bind, port, "alice", "alice-pw") == 0
        for _, held_writer in held:
            held_writer.close()
