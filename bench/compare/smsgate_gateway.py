"""smsgate as a gateway under test: provisioned through its CLI, run as `smsgate run`.

Each start gets a fresh data directory (SQLite; `smsgate-postgres`: a database of its
own on PostgreSQL), an account with a price and credit, an SMPP connector to the sink
with every destination routed to it, and free ports for HTTP and SMPP. Requests use the
native API; receipts come back as callbacks."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bench.compare.gateways import Sink, SmppEndpoint
from bench.loadgen import build_post

PASSWORD = "benchpw1"
ACCOUNT = "bench"
WINDOW = 100
START_TIMEOUT = 60.0
POSTGRES = os.environ.get("SMSGATE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
# Seconds between the checks of an `Analyzer`; 0 (the default) leaves the statistics to
# autovacuum, as on a new deployment.
ANALYZE_EVERY = float(os.environ.get("SMSGATE_BENCH_POSTGRES_ANALYZE", "0"))
ANALYZER_NAME = "smsgate-bench-analyzer"
# Rows from which a table's lookups are planned as in a large one (by index), and stay so.
LARGE = 5_000


def database_url(name: str, server: str | None = None) -> str:
    """The URL of database `name` on `server` (default SMSGATE_BENCH_POSTGRES), over TCP
    or a Unix socket (`postgresql://user@/db?host=/var/run/postgresql`)."""
    url = make_url(server or POSTGRES).set(database=name)
    return url.render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc/*/stat (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def process_name(pid: int) -> str:
    """`smsgate <command>` (and its --index) for smsgate's own processes, else the comm."""
    proc = Path("/proc") / str(pid)
    try:
        argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        if "smsgate" in argv[:-1]:
            words = [argv[argv.index("smsgate") + 1]]
            words += [a.split("=", 1)[1] for a in argv if a.startswith("--index=")]
            return "-".join(words)
        return (proc / "comm").read_text().strip()
    except OSError:
        return str(pid)


class Smsgate:
    name = "smsgate"
    settings = (
        f"SMPP connector window {WINDOW} (default 10), no throughput limit (the default); "
        "everything else default (SQLite file, log level INFO)"
    )

    def __init__(self) -> None:
        from smsgate import __version__

        self.version = __version__
        self.proc: subprocess.Popen[bytes] | None = None
        self.env: dict[str, str] = {}
        self.http_port = 0
        self.smpp_port = 0
        self.key = ""
        self.callback_url: str | None = None
        self.extra_env: dict[str, str] = {}

    def install(self, work: Path) -> None:
        subprocess.run(
            [sys.executable, "-m", "smsgate", "--version"], check=True, capture_output=True
        )

    def start(self, work: Path, sink: Sink, callback_url: str | None) -> None:
        data = work / "smsgate"
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        self.http_port, self.smpp_port = free_port(), free_port()
        self.callback_url = callback_url
        self.env = {
            **os.environ,
            "SMSGATE_DATA_DIR": str(data),
            "SMSGATE_HTTP_PORT": str(self.http_port),
            "SMSGATE_SMPP_PORT": str(self.smpp_port),
            "SMSGATE_DEMO": "false",
            **self.extra_env,
        }
        self._cli("migrate")
        self._cli("price", "set", "*", "0.01")
        created = self._cli(
            "account", "create", ACCOUNT, "--credit", "100000000", "--password", PASSWORD, "--json"
        )
        self.key = json.loads(created)["api_key"]
        self._cli(
            "connector", "add", "sink", "--host", sink.host, "--port", str(sink.port),
            "--system-id", sink.system_id, "--password", sink.password,
            "--window", str(WINDOW), "--id-format", "dec",
        )  # fmt: skip
        self._cli("route", "add", "--prefix", "*", "--connector", "sink")
        log_path = data / "gateway.log"
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "smsgate", "run"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while b"(ready)" not in log_path.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                lines = log_path.read_text(errors="replace").strip().splitlines()
                self.stop()
                raise RuntimeError(f"smsgate did not start: {(lines or ['no output'])[-1]}")
            time.sleep(0.05)

    def _cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "smsgate", *args],
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"smsgate {' '.join(args[:2])} failed: {last}")
        return done.stdout

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def http_address(self) -> tuple[str, int]:
        return "127.0.0.1", self.http_port

    def message_request(self, to: str, text: str, receipt: bool) -> bytes:
        body: dict[str, object] = {"to": to, "from": "bench", "text": text}
        if receipt and self.callback_url:
            body["callback_url"] = self.callback_url
        return build_post("127.0.0.1", "/api/v1/messages", self.key, json.dumps(body).encode())

    def bulk_request(self, to: list[str], text: str) -> bytes | None:
        body = json.dumps({"to": to, "from": "bench", "text": text}).encode()
        return build_post("127.0.0.1", "/api/v1/messages", self.key, body)

    def accepted(self, status: int, body: bytes) -> int:
        if status not in (200, 202):
            return 0
        messages = json.loads(body).get("messages", [])
        return len(messages) if isinstance(messages, list) else 0

    def smpp_endpoint(self) -> SmppEndpoint | None:
        return SmppEndpoint("127.0.0.1", self.smpp_port, ACCOUNT, PASSWORD)

    def pids(self) -> dict[str, int]:
        if self.proc is None:
            return {}
        found = {"smsgate": self.proc.pid}
        for pid in descendants(self.proc.pid):
            name = process_name(pid)
            key, n = name, 2
            while key in found:
                key, n = f"{name}#{n}", n + 1
            found[key] = pid
        return found


class SmsgatePostgres(Smsgate):
    """smsgate on PostgreSQL (`SMSGATE_BENCH_POSTGRES`): a database created for each run
    and dropped after it; its backends' CPU is counted as the gateway's, the analyzer's
    is not."""

    name = "smsgate-postgres"
    settings = (
        f"as smsgate, on PostgreSQL: a new database per run on {database_url('')}; "
        "CPU includes the database's backends (postgres)"
        + (
            f"; tables ANALYZEd by autovacuum's rule until {LARGE:,} rows, "
            f"checked every {ANALYZE_EVERY:g} s"
            if ANALYZE_EVERY > 0
            else "; statistics left to autovacuum"
        )
    )

    def __init__(self) -> None:
        super().__init__()
        self.database = ""
        self.analyzer: Analyzer | None = None

    def install(self, work: Path) -> None:
        super().install(work)
        _postgres("SELECT 1")

    def start(self, work: Path, sink: Sink, callback_url: str | None) -> None:
        self.database = f"smsgate_compare_{secrets.token_hex(4)}"
        _postgres(f'CREATE DATABASE "{self.database}"')
        url = database_url(self.database)
        self.extra_env = {"SMSGATE_DATABASE_URL": url}
        super().start(work, sink, callback_url)
        if ANALYZE_EVERY > 0:
            self.analyzer = Analyzer(url, ANALYZE_EVERY)

    def stop(self) -> None:
        if self.analyzer is not None:
            self.analyzer.stop()
            self.analyzer = None
        super().stop()
        if self.database:
            _postgres(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self.database = ""

    def pids(self) -> dict[str, int]:
        found = super().pids()
        rows = _postgres(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2""",
            self.database,
            ANALYZER_NAME,
        )
        for n, row in enumerate(rows, start=1):
            found["postgres" if n == 1 else f"postgres#{n}"] = int(row["pid"])
        return found


class Analyzer:
    """Gives a benchmark database the statistics of a deployment's large tables.

    A run's tables grow from empty in seconds; autovacuum looks once a minute, and the
    node analyzes a table itself only from 5,000 rows. Until then PostgreSQL keeps the
    generic plans it made for prepared statements while the tables were nearly empty,
    and a lookup of messages by id reads the whole table (docs/benchmarks.md,
    "Statistics"). Every `every` seconds this ANALYZEs the
    tables autovacuum's rule would (changed rows over 50 + 10% of their rows) until they
    were analyzed with LARGE rows, on a connection of its own that
    `SmsgatePostgres.pids` leaves out."""

    def __init__(self, url: str, every: float) -> None:
        self._url, self._every = url, every
        self._stopping = threading.Event()
        self.connected = False
        self._thread = threading.Thread(target=asyncio.run, args=(self._run(),), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    async def _run(self) -> None:
        conn = await asyncpg.connect(self._url, server_settings={"application_name": ANALYZER_NAME})
        self.connected = True
        try:
            while not self._stopping.wait(self._every):
                rows = await conn.fetch(
                    """SELECT s.relname FROM pg_stat_user_tables AS s
                       JOIN pg_class AS c ON c.oid = s.relid
                       WHERE s.n_mod_since_analyze > 50 + 0.1 * s.n_live_tup
                         AND c.reltuples < $1""",
                    LARGE,
                )
                for row in rows:
                    await conn.execute(f'ANALYZE "{row["relname"]}"')
        finally:
            await conn.close()


def _postgres(statement: str, *args: Any) -> list[Any]:
    """Run one statement on the benchmark's PostgreSQL server, from any thread (the
    comparison calls gateways from inside its event loop)."""

    async def run() -> list[Any]:
        conn = await asyncpg.connect(POSTGRES)
        try:
            return list(await conn.fetch(statement, *args))
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()
