"""Memory of a large backlog: messages accepted while the operator is down, then drained.

Starts `smsgate run` (SQLite) with one SMPP connector to a port where nothing listens
yet, accepts `--count` messages in bulk requests of 1,000, then starts
`smsgate simulator --sink` on that port and waits until every message was sent (the
drain is timed from the first send, after the connector's reconnect back-off). The
resident memory (RSS) of every smsgate process is sampled all along. Prints a
Markdown table.

    .venv/bin/python -m bench.backlog_memory [--count 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.compare.smsgate_gateway import descendants, free_port, process_name
from bench.loadgen import build_post, run_load

SENT = re.compile(r"^smsgate_messages_sent_total ([0-9.e+]+)$", re.M)
QUEUE = re.compile(r"^smsgate_queue_depth ([0-9.e+]+)$", re.M)
BULK = 1000


@dataclass
class Peaks:
    """Highest RSS (MiB) seen per process, and of all of them together."""

    per_process: dict[str, float] = field(default_factory=dict)
    total: float = 0.0

    def sample(self, root: int) -> None:
        total = 0.0
        for pid in [root, *descendants(root)]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if found is None:
                continue
            mib = int(found.group(1)) / 1024
            name = process_name(pid)
            self.per_process[name] = max(self.per_process.get(name, 0.0), mib)
            total += mib
        self.total = max(self.total, total)


class Sampler:
    def __init__(self, root: int) -> None:
        self.root = root
        self.peaks = Peaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.peaks.sample(self.root)


def metric(port: int, pattern: re.Pattern[str]) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
        found = pattern.search(response.read().decode())
    return int(float(found.group(1))) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    requests = max(1, args.count // BULK)
    with tempfile.TemporaryDirectory() as tmp:
        http_port, sink_port = free_port(), free_port()
        env = {
            **os.environ,
            "SMSGATE_DATA_DIR": tmp,
            "SMSGATE_HTTP_PORT": str(http_port),
            "SMSGATE_SMPP_PORT": "0",
            "SMSGATE_DEMO": "false",
            "SMSGATE_LOG_LEVEL": "WARNING",
        }

        def cli(*words: str) -> str:
            return subprocess.run(
                [sys.executable, "-m", "smsgate", *words],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout

        cli("migrate")
        cli("price", "set", "*", "0.001")
        created = cli("account", "create", "bench", "--credit", "100000000", "--json")
        key = json.loads(created)["api_key"]
        cli(
            "connector", "add", "sink", "--host", "127.0.0.1", "--port", str(sink_port),
            "--system-id", "bench", "--password", "bench", "--window", "100",
        )  # fmt: skip
        cli("route", "add", "--prefix", "*", "--connector", "sink")
        gateway = subprocess.Popen(
            [sys.executable, "-m", "smsgate", "run"], env=env, stdout=subprocess.PIPE, text=True
        )
        assert gateway.stdout is not None
        for line in gateway.stdout:
            if "(ready)" in line:
                break
        tag = secrets.token_hex(3)

        def request(i: int) -> bytes:
            to = [f"+39{(i * BULK + j):09d}5" for j in range(BULK)]
            body = json.dumps({"to": to, "from": "bench", "text": f"{tag} {i}"}).encode()
            return build_post("127.0.0.1", "/api/v1/messages", key, body)

        sink: subprocess.Popen[str] | None = None
        bound_after = 0.0
        rows: list[tuple[str, int, float, Peaks]] = []
        try:
            with Sampler(gateway.pid) as sampler:
                started = time.perf_counter()
                load = asyncio.run(
                    run_load("127.0.0.1", http_port, request, total=requests, concurrency=4)
                )
                accepted = load.statuses.get(202, 0) * BULK
                rows.append(("accept (operator down)", accepted, load.elapsed, sampler.peaks))
            queued = metric(http_port, QUEUE)
            with Sampler(gateway.pid) as sampler:
                sink = subprocess.Popen(
                    [sys.executable, "-m", "smsgate", "simulator", "--port", str(sink_port),
                     "--sink", "--log-level", "WARNING"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                )  # fmt: skip
                back = time.perf_counter()
                deadline = back + 3600
                # The connector tries again after its reconnect back-off (up to 60 s after
                # a long outage): the drain is timed from its first send.
                while metric(http_port, SENT) == 0 and time.perf_counter() < deadline:
                    time.sleep(0.05)
                started = time.perf_counter()
                bound_after = started - back
                while metric(http_port, SENT) < accepted and time.perf_counter() < deadline:
                    time.sleep(0.5)
                sent = metric(http_port, SENT)
                rows.append(("drain", sent, time.perf_counter() - started, sampler.peaks))
        finally:
            if sink is not None:
                sink.terminate()
                sink.wait(timeout=30)
            gateway.terminate()
            gateway.wait(timeout=60)
            gateway.stdout.close()
        db_mib = (Path(tmp) / "smsgate.db").stat().st_size / 2**20
    print(f"queue depth after accepting: {queued:,}; SQLite file {db_mib:,.0f} MiB; "
          f"first send {bound_after:.1f} s after the operator came back")  # fmt: skip
    print("| phase | messages | seconds | msg/s | peak RSS, all processes MiB | per process MiB |")
    print("|---|---:|---:|---:|---:|---|")
    for phase, count, seconds, peaks in rows:
        each = ", ".join(f"{k} {v:,.0f}" for k, v in sorted(peaks.per_process.items()))
        print(
            f"| {phase} | {count:,} | {seconds:,.1f} | {count / seconds:,.0f} "
            f"| {peaks.total:,.0f} | {each} |"
        )


if __name__ == "__main__":
    main()
