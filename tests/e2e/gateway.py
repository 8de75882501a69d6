"""A real `smsgate run` subprocess on free loopback ports, for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import smpplib.client
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

KEY_LINE = re.compile(r"API key \(shown once\):\s+(\S+)")
PASSWORD_LINE = re.compile(r"password \(shown once\):\s+(\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def steady_port() -> int:
    """A free port below the kernel's range for outgoing connections: while a gateway
    on it is down (killed, to be started again), no client's connection can take it."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        port = secrets.choice(range(low // 2, low))
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


@contextlib.contextmanager
def simulated_operator(port: int, *options: str) -> Iterator[subprocess.Popen[str]]:
    """`smsgate simulator` on `port` (account gw:pw, decimal ids, then `options`) until
    the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsgate", "simulator", "--port", str(port), "--delay-ms", "50",
         "--account", "gw:pw", "--id-format", "dec", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        assert "listening" in proc.stdout.readline()
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
        proc.stdout.close()


class GatewayProcess:
    """Starts, kills and restarts one gateway on one data directory."""

    def __init__(self, data_dir: Path, steady: bool = False, /, **settings: str) -> None:
        """`steady`: ports no outgoing connection can take while the gateway is down."""
        self.data_dir = data_dir
        pick = steady_port if steady else free_port
        self.port = pick()
        self.smpp_port = pick()
        self.env = {
            **os.environ,
            "SMSGATE_DATA_DIR": str(data_dir),
            "SMSGATE_HTTP_PORT": str(self.port),
            "SMSGATE_SMPP_PORT": str(self.smpp_port),
            "SMSGATE_SIMULATOR_DELAY_MS": "100",
            "SMSGATE_WEBHOOK_SECRET": "e2e-secret",
            "SMSGATE_WEBHOOK_BASE_DELAY": "0.2",
            "SMSGATE_HOUSEKEEPING_INTERVAL": "0.3",
            **{f"SMSGATE_{k.upper()}": v for k, v in settings.items()},
        }
        self.proc: subprocess.Popen[str] | None = None
        self.demo_key: str | None = None
        self.demo_password: str | None = None
        self.printed: list[str] = []  # what its last start printed until ready
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0, preexec_fn: Callable[[], None] | None = None) -> None:
        log = open(self.data_dir / "gateway.log", "a")  # noqa: SIM115 - closed by the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smsgate", "run"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            preexec_fn=preexec_fn,
        )
        log.close()
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        self.printed = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"gateway exited early: {self.log_tail()}")
            self.printed.append(line)
            found = KEY_LINE.search(line)
            if found:
                self.demo_key = found.group(1)
            password = PASSWORD_LINE.search(line)
            if password:
                self.demo_password = password.group(1)
            if "(ready)" in line:
                return
        raise RuntimeError(f"gateway did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.data_dir / "gateway.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc is None:
            return 0
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=20)
        finally:
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def cli(self, *args: str) -> Any:
        """Run `smsgate ARGS --json` on the same data directory and parse its output."""
        done = subprocess.run(
            [sys.executable, "-m", "smsgate", *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def client(self, api_key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {api_key}"}, timeout=10
        )

    def wait_for(
        self, client: httpx.Client, message_id: str, statuses: set[str], timeout: float = 15
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = client.get(f"/api/v1/messages/{message_id}")
            body = response.json()
            if body.get("status") in statuses:
                return body
            time.sleep(0.05)
        raise AssertionError(f"message {message_id} stayed {body.get('status')}: {body}")


def all_pages(client: httpx.Client, path: str, key: str) -> list[dict[str, Any]]:
    """Every item of a cursor-paged list endpoint."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        body = client.get(path, params=params).json()
        items += body[key]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def part_connectors(gateway: GatewayProcess, message_id: str) -> list[tuple[str, str]]:
    with sqlite3.connect(gateway.data_dir / "smsgate.db") as db:
        rows = db.execute(
            "SELECT connector, upstream_id FROM parts WHERE message_id = ? ORDER BY seq",
            (message_id,),
        ).fetchall()
    return [(str(c), str(u)) for c, u in rows]


def wait_for_log(gateway: GatewayProcess, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in gateway.log_tail():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in the gateway log: {gateway.log_tail()}")


def add_operator(gateway: GatewayProcess, name: str, port: int) -> None:
    """Add an SMPP connector to a `simulated_operator` on `port`; return once it runs."""
    gateway.cli(
        "connector", "add", name, "--host", "127.0.0.1", "--port", str(port),
        "--system-id", "gw", "--password", "pw", "--id-format", "dec",
    )  # fmt: skip
    wait_for_log(gateway, f"connector '{name}' started")


def route_everything(gateway: GatewayProcess, port: int, binds: int) -> None:
    """Route every message to an SMPP connector `sim` of `binds` binds to the SMSC on
    `port` (system id gw, password pw)."""
    gateway.cli(
        "connector", "add", "sim", "--host", "127.0.0.1", "--port", str(port),
        "--system-id", "gw", "--password", "pw", "--binds", str(binds),
    )  # fmt: skip
    gateway.cli("route", "add", "--prefix", "*", "--connector", "sim")


def smpp_exchange(
    port: int, system_id: str, password: str, destinations: list[str], text: bytes
) -> tuple[list[Any], list[Any]]:
    """Bind smpplib as a transceiver, submit one message per destination asking for a
    receipt, and read until every submit_sm_resp and one deliver_sm each have come."""
    sent: list[Any] = []
    received: list[Any] = []
    client = smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)
    client.set_message_sent_handler(lambda pdu: sent.append(pdu))
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    client.connect()
    try:
        client.bind_transceiver(system_id=system_id, password=password)
        for to in destinations:
            client.send_message(
                source_addr="smsgate",
                source_addr_ton=5,
                dest_addr_ton=1,
                destination_addr=to,
                short_message=text,
                registered_delivery=1,
            )
        deadline = time.monotonic() + 60
        while len(sent) < len(destinations) or len(received) < len(destinations):
            assert time.monotonic() < deadline, f"sent={len(sent)} received={len(received)}"
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()
    return sent, received


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


async def _autocommit(url: str, statement: str) -> None:
    """Run a statement that cannot run in a transaction (CREATE DATABASE) at `url`."""
    driver = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(driver, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own on the server of `admin_url`, dropped afterwards."""
    name = f"smsgate_e2e_{secrets.token_hex(4)}"
    asyncio.run(_autocommit(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_autocommit(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def terminate_backends(admin_url: str, database: str) -> int:
    """Cut every connection to `database` (only it: other tests share the server) with
    pg_terminate_backend; how many there were."""

    async def terminate() -> int:
        driver = admin_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        engine = create_async_engine(driver, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": database},
                )
                return sum(1 for row in rows if row[0])
        finally:
            await engine.dispose()

    return asyncio.run(terminate())


@contextlib.contextmanager
def database_closed(admin_url: str, database: str) -> Iterator[int]:
    """An outage of `database` alone: it refuses new connections and its open ones are
    cut (how many) until the block ends."""
    asyncio.run(_autocommit(admin_url, f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
    try:
        yield terminate_backends(admin_url, database)
    finally:
        asyncio.run(_autocommit(admin_url, f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))


@contextlib.contextmanager
def running_gateway(
    data_dir: Path, postgres_admin_url: str | None = None, **settings: str
) -> Iterator[GatewayProcess]:
    """A started gateway on SQLite in `data_dir`, or on a PostgreSQL database of its own
    when `postgres_admin_url` is given; stopped (and the database dropped) afterwards."""
    with contextlib.ExitStack() as stack:
        if postgres_admin_url is not None:
            settings = {
                **settings,
                "database_url": stack.enter_context(postgres_database(postgres_admin_url)),
            }
        process = GatewayProcess(data_dir, **settings)
        stack.callback(process.stop)
        process.start()
        yield process
