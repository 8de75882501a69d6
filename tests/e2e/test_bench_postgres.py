"""`bench.postgres_scale` and `bench.nodes` on a small scale: every query and node count
is measured, the plans name the indexes, and the private databases are gone after."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(400)]
REPO = Path(__file__).resolve().parents[2]


def bench(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=380
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def table(output: str, first_cell: str) -> list[list[str]]:
    """The rows of the table whose header starts with `first_cell`, one per measurement."""
    rows: list[list[str]] = []
    width = 0  # the header's, while inside the table
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if cells and cells[0] == first_cell:
            width = len(cells)
        elif width and len(cells) == width and not cells[0].startswith("-"):
            rows.append(cells)
        elif width and len(cells) != width:
            width = 0
    return rows


async def databases(url: str, prefix: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix)
    finally:
        await conn.close()
    return [str(r[0]) for r in rows]


def test_every_hot_query_is_timed_and_explained_in_both_layouts(postgres_url: str) -> None:
    out = bench("bench.postgres_scale", "--rows", "20000", "--backlog", "300",
                "--postgres", postgres_url)  # fmt: skip
    plain, daily = out.split("\ndaily: ", 1)
    for layout in (plain, daily):
        rows = table(layout, "query")
        assert len(rows) == 12, layout
        assert all(float(r[2].replace(",", "")) > 0 for r in rows)
    claim = table(plain, "query")[0]
    assert claim[0].startswith("claim") and "ix_messages_due" in claim[5]
    assert "lookup by id and created_at" in daily and "drop that day's two partitions" in daily
    names = re.findall(r"database (smsgate_scale_\w+)", out)
    assert len(names) == 2
    left = asyncio.run(databases(postgres_url, "smsgate_scale_%"))
    assert not set(names) & set(left)


def test_each_node_count_is_measured_to_the_last_receipt(postgres_url: str) -> None:
    out = bench("bench.nodes", "--messages", "300", "--rounds", "1", "--nodes", "1", "2",
                "--postgres", postgres_url)  # fmt: skip
    rows = table(out, "nodes")
    assert [r[0] for r in rows] == ["1", "2"]
    for row in rows:
        accepted, final = (float(row[i].replace(",", "")) for i in (1, 2))
        assert 0 < final <= accepted
        assert float(row[3].replace(",", "")) > 0 and float(row[4].replace(",", "")) > 0
    assert not asyncio.run(databases(postgres_url, "smsgate_nodes_%"))
