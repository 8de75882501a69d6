"""`python -m bench.ceiling`: every layer answers every request, and the table says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(200)]
REPO = Path(__file__).resolve().parents[2]


def test_every_layer_is_measured_on_accepted_requests() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.ceiling", "--count", "300"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    # The benchmark raises when any answer is not a 202.
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in done.stdout.splitlines() if line.startswith("| ")]
    measured = [(cells[0].strip(), int(cells[1])) for cells in rows[1:]]
    assert measured == [
        ("raw", 10), ("raw", 50), ("uvicorn", 10), ("uvicorn", 50), ("limits", 10), ("limits", 50),
        ("in-process", 1), ("in-process", 10), ("in-process", 50),
    ]  # fmt: skip
    for cells in rows[1:]:
        assert int(cells[2].replace(",", "")) == 300
        assert float(cells[3].replace(",", "")) > 0
