"""Portal page times with 1,000,000 messages in the store.

Generates a store (once; it is kept under `--data-dir` and reused for a day) with
`--messages` messages spread over the last 30 days, their parts, batches and charges, for
a big customer (80% of them), its sub-accounts and other customers, in several statuses
and countries; bulk SQL, not the API. Then starts a real `smsgate run` from `--source`
(this checkout by default) on it, logs in to the portal as the big customer and times
`--requests` loads of each page over one kept-alive connection. Prints a Markdown table.

    .venv/bin/python -m bench.portal_pages [--store sqlite|postgresql://...]
        [--messages 1000000] [--requests 100] [--source DIR]

A PostgreSQL URL names the server: the store is its database `--pg-database`
(`smsgate_portal_bench`). The timing starts once the gateway's hourly totals are built.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from smsgate.store import driver_url

DAYS = 30
DAY = 86_400
STALE = DAY / 2  # a cached store older than this is generated again (its days moved on)
PG_DATABASE = "smsgate_portal_bench"
PASSWORD = "portal-bench-password"
TOTALS_SECONDS = 900.0  # at most this long for the gateway's first run of the hourly totals
HOUR, LAG = 3600, 300  # as services.hourly_totals (a --source may have none)
PAGE_SECONDS = 30.0  # at most this long on one page, however many requests are asked
SLOW = 2.0  # a page slower than this once is timed once
CSV_REQUESTS = 5  # whole exports of the big customer's ledger
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# 80% of the batches are the big customer's, 10% its sub-accounts', 10% other customers'.
ACCOUNTS = ("big", "big-sub-1", "big-sub-2", "big-sub-3", "other-1", "other-2", "other-3")
STEPS = (
    # (what, SQL over the numbers i = 0..:last (`n`), with :t0 and :step seconds)
    (
        "batches",
        "INSERT INTO batches (id, account_id, reference, created_at) "
        "SELECT {batch_id}, {account}, NULL, {batch_at} FROM {numbers} "
        "WHERE i % 5 = 0 AND {batch} = i / 5",
    ),
    (
        "messages",
        'INSERT INTO messages (id, batch_id, account_id, payer_id, "to", sender, text, '
        "encoding, parts, cost, currency, status, reference, created_at, next_at, "
        "expires_at, sent_at, done_at, attempts) "
        "SELECT {message_id}, {batch_id}, {account}, {account}, {to}, {sender}, "
        "'Your code is ' || i, 'gsm7', {parts}, {parts} * 50000, 'EUR', {status}, "
        "{reference}, {created_at}, {created_at}, {created_at} + 259200, {created_at} + 1, "
        "CASE WHEN {status} = 'sent' THEN NULL ELSE {created_at} + 5 END, 1 FROM {numbers}",
    ),
    (
        "parts",
        "INSERT INTO parts (message_id, seq, status, upstream_id, connector, done_at) "
        "SELECT id, s.seq, CASE status WHEN 'failed' THEN 'rejected' WHEN 'cancelled' "
        "THEN 'rejected' ELSE status END, 'u' || id || '-' || s.seq, "
        "CASE WHEN status = 'cancelled' THEN NULL ELSE 'sim' END, done_at "
        "FROM messages JOIN (SELECT 1 AS seq UNION ALL SELECT 2) s ON s.seq <= parts",
    ),
    (
        "ledger",
        "INSERT INTO ledger (account_id, kind, amount, balance_after, reference, created_at) "
        "SELECT b.account_id, 'charge', -SUM(m.cost), 0, b.id, b.created_at "
        "FROM batches b JOIN messages m ON m.batch_id = b.id "
        "GROUP BY b.id, b.account_id, b.created_at ORDER BY b.id",
    ),
)


def expressions(dialect: str, messages: int) -> dict[str, str]:
    """The SQL of each generated column, from the row number `i`."""
    if dialect == "sqlite":
        numbers = (
            "(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :last) "
            "SELECT i FROM n) n"
        )

        def hex_id(ms: str, counter: str) -> str:
            return f"printf('%012x%013x', {ms}, {counter})"
    else:
        numbers = "generate_series(0::bigint, :last) AS n(i)"

        def hex_id(ms: str, counter: str) -> str:
            return f"lpad(to_hex({ms}), 12, '0') || lpad(to_hex({counter}), 13, '0')"

    # The middle 1,000 messages are one batch of the big customer: the batch page's worst.
    bulk = messages // 2 // 50 * 50
    batch = f"(CASE WHEN i BETWEEN {bulk} AND {bulk + 999} THEN {bulk // 5} ELSE i / 5 END)"
    created_at = "(:t0 + i * :step)"
    accounts = ", ".join(f":a{n}" for n in range(1, 4))
    others = ", ".join(f":a{n}" for n in range(4, 7))
    account = (
        f"(CASE WHEN {batch} % 10 < 8 THEN :a0 WHEN {batch} % 10 = 8 "
        f"THEN {_pick(f'({batch} / 10) % 3', accounts)} "
        f"ELSE {_pick(f'({batch} / 10) % 3', others)} END)"
    )
    share = "((i * 7919) % 1000)"
    return {
        "numbers": numbers,
        "created_at": created_at,
        "batch": batch,
        "batch_at": f"(:t0 + {batch} * 5 * :step)",
        "message_id": hex_id(f"CAST({created_at} * 1000 AS BIGINT)", "i"),
        "batch_id": hex_id(f"CAST((:t0 + {batch} * 5 * :step) * 1000 AS BIGINT)", batch),
        "account": account,
        # six countries, 200,000 numbers: a recipient has about five messages
        "to": "(CASE i % 6 WHEN 0 THEN '+39' || (3330000000 + i % 200000) "
        "WHEN 1 THEN '+33' || (600000000 + i % 200000) "
        "WHEN 2 THEN '+49' || (15100000000 + i % 200000) "
        "WHEN 3 THEN '+44' || (7400000000 + i % 200000) "
        "WHEN 4 THEN '+34' || (600000000 + i % 200000) "
        "ELSE '+41' || (790000000 + i % 200000) END)",
        "sender": "(CASE i % 5 WHEN 0 THEN 'Shop' WHEN 1 THEN 'Alerts' WHEN 2 THEN 'OTP' "
        "WHEN 3 THEN 'News' ELSE '447700900123' END)",
        "parts": "(CASE WHEN i % 10 = 3 THEN 2 ELSE 1 END)",
        # the last two days still have messages waiting for their receipt
        "status": f"(CASE WHEN i >= :recent AND (i * 104729) % 10 < 3 THEN 'sent' "
        f"WHEN {share} < 850 THEN 'delivered' WHEN {share} < 900 THEN 'undelivered' "
        f"WHEN {share} < 930 THEN 'expired' WHEN {share} < 950 THEN 'rejected' "
        f"WHEN {share} < 999 THEN 'failed' ELSE 'cancelled' END)",
        "reference": f"(CASE WHEN {batch} % 7 = 0 THEN 'order-' || {batch} ELSE NULL END)",
    }


def _pick(index: str, names: str) -> str:
    choices = names.split(", ")
    return f"(CASE {index} WHEN 0 THEN {choices[0]} WHEN 1 THEN {choices[1]} ELSE {choices[2]} END)"


SAMPLES = {
    # what the pages are asked for, read from the generated store
    "deep_cursor": "SELECT id FROM messages WHERE account_id = :a0 ORDER BY id "
    "LIMIT 1 OFFSET :half",
    "message": "SELECT id FROM messages WHERE account_id = :a0 AND parts = 2 ORDER BY id DESC "
    "LIMIT 1 OFFSET 1000",
    "batch": "SELECT batch_id FROM messages WHERE account_id = :a0 ORDER BY id DESC "
    "LIMIT 1 OFFSET 5000",
    "bulk_batch": "SELECT batch_id FROM messages GROUP BY batch_id ORDER BY COUNT(*) DESC LIMIT 1",
    "recipient": 'SELECT "to" FROM messages WHERE account_id = :a0 ORDER BY id DESC '
    "LIMIT 1 OFFSET 777",
    "reference": "SELECT reference FROM messages WHERE account_id = :a0 AND reference IS NOT NULL "
    "ORDER BY id LIMIT 1 OFFSET 1000",
    "ledger_cursor": "SELECT id FROM ledger WHERE account_id = :a0 ORDER BY id "
    "LIMIT 1 OFFSET :ledger_half",
}


class Database:
    """Runs the generator's SQL on the store at `url` (SQLite or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"

    def run(self, statements: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        """Run `statements` in one transaction; the first value of each one's first row."""
        if self.dialect == "sqlite":
            engine = create_engine(driver_url(self.url), poolclass=NullPool)
            with engine.begin() as conn:
                return [_first(conn.execute(text(sql), params)) for sql, params in statements]
        return asyncio.run(self._run_async(statements))

    async def _run_async(self, statements: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        engine = create_async_engine(driver_url(self.url), poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                return [_first(await conn.execute(text(sql), params)) for sql, params in statements]
        finally:
            await engine.dispose()


def _first(result: Any) -> Any:
    if not result.returns_rows:
        return None
    row = result.first()
    return None if row is None else row[0]


@dataclass
class Store:
    """A generated store: where it is, and what the pages are asked for."""

    url: str
    samples: dict[str, str]


def smsgate(source: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "smsgate", *args],
        env={**env, "PYTHONPATH": str(source)},
        cwd=source,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def prepare(
    store: str, data_dir: Path, source: Path, messages: int, pg_database: str = PG_DATABASE
) -> Store:
    """The generated store for these arguments: the cached one when it is recent (a
    store generated from an older source is upgraded by `measure`; one upgraded past the
    source's migrations wants another `--data-dir`)."""
    key = hashlib.sha256(f"{store}|{messages}|{pg_database}".encode()).hexdigest()[:12]
    data_dir.mkdir(parents=True, exist_ok=True)
    meta = data_dir / f"portal-{key}.json"
    if store == "sqlite":
        url = f"sqlite:///{data_dir / f'portal-{key}.db'}"
    else:
        url = make_url(store).set(database=pg_database).render_as_string(hide_password=False)
    if meta.exists() and time.time() - meta.stat().st_mtime < STALE:
        return Store(url, json.loads(meta.read_text()))
    meta.unlink(missing_ok=True)
    started = time.perf_counter()
    reset(store, url, pg_database)
    env = {**os.environ, "SMSGATE_DATABASE_URL": url, "SMSGATE_DEMO": "false"}
    smsgate(source, env, "migrate")
    for name in ACCOUNTS:
        parent = ["--parent", "big"] if name.startswith("big-") else []
        credit = ["--credit", "1000" if parent else "100000000"]
        smsgate(source, env, "account", "create", name, "--password", PASSWORD, *parent, *credit)
    samples = generate(Database(url), messages)
    meta.write_text(json.dumps(samples))
    print(f"generated {messages:,} messages in {time.perf_counter() - started:.0f} s: {url}")
    return Store(url, samples)


def reset(store: str, url: str, pg_database: str) -> None:
    """An empty database at `url`."""
    if store == "sqlite":
        Path(make_url(url).database or "").unlink(missing_ok=True)
        return

    async def recreate() -> None:
        engine = create_async_engine(driver_url(store), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f"DROP DATABASE IF EXISTS {pg_database}"))
                await conn.execute(text(f"CREATE DATABASE {pg_database}"))
        finally:
            await engine.dispose()

    asyncio.run(recreate())


def literal(sql: str, values: dict[str, int | float]) -> str:
    """`sql` with the numbers written in (PostgreSQL types a parameter in a CASE as text)."""
    for name in sorted(values, key=len, reverse=True):
        sql = re.sub(rf":{name}\b", repr(values[name]), sql)
    return sql


def generate(db: Database, messages: int) -> dict[str, str]:
    ids = db.run([("SELECT id FROM accounts WHERE name = :n", {"n": n}) for n in ACCOUNTS])
    accounts = {f"a{n}": account_id for n, account_id in enumerate(ids)}
    now = time.time()
    params = {
        **accounts,
        "last": messages - 1,
        "t0": now - DAYS * DAY,
        "step": DAYS * DAY / messages,
        "recent": messages - messages * 2 // DAYS,
    }
    columns = expressions(db.dialect, messages)
    for what, sql in STEPS:
        started = time.perf_counter()
        db.run([(literal(sql.format(**columns), params), {})])
        print(f"  {what}: {time.perf_counter() - started:.0f} s", flush=True)
    if db.dialect == "postgresql":
        db.run([("ANALYZE", {})])  # as autovacuum would; a gateway's SQLite file has none
    big = db.run([("SELECT COUNT(*) FROM messages WHERE account_id = :a0", accounts)])[0]
    entries = db.run([("SELECT COUNT(*) FROM ledger WHERE account_id = :a0", accounts)])[0]
    halves = {"half": big // 2, "ledger_half": entries // 2}
    found = db.run([(sql, {**accounts, **halves}) for sql in SAMPLES.values()])
    return {name: str(value) for name, value in zip(SAMPLES, found, strict=True)}


class Gateway:
    """`smsgate run` from `source` on the store at `url`, on a free port of 127.0.0.1."""

    def __init__(self, source: Path, url: str, data_dir: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        env = {
            **os.environ,
            "PYTHONPATH": str(source),
            "SMSGATE_DATA_DIR": str(data_dir),
            "SMSGATE_DATABASE_URL": url,
            "SMSGATE_HTTP_PORT": str(self.port),
            "SMSGATE_SMPP_PORT": "0",
            "SMSGATE_DEMO": "false",
            "SMSGATE_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "smsgate", "run"]
        self.proc = subprocess.Popen(
            command, env=env, cwd=source, stdout=subprocess.PIPE, text=True
        )
        lines = self.proc.stdout or ()
        if not any("(ready)" in line for line in lines):
            raise RuntimeError(f"the gateway did not start (exit code {self.proc.wait()})")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Visitor:
    """The big customer, logged in to the portal over one kept-alive connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookie = ""
        page = self.get("/portal/login")
        found = CSRF.search(page)
        assert found, "the login page has a CSRF token"
        form = urlencode({"csrf": found.group(1), "name": "big", "password": PASSWORD})
        self.conn.request("POST", "/portal/login", body=form, headers=self.headers(form=True))
        response = self.conn.getresponse()
        response.read()
        assert response.status == 303, f"login answered {response.status}"
        self.remember(response)

    def headers(self, form: bool = False) -> dict[str, str]:
        found = {"Cookie": self.cookie} if self.cookie else {}
        if form:
            found["Content-Type"] = "application/x-www-form-urlencoded"
        return found

    def remember(self, response: http.client.HTTPResponse) -> None:
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]

    def get(self, path: str) -> str:
        self.conn.request("GET", path, headers=self.headers())
        response = self.conn.getresponse()
        body = response.read().decode()
        assert response.status == 200, f"{path} answered {response.status}"
        self.remember(response)
        return body

    def first_byte(self, path: str) -> tuple[float, float]:
        """Seconds to the first byte of the answer and to its end, on a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        started = time.perf_counter()
        conn.request("GET", path, headers=self.headers())
        response = conn.getresponse()
        assert response.status == 200 and response.read(1), f"{path} answered {response.status}"
        first = time.perf_counter() - started
        response.read()
        conn.close()
        return first, time.perf_counter() - started


def pages(s: dict[str, str]) -> list[tuple[str, str]]:
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 10 * DAY))
    return [
        ("dashboard", "/portal"),
        ("messages, first page", "/portal/messages"),
        ("messages, deep page (cursor)", f"/portal/messages?cursor={s['deep_cursor']}"),
        ("messages, status=failed", "/portal/messages?status=failed"),
        ("messages, status=cancelled (rare)", "/portal/messages?status=cancelled"),
        ("messages, one day 10 days ago", f"/portal/messages?since={day}&until={day}"),
        ("messages, recipient", f"/portal/messages?to={s['recipient'].replace('+', '%2B')}"),
        ("messages, sender", "/portal/messages?sender=447700900123"),
        ("messages, batch", f"/portal/messages?batch={s['batch']}"),
        ("messages, reference", f"/portal/messages?reference={s['reference']}"),
        ("message detail", f"/portal/messages/{s['message']}"),
        ("batch page (5 messages)", f"/portal/batches/{s['batch']}"),
        ("batch page (1,000 messages)", f"/portal/batches/{s['bulk_batch']}"),
        ("ledger, first page", "/portal/ledger"),
        ("ledger, deep page (cursor)", f"/portal/ledger?cursor={s['ledger_cursor']}"),
        ("statistics, 30 days by day, country, status", "/portal/statistics"),
        ("statistics, 30 days by country", "/portal/statistics?by=country&submitted=1"),
    ]


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def timed(requests: int, load: Callable[[], object]) -> list[float]:
    started = time.perf_counter()
    load()  # warm up
    first = time.perf_counter() - started
    if first > SLOW:
        return [first]  # one load tells enough, and the run stays bounded
    times: list[float] = []
    deadline = time.perf_counter() + PAGE_SECONDS
    while len(times) < requests and time.perf_counter() < deadline:
        started = time.perf_counter()
        load()
        times.append(time.perf_counter() - started)
    return sorted(times)


def row(name: str, times: list[float]) -> None:
    p50, p95, p99 = (percentile(times, s) for s in (0.5, 0.95, 0.99))
    print(f"| {name} | {len(times)} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {times[-1] * 1000:.1f} |")


def wait_for_totals(url: str) -> None:
    """Until the gateway's first run of the hourly totals has counted every hour (not
    waited for with a source that has none)."""
    started = time.perf_counter()
    ready = int(time.time() - LAG) // HOUR * HOUR
    query: list[tuple[str, dict[str, Any]]] = [("SELECT watermark FROM message_hours_state", {})]
    try:
        while (Database(url).run(query)[0] or 0) < ready:
            if time.perf_counter() - started > TOTALS_SECONDS:
                raise RuntimeError("the hourly totals were not built in time")
            time.sleep(1)
    except DBAPIError:
        return  # a source without hourly totals
    print(f"hourly totals built {time.perf_counter() - started:.0f} s after the start")


def measure(store: Store, source: Path, data_dir: Path, requests: int) -> None:
    # The store as this source's migrations leave it (a cached one may be older).
    smsgate(source, {**os.environ, "SMSGATE_DATABASE_URL": store.url}, "migrate")
    gateway = Gateway(source, store.url, data_dir)
    try:
        wait_for_totals(store.url)
        visitor = Visitor(gateway.port)
        print("| page | requests | p50 ms | p95 ms | p99 ms | max ms |")
        print("|---|---:|---:|---:|---:|---:|", flush=True)
        for name, path in pages(store.samples):
            try:
                row(name, timed(requests, lambda path=path: visitor.get(path)))  # type: ignore[misc]
            except AssertionError as exc:
                print(f"| {name} | failed: {exc} | | | | |", flush=True)
        # Each export is read to its end, so none runs on beside the next one.
        exports = [visitor.first_byte("/portal/ledger.csv") for _ in range(CSV_REQUESTS)]
        row("ledger.csv, first byte", sorted(first for first, _ in exports))
        row("ledger.csv, whole", sorted(whole for _, whole in exports))
    finally:
        gateway.stop()


def store_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments that find (or generate) the store: --store, --messages, ..."""
    parser.add_argument("--store", default="sqlite", help="sqlite, or a postgresql:// URL")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--pg-database", default=PG_DATABASE, help="the PostgreSQL store's name")
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parent.parent / "var" / "bench"
    )


def prepared(args: argparse.Namespace) -> tuple[Store, Path, Path]:
    """The store the arguments of `store_arguments` name, the source and the data dir."""
    source, data_dir = args.source.resolve(), args.data_dir.resolve()
    store = prepare(args.store, data_dir, source, args.messages, args.pg_database)
    print(f"source: {source}; store: {make_url(store.url).render_as_string()}")
    print()
    return store, source, data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store_arguments(parser)
    parser.add_argument("--requests", type=int, default=100, help="loads of each page")
    store, source, data_dir = prepared(parser.parse_args())
    measure(store, source, data_dir, parser.parse_args().requests)


if __name__ == "__main__":
    main()
