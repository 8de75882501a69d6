"""Three nodes on one PostgreSQL database, one of them killed (-9) mid-load: what reached
the store, what went out twice, the operators' most binds and how long binds took to move.

Runs tests/e2e/three_nodes.py's scenario (3 `smsgate run` nodes, 2 simulated operators
with 2 and 3 binds, 3 HTTP and 3 SMPP customers of `--count` messages each, kill -9 of
the node holding the most binds, then its restart) `--runs` times and prints a table.
"Twice" columns give the messages that went out twice beside how many of that kind the
killed node held at the kill (every duplicate was among them, or the test fails).

    .venv/bin/python -m bench.three_nodes [--count 300] [--runs 1] [--http-workers 1]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench.smpp_bench import machine_speed
from tests.e2e.three_nodes import run_three_nodes

PG_ADMIN = os.environ.get("SMSGATE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="messages per customer (6)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--http-workers", type=int, default=1, help="HTTP workers per node")
    args = parser.parse_args()
    speed = machine_speed()
    rows: list[dict[str, str]] = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            report = run_three_nodes(PG_ADMIN, Path(tmp), args.count, args.http_workers)
        rows.append({"run": str(run), "killed": report.victim, **report.figures()})
    print(f"machine speed: {speed:.0f}M empty-loop iterations/s")
    print(f"6 customers x {args.count} messages, {args.http_workers} HTTP worker(s) a node\n")
    print("| " + " | ".join(rows[0]) + " |")
    print("|---|---|" + "---:|" * (len(rows[0]) - 2))
    for row in rows:
        print("| " + " | ".join(row.values()) + " |")


if __name__ == "__main__":
    main()
