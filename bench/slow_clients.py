"""Other clients' sends while one address holds 1,100 half-open or never-binding connections.

Starts a real `smsgate run` under a soft open-files limit of 1,024 (the usual default),
opens 1,100 connections from 127.0.0.2 that send half a request (HTTP) or never bind
(SMPP), and meanwhile sends 10 messages over HTTP and 10 over SMPP from 127.0.0.1.
Prints a Markdown table: the sends served within 10 s, and their latency.

    .venv/bin/python -m bench.slow_clients [--connections 1100] [--sends 10] [--wait 45]
        [--hard-limit 1024]   # also a hard limit of 1,024: the gateway cannot raise it
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import smpplib.client

ATTACKER = "127.0.0.2"
HALF_REQUEST = b"POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"
WITHIN = 10.0
PACE = 50  # connections opened at once
KEY_LINE = re.compile(r"API key \(shown once\): +(\S+)")
# The demo password as the banner shows it now, or as earlier versions did.
PASSWORD_LINE = re.compile(r"(?:password \(shown once\): +|username/password: +\S+ / )(\S+)")


def raise_own_open_files(needed: int) -> None:
    """Let this process open `needed` files (up to its hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def open_files_limit(soft: int, hard: int | None = None) -> Callable[[], None]:
    """A `preexec_fn`: the child starts with this soft (and hard) open-files limit."""

    def apply() -> None:
        current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, current_hard if hard is None else hard))

    return apply


@contextlib.contextmanager
def flood(port: int, count: int, payload: bytes, settle: float = 5.0) -> Iterator[int]:
    """Open `count` connections from 127.0.0.2 to `port`, send `payload` on each once it is
    connected and then nothing; yield how many connected within `settle` seconds; close
    them all when the block ends."""
    socks: list[socket.socket] = []
    try:
        poller = select.poll()
        pending: dict[int, socket.socket] = {}
        for i in range(count):
            if i and not i % PACE:
                time.sleep(0.02)  # so the listener's accept queue never overflows
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.setblocking(False)
            sock.bind((ATTACKER, 0))
            sock.connect_ex(("127.0.0.1", port))
            pending[sock.fileno()] = sock
            poller.register(sock, select.POLLOUT)
        connected = 0
        deadline = time.monotonic() + settle
        while pending and time.monotonic() < deadline:
            for fd, _ in poller.poll(100):
                poller.unregister(fd)
                sock = pending.pop(fd)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    connected += 1
                    with contextlib.suppress(OSError):
                        sock.send(payload)
        yield connected
    finally:
        for sock in socks:
            sock.close()


def http_sends(base: str, key: str, count: int, wait: float) -> list[float | None]:
    """Send `count` messages at once, each on a new connection; the latency of each one
    accepted (202) within `wait` seconds, else None."""
    latencies: list[float | None] = [None] * count
    started = time.monotonic()

    def send(i: int) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        body = {"to": f"+3933312{i:05d}5", "from": "smsgate", "text": f"legit {i}"}
        client = httpx.Client(base_url=base, headers=headers, timeout=wait)
        with client, contextlib.suppress(httpx.HTTPError):
            if client.post("/api/v1/messages", json=body).status_code == 202:
                latencies[i] = time.monotonic() - started

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(wait + 5)
    return latencies


def legit_sends(
    base: str, key: str, smpp_port: int, password: str, count: int, wait: float
) -> dict[str, list[float | None]]:
    """`count` messages over HTTP (API key `key`) and `count` over SMPP (the demo
    account's bind, with `password`) at the same time; the latencies of each surface."""
    found: dict[str, list[float | None]] = {"smpp": [None] * count}

    def over_smpp() -> None:
        found["smpp"] = smpp_sends(smpp_port, "demo", password, count, wait)

    thread = threading.Thread(target=over_smpp)
    thread.start()
    found["http"] = http_sends(base, key, count, wait)
    thread.join(wait + 10)
    return found


def smpp_sends(
    port: int, system_id: str, password: str, count: int, wait: float
) -> list[float | None]:
    """Bind a transmitter and submit `count` messages; the latency (from before the
    connect) of each submit_sm_resp with status 0 within `wait` seconds, else None."""
    latencies: list[float | None] = []
    started = time.monotonic()
    client = smpplib.client.Client("127.0.0.1", port, timeout=wait, allow_unknown_opt_params=True)

    def answered(pdu: smpplib.command.Command) -> None:
        if pdu.status == 0:
            latencies.append(time.monotonic() - started)

    client.set_message_sent_handler(answered)
    with contextlib.suppress(
        OSError, smpplib.exceptions.PDUError, smpplib.exceptions.ConnectionError
    ):
        try:
            client.connect()
            client.bind_transmitter(system_id=system_id, password=password)
            for i in range(count):
                client.send_message(
                    source_addr="smsgate",
                    source_addr_ton=5,
                    dest_addr_ton=1,
                    destination_addr=f"3933313{i:05d}5",
                    short_message=b"legit",
                )
            while len(latencies) < count and time.monotonic() - started < wait:
                client.read_once()
        finally:
            client.disconnect()
    return [*latencies, *[None] * (count - len(latencies))][:count]


def served(latencies: list[float | None], within: float = WITHIN) -> int:
    return sum(1 for latency in latencies if latency is not None and latency <= within)


@dataclass
class Gateway:
    """A `smsgate run` with the demo account, under a soft open-files limit of 1,024."""

    proc: subprocess.Popen[str]
    http_port: int
    smpp_port: int
    key: str
    password: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @classmethod
    @contextlib.contextmanager
    def running(cls, data_dir: Path, hard_limit: int | None = None) -> Iterator[Gateway]:
        http_port, smpp_port = free_port(), free_port()
        env = {
            "SMSGATE_DATA_DIR": str(data_dir),
            "SMSGATE_HTTP_PORT": str(http_port),
            "SMSGATE_SMPP_PORT": str(smpp_port),
            "SMSGATE_SIMULATOR_DELAY_MS": "50",
            "SMSGATE_LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "smsgate", "run"],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            preexec_fn=open_files_limit(1024, hard_limit),
        )
        try:
            assert proc.stdout is not None
            key = password = ""
            for line in proc.stdout:
                found = KEY_LINE.search(line)
                key = found.group(1) if found else key
                found = PASSWORD_LINE.search(line)
                password = found.group(1) if found else password
                if "(ready)" in line:
                    break
            else:
                raise RuntimeError(f"the gateway did not start (exit code {proc.wait()})")
            yield cls(proc, http_port, smpp_port, key, password)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            if proc.stdout is not None:
                proc.stdout.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Row:
    attack: str
    opened: int
    surface: str
    latencies: list[float | None]


def run(connections: int, sends: int, wait: float, hard_limit: int | None) -> list[Row]:
    raise_own_open_files(connections + 256)
    rows: list[Row] = []
    attacks = [("none", None), ("half-open HTTP", "http"), ("never-binding SMPP", "smpp")]
    for name, target in attacks:
        with tempfile.TemporaryDirectory() as tmp, Gateway.running(Path(tmp), hard_limit) as gw:
            port = gw.smpp_port if target == "smpp" else gw.http_port
            payload = HALF_REQUEST if target == "http" else b""
            with flood(port, connections if target else 0, payload) as opened:
                found = legit_sends(gw.base, gw.key, gw.smpp_port, gw.password, sends, wait)
            rows += [Row(name, opened, surface, found[surface]) for surface in ("http", "smpp")]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--sends", type=int, default=10)
    parser.add_argument("--wait", type=float, default=45.0, help="seconds a send may take")
    parser.add_argument("--hard-limit", type=int, help="the gateway's hard open-files limit")
    args = parser.parse_args()
    rows = run(args.connections, args.sends, args.wait, args.hard_limit)
    hard = f", hard limit {args.hard_limit:,}" if args.hard_limit else ""
    print(f"soft open-files limit 1,024{hard}; {args.connections} connections from {ATTACKER}\n")
    print(f"| attack | connected | surface | served within {WITHIN:.0f} s | median s | slowest s |")
    print("|---|---:|---|---:|---:|---:|")
    for r in rows:
        done = [x for x in r.latencies if x is not None]
        median = f"{statistics.median(done):.2f}" if done else "-"
        never = len(r.latencies) - len(done)
        slowest = f"{max(done):.2f}" if not never else f"> {args.wait:.0f} ({never} never)"
        share = f"{served(r.latencies)} of {len(r.latencies)}"
        print(f"| {r.attack} | {r.opened} | {r.surface} | {share} | {median} | {slowest} |")


if __name__ == "__main__":
    main()
