"""Where a message's CPU goes in smsgate, layer by layer, in µs per message.

Runs one workload of the comparison (`bench.compare`, smsgate only) and samples every
smsgate process with py-spy (the `bench` extra) while the load runs. Each sample goes
to the layer of the innermost frame that names one (`LAYERS`); a layer's µs per message
is its share of its process's samples times that process's CPU per message in the run.
Before sampling, it reads the store's write transactions (`/metrics`); on PostgreSQL the
database's backends are in the CPU per message, and not sampled.

    .venv/bin/python -m bench.layers [--workload single-c50] [--workers 1] [--count 40000]
        [--gateway smsgate|smsgate-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from bench.compare.runner import HARNESS
from bench.compare.smsgate_gateway import descendants, process_name
from bench.smpp_bench import machine_speed

# (layer, words any of which in a frame "function (file:line)" names it); the innermost
# frame that names a layer decides, so a layer's own frames win over their callers.
LAYERS: tuple[tuple[str, str], ...] = (
    ("accept transaction (group commit)", "GroupCommit._write GroupCommit._outcomes SqlAccept"),
    ("dispatcher: claim transaction",
     "Dispatcher._claim Dispatcher.dispatch_once SqlDispatch.claim"),
    ("dispatcher: record transaction", "Dispatcher._record SqlDispatch.record"),
    ("dispatcher: submit_sm out",
     "Dispatcher._send SmppUpstream.submit smpp_pdus SmppClient.submit"),
    ("receipts (record, outbox)", "ReceiptRecorder apply_receipts"),
    ("SMPP in (read, decode, match; customer binds)", "smsgate/smpp/ smsgate/api/smpp/"),
    ("submit service (validate, plan, price)", "SubmitService"),
    ("authentication", "RequestAuthenticator"),
    ("body decode, response render", "decode_body read_body json_response sent_view"),
    ("ASGI entry (FixedPaths, Starlette, metrics)", "FixedPaths starlette/ Metrics send_messages"),
    ("HTTP server (httptools, request cycle, writes)", "smsgate/api/front/ uvicorn/"),
    ("webhooks, housekeeping, leases, other tasks",
     "WebhookSender Housekeeper NodeService ownership HourlyTotals Supervisor Changes"),
    ("reader threads", "threading.py"),
)  # fmt: skip
REST = "event loop, and frames of no layer"
IDLE = "concurrent/futures/thread.py:81"  # a reader thread waiting for work
_COMPILED = [
    (name, re.compile("|".join(re.escape(word) for word in words.split())))
    for name, words in LAYERS
]


def layer_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in _COMPILED:
            if pattern.search(frame):
                return name
    return REST


def shares(raw: Path) -> Counter[str]:
    """Samples per layer of one py-spy raw (collapsed) file, idle threads left out."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if stack and IDLE not in frames[-1]:
            counts[layer_of(frames)] += int(n)
    return counts


def smsgate_processes(root: int) -> dict[str, int]:
    """The gateway's processes under `root`, named as the comparison names them."""
    named: dict[str, int] = {}
    for pid in descendants(root):
        name = process_name(pid)
        if name == "run":
            named["smsgate"] = pid
        elif name.startswith("http-worker"):
            named[name] = pid
    return named


WRITE_LOCK = ("smsgate_messages_sent_total", "smsgate_sqlite_write_seconds_total",
              "smsgate_sqlite_write_wait_seconds_total", "smsgate_sqlite_writes_total",
              "smsgate_postgres_writes_total",
              "smsgate_postgres_write_seconds_total")  # fmt: skip


LOCK_WINDOW = 3.0


def write_lock(pid: int) -> dict[str, float]:
    """The messages sent and the store's write transactions so far, from the /metrics of
    the gateway whose core is `pid` (its HTTP port read from its environment)."""
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    port = next(v for k, _, v in (e.partition(b"=") for e in environ) if k == b"SMSGATE_HTTP_PORT")
    with urllib.request.urlopen(f"http://127.0.0.1:{port.decode()}/metrics", timeout=10) as page:
        lines = page.read().decode().splitlines()
    values = (line.split(" ", 1) for line in lines if line.startswith(WRITE_LOCK))
    found = {name: float(value) for name, value in values}
    return {name: found.get(name, 0.0) for name in WRITE_LOCK}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="single-c50")
    parser.add_argument("--workers", type=int, default=1, help="http_workers of the gateway")
    parser.add_argument("--count", type=int, default=40_000)
    parser.add_argument("--gateway", default="smsgate", choices=("smsgate", "smsgate-postgres"))
    parser.add_argument("--wait", type=float, default=6.0, help="s after start to sample")
    parser.add_argument("--seconds", type=int, default=6, help="s of sampling")
    parser.add_argument("--rate", type=int, default=100, help="samples per second")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        sys.exit("py-spy is not installed: .venv/bin/pip install -e '.[bench]'")
    work = Path(tempfile.mkdtemp(prefix="smsgate-layers-"))
    env = {**os.environ, "SMSGATE_HTTP_WORKERS": str(args.workers)}
    counts = {"single-c10": "--count", "single-c50": "--count",
              "receipts-c50": "--receipt-count", "smpp-w100": "--smpp-count"}  # fmt: skip
    load = subprocess.Popen(
        [sys.executable, "-m", "bench.compare", "--gateways", args.gateway, "--reps", "1",
         "--workloads", args.workload, counts[args.workload], str(args.count),
         "--work", str(work / "work"), "--out", str(work / "out")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not smsgate_processes(load.pid) and time.monotonic() < deadline:
        time.sleep(0.25)
    # The write lock is read over the last LOCK_WINDOW s before sampling: py-spy pauses
    # the processes it samples, the lock held among them.
    time.sleep(args.wait - LOCK_WINDOW)
    core = smsgate_processes(load.pid)["smsgate"]
    before, started = write_lock(core), time.monotonic()
    time.sleep(LOCK_WINDOW)
    after, read = write_lock(core), time.monotonic() - started
    spies = {
        name: (work / f"{name}.txt", subprocess.Popen(
            [spy, "record", "-p", str(pid), "-d", str(args.seconds), "-r", str(args.rate),
             "-f", "raw", "-o", str(work / f"{name}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        for name, pid in smsgate_processes(load.pid).items()
    }  # fmt: skip
    for _path, process in spies.values():
        process.wait()
    load.wait()
    run = json.loads((work / "out" / "compare.json").read_text())["runs"][0]
    if run["status"] != "ok" or not run["cpu_us_per_msg"]:
        sys.exit(f"the run failed: {run['status']}")
    # The gateway's CPU per message is shared out by each process's CPU in the run; on
    # PostgreSQL it includes the database's backends, which are not sampled.
    own = {name: cpu for name, cpu in run["cpu"].items() if name not in HARNESS}
    backends = sum(cpu for name, cpu in own.items() if name.startswith("postgres"))
    print(f"\n{machine_speed():.0f}M empty-loop iterations/s; {args.workload}, "
          f"http_workers={args.workers}, {run['arrived']:,} messages, "
          f"{run['end_to_end_per_s']:,.0f} msg/s end to end while sampled, "
          f"{run['cpu_us_per_msg']:.0f} µs of CPU per message in all\n")  # fmt: skip
    if backends:
        print(f"PostgreSQL's backends: {run['cpu_us_per_msg'] * backends / sum(own.values()):.0f}"
              " µs per message of it\n")  # fmt: skip
    sent, held, waited, writes, pg_writes, pg_seconds = (
        after[name] - before[name] for name in WRITE_LOCK
    )
    if writes and sent:
        print(f"SQLite's write lock over {read:.1f} s before sampling: held "
              f"{100 * held / read:.0f}% of the time, {1e6 * held / sent:.0f} µs per message "
              f"sent, in {writes / sent:.2f} write transactions per message; writers waited "
              f"{1e6 * waited / sent:.0f} µs per message\n")  # fmt: skip
    if pg_writes and sent:
        print(f"PostgreSQL's write transactions over {read:.1f} s before sampling: "
              f"{pg_writes / sent:.2f} per message sent, {1e3 * pg_seconds / pg_writes:.1f} ms "
              "each from taking a connection to COMMIT\n")  # fmt: skip
    print("| process | layer | share of its samples | µs per message |")
    print("|---|---|---:|---:|")
    for name, (path, _process) in spies.items():
        if not path.exists() or name not in own:
            print(f"| {name} | (no samples) | | |")
            continue
        per_message = run["cpu_us_per_msg"] * own[name] / sum(own.values())
        layers = shares(path)
        total = sum(layers.values())
        for layer, n in layers.most_common():
            print(f"| {name} | {layer} | {100 * n / total:.1f}% | {per_message * n / total:.0f} |")
        print(f"| {name} | **all** | {total} samples | **{per_message:.0f}** |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
