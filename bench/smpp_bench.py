"""SMPP benchmark: codec operations per second, and submit_sm ingest through a real socket.

Run: .venv/bin/python bench/smpp_bench.py [--quick] [--count N] [--no-server]
Codec rows are best-of-N on one core. Ingest rows time our SmppClient against the SMSC
simulator in sink mode, started as a separate process; the server's own CPU time per
submit_sm (from /proc) is reported too, since client and server share the machine.
"""

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable

from smsgate.smpp import (
    DeliverSm,
    Receipt,
    SmppClient,
    SubmitSm,
    decode,
    encode,
    receipt_from_pdu,
    tlv,
)

TYPICAL_SUBMIT = SubmitSm(
    sequence_number=123456,
    source_addr_ton=5,
    source_addr="smsgate",
    dest_addr_ton=1,
    dest_addr_npi=1,
    destination_addr="393331234567",
    registered_delivery=1,
    short_message=b"Your verification code is 123456. It expires in 10 minutes.",
)
RECEIPT = DeliverSm(
    sequence_number=7,
    source_addr="393331234567",
    destination_addr="smsgate",
    esm_class=4,
    short_message=b"id:1A2B3C sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
    b" stat:DELIVRD err:000 text:",
    tlvs={tlv.RECEIPTED_MESSAGE_ID.tag: "1A2B3C", tlv.MESSAGE_STATE.tag: 2},
)


def best_rate(operation: Callable[[], object], count: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(count):
            operation()
        best = min(best, time.perf_counter() - started)
    return count / best


def empty_loop_rate(count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        pass
    return count / (time.perf_counter() - started)


def machine_speed() -> float:
    """Millions of empty-loop iterations/s, best of 3. The same box runs at very
    different speeds from day to day; reports give this so two runs compare."""
    return max(empty_loop_rate(5_000_000) for _ in range(3)) / 1e6


def read_receipt(wire: bytes) -> Receipt:
    """A receipt deliver_sm from the wire to its parsed Receipt."""
    pdu = decode(wire)
    assert isinstance(pdu, DeliverSm)
    return receipt_from_pdu(pdu)


def codec_rows(count: int, repeats: int) -> list[tuple[str, float]]:
    wire = encode(TYPICAL_SUBMIT)
    receipt_wire = encode(RECEIPT)
    return [
        (
            f"codec submit_sm ({len(wire)} B) encode+decode",
            best_rate(lambda: decode(encode(TYPICAL_SUBMIT)), count, repeats),
        ),
        ("codec submit_sm decode", best_rate(lambda: decode(wire), count, repeats)),
        ("codec submit_sm encode", best_rate(lambda: encode(TYPICAL_SUBMIT), count, repeats)),
        (
            "receipt deliver_sm decode + receipt_from_pdu",
            best_rate(lambda: read_receipt(receipt_wire), count, repeats),
        ),
    ]


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, from /proc (Linux); None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ingest(port: int, window: int, count: int) -> float:
    client = SmppClient(
        "127.0.0.1", port, system_id="bench", password="bench", window=window, bind="tx"
    )
    await client.start()
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            response = await client.submit(
                SubmitSm(
                    source_addr="smsgate",
                    destination_addr="393331234567",
                    short_message=TYPICAL_SUBMIT.short_message,
                )
            )
            assert response.command_status == 0, response

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(window)))
    elapsed = time.perf_counter() - started
    await client.close()
    return count / elapsed


async def server_rows(count: int) -> list[tuple[str, float]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsgate.smpp.smsc_simulator",
        "--port",
        "0",
        "--sink",
        "--log-level",
        "WARNING",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    rows: list[tuple[str, float]] = []
    try:
        line = (await process.stdout.readline()).decode()
        port = int(line.rsplit(":", 1)[1])
        await ingest(port, 10, min(count, 2000))  # warm up
        for window in (1, 10, 100):
            n = count // 4 if window == 1 else count
            cpu_before = process_cpu_seconds(process.pid)
            rate = await ingest(port, window, n)
            cpu_after = process_cpu_seconds(process.pid)
            rows.append((f"ingest submit_sm/s, one bind, window {window}", rate))
            if cpu_before is not None and cpu_after is not None:
                per_submit = (cpu_after - cpu_before) / n * 1e6
                rows.append((f"  simulator CPU us per submit_sm (window {window})", per_submit))
    finally:
        process.terminate()
        await process.wait()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--count", type=int, default=None, help="submits per ingest row")
    parser.add_argument("--no-server", action="store_true", help="codec rows only")
    args = parser.parse_args(argv)
    codec_count, repeats = (50_000, 3) if args.quick else (200_000, 5)
    ingest_count = args.count or (5_000 if args.quick else 40_000)
    rows = [("python empty loop iterations/s (machine speed)", empty_loop_rate(5_000_000))]
    rows += codec_rows(codec_count, repeats)
    if not args.no_server:
        rows += asyncio.run(server_rows(ingest_count))
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | {'value':>12} |")
    print(f"|{'-' * (width + 2)}|{'-' * 14}|")
    for name, value in rows:
        shown = f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
        print(f"| {name:<{width}} | {shown:>12} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
