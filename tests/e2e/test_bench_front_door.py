"""`python -m bench.front_door`: every server answers every request, and the table says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(200)]
REPO = Path(__file__).resolve().parents[2]
SERVERS = ["starlette", "lean", "asgi", "lean-asgi", "raw"]


def test_every_server_is_measured_on_accepted_requests() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.front_door", "--count", "300", "--reps", "1",
         "--servers", ",".join(SERVERS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )  # fmt: skip
    # The benchmark raises when any answer is not a 202.
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in done.stdout.splitlines() if line.startswith("| ")]
    measured = [(cells[0].strip(), int(cells[1])) for cells in rows[1:]]
    assert measured == [(server, c) for server in SERVERS for c in (10, 50)]
    for cells in rows[1:]:
        assert float(cells[4].split()[0].replace(",", "")) > 0  # requests/s
