"""CPU µs per call of the text and SMPP codec calls every message makes (process time, so
the time the process waited for a core is not counted): best of 3 runs of --calls each.

Run: .venv/bin/python -m bench.call_cpu [--calls 20000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench.smpp_bench import RECEIPT, TYPICAL_SUBMIT, read_receipt
from bench.text_bench import FOUR_PART_GSM, ONE_PART_GSM, THREE_PART_UCS2
from smsgate.smpp import decode, encode
from smsgate.text import count_units, plan


def calls() -> dict[str, Callable[[], object]]:
    wire = encode(TYPICAL_SUBMIT)
    receipt_wire = encode(RECEIPT)
    return {
        "plan 1-part GSM": lambda: plan(ONE_PART_GSM),
        "plan 4-part GSM": lambda: plan(FOUR_PART_GSM),
        "plan 3-part UCS-2": lambda: plan(THREE_PART_UCS2),
        "count_units 1-part GSM": lambda: count_units(ONE_PART_GSM),
        "submit_sm encode": lambda: encode(TYPICAL_SUBMIT),
        "submit_sm decode": lambda: decode(wire),
        "receipt decode+parse": lambda: read_receipt(receipt_wire),
    }


def cpu_per_call(call: Callable[[], object], count: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(count):
            call()
        best = min(best, time.process_time() - started)
    return best * 1e6 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    print("| call | CPU µs |")
    print("|---|---:|")
    for name, call in calls().items():
        print(f"| {name} | {cpu_per_call(call, args.calls):.2f} |", flush=True)


if __name__ == "__main__":
    main()
