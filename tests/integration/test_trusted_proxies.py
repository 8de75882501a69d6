"""Clients behind a trusted proxy: the HTTP listener believes X-Forwarded-For and the SMPP
listener a PROXY header only from `trusted_proxies`, so an account's allow-list sees the
customer's address; from anybody else the header changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from smsgate.app import Gateway
from smsgate.services.account_policy import AccountPolicy
from smsgate.smpp.codec import decode, encode
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import BindTransceiver
from tests.integration.test_connection_limits import (
    OTHER,
    PATIENCE,
    answered,
    both_servers,
    connect,
    served,
    until_closed,
)

CUSTOMER = "203.0.113.7"
PASSWORD = "alice-pw"


async def alice(gateway: Gateway) -> str:
    created = await gateway.accounts.create("alice", credit=10**6, password=PASSWORD)
    await gateway.policies.set(created.account.id, AccountPolicy(allowed_ips=(CUSTOMER,)))
    return created.api_key


def balance(key: str, forwarded: str) -> bytes:
    return (
        b"GET /api/v1/balance HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Bearer %s\r\nX-Forwarded-For: %s\r\n\r\n"
        % (key.encode(), forwarded.encode())
    )


async def status_of(port: int, source: str, request: bytes) -> bytes:
    reader, writer = await connect(port, source)
    try:
        return (await answered(reader, writer, request)).split(b" ", 2)[1]
    finally:
        writer.close()


@both_servers
async def test_http_believes_x_forwarded_for_from_a_trusted_proxy_only(
    tmp_path: Path, server: str
) -> None:
    async with served(tmp_path, http_server=server, trusted_proxies="127.0.0.1/32") as (
        gateway,
        port,
    ):
        key = await alice(gateway)
        assert await status_of(port, "127.0.0.1", balance(key, CUSTOMER)) == b"200"
        assert await status_of(port, "127.0.0.1", balance(key, "198.51.100.1")) == b"403"
        # 127.0.0.2 is no proxy of ours: its header is its own claim and is ignored
        assert await status_of(port, OTHER, balance(key, CUSTOMER)) == b"403"


@both_servers
async def test_http_believes_nobody_by_default(tmp_path: Path, server: str) -> None:
    async with served(tmp_path, http_server=server) as (gateway, port):
        key = await alice(gateway)
        assert await status_of(port, "127.0.0.1", balance(key, CUSTOMER)) == b"403"


async def bind_status(port: int, source: str, header: bytes) -> int | None:
    """The bind_resp's command_status after `header`; None when the server closed."""
    reader, writer = await connect(port, source)
    try:
        writer.write(header + encode(BindTransceiver(system_id="alice", password=PASSWORD)))
        async with asyncio.timeout(PATIENCE):
            length = await reader.read(4)
            if not length:
                return None
            body = await reader.readexactly(int.from_bytes(length, "big") - 4)
        return decode(length + body).command_status
    finally:
        writer.close()


async def test_smpp_reads_the_proxy_header_of_a_trusted_balancer(tmp_path: Path) -> None:
    async with served(tmp_path, trusted_proxies="127.0.0.1") as (gateway, _):
        await alice(gateway)
        port = gateway.smpp.port
        v1 = b"PROXY TCP4 %s 127.0.0.1 40001 2775\r\n"
        assert await bind_status(port, "127.0.0.1", v1 % CUSTOMER.encode()) == 0
        refused = await bind_status(port, "127.0.0.1", v1 % b"198.51.100.1")
        assert refused not in (None, 0)
        # from a trusted balancer the header is required
        assert await bind_status(port, "127.0.0.1", b"") is None
        # from anybody else a PROXY line is no SMPP: the connection gets nowhere
        assert await bind_status(port, OTHER, v1 % CUSTOMER.encode()) != 0


async def test_a_trusted_balancer_that_sends_nothing_is_closed_after_the_bind_timeout(
    tmp_path: Path,
) -> None:
    async with served(tmp_path, trusted_proxies="127.0.0.1", smpp_bind_timeout=1) as (gw, _):
        reader, writer = await connect(gw.smpp.port)
        assert await until_closed(reader) == b""
        writer.close()


async def test_smpp_without_trusted_proxies_binds_by_the_socket_address(tmp_path: Path) -> None:
    async with served(tmp_path) as (gateway, _):
        await alice(gateway)
        assert await bind_status(gateway.smpp.port, "127.0.0.1", b"") == int(
            CommandStatus.ESME_RBINDFAIL
        )
