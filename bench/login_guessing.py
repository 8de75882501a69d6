"""What password guessing costs the other customers of one HTTP worker.

Starts a real `smsgate run` (SQLite, one HTTP worker) from `--source` (a checkout, this
one by default) and measures, over the native API: another customer's send latency
alone and while 8 connections guess passwords for a real name over HTTP Basic, and the
answer time of a wrong password for a real name and for an unknown one. The lockout is
turned off for these rows (so they show what one guess costs); the last row guesses
with the default lockout on. Prints a Markdown table.

    .venv/bin/python -m bench.login_guessing [--source DIR] [--sends 100]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.http_submit import Gateway

GUESSERS = 8
VICTIM, VICTIM_PASSWORD = "victim", "the-real-password"
LOCKOUT_OFF = {"SMSGATE_LOGIN_FAILURES_PER_ADDRESS": "0", "SMSGATE_LOGIN_FAILURES_PER_NAME": "0"}


@dataclass
class Row:
    case: str
    requests: int
    p50_ms: float
    p99_ms: float


def start_gateway(source: Path, data_dir: Path, settings: dict[str, str]) -> Gateway:
    """A gateway from `source` with an account whose password the guessers try."""
    gateway = Gateway(data_dir, "", code=str(source), settings=settings)
    gateway.cli("account", "create", VICTIM, "--password", VICTIM_PASSWORD, "--credit", "1")
    return gateway


def basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def timed(conn: http.client.HTTPConnection, method: str, path: str, **kw: object) -> float:
    started = time.perf_counter()
    conn.request(method, path, **kw)  # type: ignore[arg-type]
    response = conn.getresponse()
    response.read()
    return time.perf_counter() - started


def sends(port: int, key: str, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    times = []
    for i in range(count):
        body = json.dumps({"to": f"+39333{i % 10**6:06d}5", "from": "bench", "text": "hi"})
        times.append(timed(conn, "POST", "/api/v1/messages", body=body, headers=headers))
    conn.close()
    return times


def answers(port: int, name: str, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = [
        timed(conn, "GET", "/api/v1/balance", headers=basic(name, f"guess-{i}"))
        for i in range(count)
    ]
    conn.close()
    return times


class Guessers:
    """GUESSERS threads, each on its own kept-alive connection, guessing until stopped."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.stopped = threading.Event()
        self.statuses: dict[int, int] = {}
        self.threads = [threading.Thread(target=self.guess, args=(n,)) for n in range(GUESSERS)]

    def guess(self, n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        i = 0
        while not self.stopped.is_set():
            conn.request("GET", "/api/v1/balance", headers=basic(VICTIM, f"guess-{n}-{i}"))
            response = conn.getresponse()
            response.read()
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
            i += 1
        conn.close()

    def __enter__(self) -> Guessers:
        for thread in self.threads:
            thread.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join()


def row(case: str, times: list[float]) -> Row:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    found = Row(case, len(times), statistics.median(times) * 1000, p99 * 1000)
    print(f"| {found.case} | {found.requests} | {found.p50_ms:.1f} | {found.p99_ms:.1f} |")
    return found


def run(source: Path, count: int) -> tuple[list[Row], dict[int, int]]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        gw = start_gateway(source, Path(tmp) / "off", LOCKOUT_OFF)
        try:
            sends(gw.port, gw.key, 20)  # warm up
            rows.append(row("other customer's send, alone", sends(gw.port, gw.key, count)))
            with Guessers(gw.port):
                during = sends(gw.port, gw.key, count)
            rows.append(row(f"other customer's send, {GUESSERS} guessing", during))
            rows.append(row("wrong password, real name", answers(gw.port, VICTIM, 30)))
            rows.append(row("wrong password, unknown name", answers(gw.port, "nobody", 30)))
        finally:
            gw.stop()
        gw = start_gateway(source, Path(tmp) / "on", {})
        try:
            sends(gw.port, gw.key, 20)
            with Guessers(gw.port) as guessers:
                during = sends(gw.port, gw.key, count)
            rows.append(row(f"send, {GUESSERS} guessing, default lockout", during))
        finally:
            gw.stop()
    return rows, guessers.statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--sends", type=int, default=100)
    args = parser.parse_args()
    print(f"source: {args.source}")
    print()
    print("| case | requests | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|", flush=True)
    _, statuses = run(args.source.resolve(), args.sends)
    print()
    print(f"guesses answered with the default lockout, by HTTP status: {statuses}")


if __name__ == "__main__":
    main()
