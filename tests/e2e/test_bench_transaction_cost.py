"""`python -m bench.transaction_cost`: one row per store and group size, each step's CPU
in this process measured, and on PostgreSQL the backends' as well."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(180)]
REPO = Path(__file__).resolve().parents[2]


def test_each_group_size_is_measured_on_both_stores(postgres_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.transaction_cost", "--groups", "1,5", "--messages", "50",
         "--postgres", postgres_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=160,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [
        [cell.strip().replace(",", "") for cell in line.split("|")[1:-1]]
        for line in done.stdout.splitlines()
        if line.startswith(("| sqlite", "| postgres"))
    ]
    assert [row[:2] for row in rows] == [
        ["sqlite", "1"], ["sqlite", "5"], ["postgres", "1"], ["postgres", "5"]
    ], done.stdout  # fmt: skip
    for row in rows:
        process, backends, whole = row[2:8:2], row[3:8:2], int(row[8])
        assert all(int(cell) > 0 for cell in process), row
        assert whole == pytest.approx(sum(int(c) for c in process + backends), abs=3)
    sqlite_one, postgres_one = rows[0], rows[2]
    assert sum(int(cell) for cell in sqlite_one[3:8:2]) == 0, "SQLite has no backends"
    assert sum(int(cell) for cell in postgres_one[3:8:2]) > 0, "the backends' CPU is read"
