"""`python -m bench.compare --smoke`: smsgate through the comparison harness, once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]
REPO = Path(__file__).resolve().parents[2]
WORKLOADS = ("single-c10", "receipts-c50", "smpp-w100")


def test_smoke_run_counts_every_message_and_receipt(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "bench.compare", "--smoke",
         "--work", str(tmp_path / "work"), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=360,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| workload | gateway | messages |" in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    for workload in WORKLOADS:
        row = next(r for r in rows if r.startswith(f"| {workload} | smsgate |"))
        assert "| 0 / 0 |" in row
        if workload != "single-c10":
            assert "| all after " in row
    assert (out / "compare.md").read_text().count("| smsgate |") == len(WORKLOADS)
    runs = json.loads((out / "compare.json").read_text())["runs"]
    assert [r["workload"] for r in runs] == list(WORKLOADS)
    for run in runs:
        assert run["status"] == "ok"
        assert run["accepted"] == run["messages"] == run["arrived"] == 300
        assert (run["lost"], run["duplicates"]) == (0, 0)
        assert run["cpu_us_per_msg"] > 0  # the gateway's processes were measured
        if run["workload"] != "single-c10":
            assert run["receipts"] == 300
            assert run["receipt_duplicates"] == 0
    assert not (out / "compare.png").exists()
