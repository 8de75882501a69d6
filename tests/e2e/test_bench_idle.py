"""`python -m bench.idle`: every process of an idle gateway is measured, in one row a run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
REPO = Path(__file__).resolve().parents[2]


def test_each_process_of_an_idle_gateway_is_measured() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.idle", "--seconds", "1", "--runs", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in done.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 2, done.stdout
    run, total, each = (cell.strip() for cell in rows[1])
    assert run == "1"
    shares = dict(item.rsplit(" ", 1) for item in each.split(", "))
    assert sorted(shares) == ["http-worker-1", "run"]
    assert float(total) == pytest.approx(sum(float(s) for s in shares.values()), abs=0.02)
