"""submit_sm per second that a customer bind gets accepted and committed (SQLite).

Starts a real `smsgate run` (SQLite file in a temporary directory, simulated operator),
binds one transmitter with `smsgate.smpp.client` and keeps 1, 10 and 100 submit_sm in
flight. Every submit_sm_resp is sent after the commit, so answers per second is commit
rate; the rows in the database are counted afterwards to check it. Markdown table out.

    .venv/bin/python -m bench.smpp_ingest [--count 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.smpp_bench import machine_speed
from smsgate.smpp import SubmitSm, connect

SMPP_LINE = re.compile(r"SMPP on \S+:(\d+)")
PASSWORD = "benchpw1"


@dataclass
class Row:
    window: int
    sent: int
    accepted: int
    committed: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds


class Gateway:
    def __init__(self, data_dir: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            http_port = sock.getsockname()[1]
        self.db = data_dir / "smsgate.db"
        self.env = {
            **os.environ,
            "SMSGATE_DATA_DIR": str(data_dir),
            "SMSGATE_HTTP_PORT": str(http_port),
            "SMSGATE_SMPP_PORT": "0",
            "SMSGATE_SIMULATOR_DELAY_MS": "50",
            "SMSGATE_DEMO": "false",
            "SMSGATE_LOG_LEVEL": "WARNING",
        }
        self.cli("migrate")
        self.cli("price", "set", "*", "0.01")
        self.cli("account", "create", "bench", "--credit", "10000000", "--password", PASSWORD)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smsgate", "run"],
            env=self.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.smpp_port = 0
        for line in self.proc.stdout:
            found = SMPP_LINE.search(line)
            if found:
                self.smpp_port = int(found.group(1))
            if "(ready)" in line:
                break
        if not self.smpp_port:
            raise RuntimeError("the gateway did not report its SMPP port")

    def cli(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "smsgate", *args], env=self.env, check=True, capture_output=True
        )

    def committed(self, marker: str) -> int:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            query = "SELECT count(*) FROM messages WHERE text LIKE ?"
            return int(conn.execute(query, (f"{marker}%",)).fetchone()[0])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


async def measure(gateway: Gateway, window: int, count: int) -> Row:
    marker = f"w{window} "
    client = await connect(
        "127.0.0.1",
        gateway.smpp_port,
        system_id="bench",
        password=PASSWORD,
        bind="tx",
        window=window,
        reconnect=False,
    )
    numbers = iter(range(count))
    accepted = 0

    async def worker() -> None:
        nonlocal accepted
        for i in numbers:
            response = await client.submit(
                SubmitSm(
                    source_addr="bench",
                    destination_addr=f"3933{i % 10**8:08d}",
                    short_message=f"{marker}{i}".encode(),
                )
            )
            accepted += response.command_status == 0

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(window)))
        seconds = time.perf_counter() - started
    finally:
        await client.close()
    return Row(window, count, accepted, gateway.committed(marker), seconds)


async def run(count: int, windows: list[int]) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        gateway = Gateway(Path(tmp))
        try:
            # window 1 waits for a commit per message: a tenth of the count is enough.
            return [
                await measure(gateway, window, count if window > 1 else max(1, count // 10))
                for window in windows
            ]
        finally:
            gateway.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--windows", default="1,10,100")
    args = parser.parse_args()
    windows = [int(w) for w in args.windows.split(",")]
    speed = machine_speed()
    rows = asyncio.run(run(args.count, windows))
    print(f"machine speed: {speed:.0f}M empty-loop iterations/s (best of 3, before the runs)\n")
    print("| window | submit_sm sent | accepted | committed rows | seconds | accepted/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.window} | {r.sent} | {r.accepted} | {r.committed} "
            f"| {r.seconds:.2f} | {r.per_second:,.0f} |"
        )


if __name__ == "__main__":
    main()
