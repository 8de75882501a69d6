"""Memory of an HTTP worker under oversize bodies: unauthenticated multipart POSTs of
61 MB (61 fields of 1 MB each) to SMS Partner's /v1/send, sent at once.

Starts `smsgate run` (SQLite, one HTTP worker) from `--source` (a checkout of smsgate;
this one by default), samples the worker's resident memory (RSS) before, during and
after the requests, and prints a Markdown table with the answers' HTTP statuses.

    .venv/bin/python -m bench.oversize_bodies [--requests 6] [--source DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from bench.backlog_memory import Sampler
from bench.compare.smsgate_gateway import descendants, free_port, process_name

FIELDS = 61
FIELD_BYTES = 1_000_000
BOUNDARY = "benchboundary"


def multipart_body() -> bytes:
    part = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f{{}}"\r\n\r\n'.encode()
        + b"x" * FIELD_BYTES
        + b"\r\n"
    )
    parts = [part.replace(b"{}", str(i).encode(), 1) for i in range(FIELDS)]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post(port: int, body: bytes, statuses: Counter[str]) -> None:
    """POST the body on its own connection; the status line answered, or what failed."""
    head = (
        f"POST /v1/send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        # The server may answer early and close: what it said is read all the same.
        with contextlib.suppress(OSError):
            sock.sendall(head + body)
        try:
            answer = sock.recv(4096).split(b"\r\n", 1)[0].decode()
        except OSError as exc:
            answer = type(exc).__name__
    statuses[answer or "closed"] += 1


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6)
    parser.add_argument("--source", default=str(Path(__file__).resolve().parent.parent))
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "SMSGATE_DATA_DIR": data_dir,
            "SMSGATE_HTTP_PORT": str(port),
            "SMSGATE_SMPP_PORT": str(free_port()),
            "SMSGATE_LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "smsgate", "run"],
            cwd=args.source,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if "(ready)" in line:
                    break
            worker = next(p for p in descendants(proc.pid) if process_name(p) == "http-worker-1")
            body = multipart_body()
            before = rss_mib(worker)
            statuses: Counter[str] = Counter()
            threads = [
                threading.Thread(target=post, args=(port, body, statuses))
                for _ in range(args.requests)
            ]
            with Sampler(worker) as sampler:
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            after = rss_mib(worker)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    answers = ", ".join(f"{n} × {s}" for s, n in sorted(statuses.items()))
    print("| source | requests | body | answers | worker RSS before | peak | after |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.source} | {args.requests} | {len(body) / 1e6:.0f} MB multipart | {answers} "
        f"| {before:.0f} MiB | {sampler.peaks.total:.0f} MiB | {after:.0f} MiB |"
    )


if __name__ == "__main__":
    main()
