"""The CPU an idle gateway spends: `smsgate run` on its embedded default (SQLite, the
simulated operator, the demo account), nothing sent, measured from /proc per process.

    .venv/bin/python -m bench.idle [--seconds 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from bench.compare.runner import cpu_ticks
from bench.compare.smsgate_gateway import descendants, free_port, process_name
from bench.smpp_bench import machine_speed

SETTLE = 5.0  # s after ready before measuring: start-up work (migrations, caches) is done


def idle_run(seconds: float) -> dict[str, float]:
    """% of a core each smsgate process spent over `seconds` of idling."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SMSGATE_DATA_DIR": tmp,
            "SMSGATE_HTTP_PORT": str(free_port()),
            "SMSGATE_SMPP_PORT": str(free_port()),
            "SMSGATE_LOG_LEVEL": "WARNING",
        }
        gateway = subprocess.Popen(
            [sys.executable, "-m", "smsgate", "run"], env=env, stdout=subprocess.PIPE, text=True
        )
        assert gateway.stdout is not None
        try:
            for line in gateway.stdout:
                if "(ready)" in line:
                    break
            time.sleep(SETTLE)
            pids = [gateway.pid, *descendants(gateway.pid)]
            before = {pid: cpu_ticks(pid) or 0 for pid in pids}
            time.sleep(seconds)
            ticks = os.sysconf("SC_CLK_TCK")
            return {
                process_name(pid): 100 * ((cpu_ticks(pid) or 0) - before[pid]) / ticks / seconds
                for pid in pids
            }
        finally:
            gateway.terminate()
            gateway.wait(timeout=60)
            gateway.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{machine_speed():.0f}M empty-loop iterations/s; {args.seconds:.0f} s of idling a run")
    print("| run | % of a core, all processes | per process |")
    print("|---:|---:|---|")
    for run in range(1, args.runs + 1):
        spent = idle_run(args.seconds)
        each = ", ".join(f"{name} {share:.2f}" for name, share in sorted(spent.items()))
        print(f"| {run} | {sum(spent.values()):.2f} | {each} |")


if __name__ == "__main__":
    main()
