"""smsgate, Jasmin and Kannel measured in one run, alternating, against one SMPP sink.

    .venv/bin/python -m bench.compare [--gateways smsgate,jasmin,kannel] [--reps 3]
    .venv/bin/python -m bench.compare --gateways smsgate,smsgate-postgres,kannel
    .venv/bin/python -m bench.compare --smoke     # smsgate only, a few hundred messages

Writes compare.md, compare.json and compare.png under --out and prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bench.compare import report
from bench.compare.runner import ADAPTERS, DEFAULT_GATEWAYS, Run, Workload, compare

ALL_WORKLOADS = "single-c10,single-c50,receipts-c50,bulk-1000,smpp-w100"
SMOKE_WORKLOADS = "single-c10,receipts-c50,smpp-w100"
SMOKE_COUNT = 300
DEFAULT_WORK = Path(__file__).resolve().parent / ".work"
DEFAULT_OUT = DEFAULT_WORK.parents[1] / "results"


def workloads(args: argparse.Namespace) -> list[Workload]:
    known = {
        "single-c10": Workload("single-c10", "single", args.count, 10),
        "single-c50": Workload("single-c50", "single", args.count, 50),
        "receipts-c50": Workload("receipts-c50", "single", args.receipt_count, 50, True),
        "bulk-1000": Workload("bulk-1000", "bulk", args.bulk_count, 4, batch=1000),
        "smpp-w100": Workload("smpp-w100", "smpp", args.smpp_count, 100, True),
    }
    chosen = [name.strip() for name in args.workloads.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise SystemExit(f"unknown workload(s) {', '.join(unknown)}; known: {ALL_WORKLOADS}")
    return [known[name] for name in chosen]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--gateways", default=",".join(DEFAULT_GATEWAYS))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--count", type=int, default=20_000, help="single-c10, single-c50")
    parser.add_argument("--receipt-count", type=int, default=2_000, help="receipts-c50")
    parser.add_argument("--bulk-count", type=int, default=20_000, help="bulk-1000")
    # Jasmin drains SMPP-in with receipts at ~100 msg/s: 5,000 keep a repetition short.
    parser.add_argument("--smpp-count", type=int, default=5_000, help="smpp-w100")
    parser.add_argument("--warmup", type=int, default=500, help="messages before each run")
    parser.add_argument("--workloads", default=None, help=f"default {ALL_WORKLOADS}")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--out", type=Path, default=None, help="default bench/results")
    parser.add_argument(
        "--smoke", action="store_true", help="smsgate only, a few hundred messages, 1 rep"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.gateways = "smsgate"
        args.reps = 1
        args.count = args.receipt_count = args.bulk_count = args.smpp_count = SMOKE_COUNT
        args.warmup = min(args.warmup, 50)
        args.workloads = args.workloads or SMOKE_WORKLOADS
        args.out = args.out or args.work / "smoke"
    args.workloads = args.workloads or ALL_WORKLOADS
    args.out = args.out or DEFAULT_OUT
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    names = [name.strip() for name in args.gateways.split(",") if name.strip()]
    unknown = [name for name in names if name not in ADAPTERS]
    if unknown:
        raise SystemExit(f"unknown gateway(s) {', '.join(unknown)}; known: {', '.join(ADAPTERS)}")
    chosen = workloads(args)
    about: dict[str, dict[str, str]] = {}
    say = lambda line: print(line, flush=True)  # noqa: E731
    runs = asyncio.run(compare(names, chosen, args.reps, args.work, args.warmup, about, say))
    meta = {
        "reps": args.reps,
        "warmup": args.warmup,
        "workloads": {w.name: {"messages": w.count, "concurrency": w.concurrency} for w in chosen},
        "gateways": about,
    }
    report.write(runs, meta, args.out, png=not args.smoke, say=say)
    if args.smoke:  # the smoke run is a check: every message and receipt must arrive once
        return 0 if all(complete(run) for run in runs) else 1
    return 0


def complete(run: Run) -> bool:
    receipts_ok = run.receipts is None or run.receipts >= run.accepted
    return (
        run.status == "ok"
        and run.accepted == run.messages
        and run.lost == 0
        and run.duplicates == 0
        and receipts_ok
    )


if __name__ == "__main__":
    sys.exit(main())
