"""Counters: one row per process, summed over every row of a shared buffer."""

from __future__ import annotations

import pytest

from smsgate.services.counters import ROW_BYTES, Counters


def test_private_counters_add_up() -> None:
    stats = Counters()
    stats.add("accepted", 3)
    stats.add("sent")
    stats.count_final("delivered", 2)
    assert (stats.accepted, stats.sent, stats.retried, stats.receipts) == (3, 1, 0, 0)
    assert stats.final == {"delivered": 2}


def test_processes_write_their_own_rows_and_read_the_sum() -> None:
    cells = memoryview(bytearray(3 * ROW_BYTES)).cast("q")
    core, worker = Counters(cells, row=0), Counters(cells, row=2)
    core.add("sent", 5)
    core.count_final("expired")
    worker.add("accepted", 7)
    worker.count_final("expired", 2)
    for view in (core, worker, Counters(cells, row=1)):
        assert (view.accepted, view.sent) == (7, 5)
        assert view.final == {"expired": 3}
    assert list(cells[ROW_BYTES // 8 : 2 * ROW_BYTES // 8]) == [0] * (ROW_BYTES // 8)


def test_a_row_outside_the_buffer_and_an_unknown_counter_are_refused() -> None:
    with pytest.raises(ValueError, match="row 1"):
        Counters(row=1)
    with pytest.raises(KeyError):
        Counters().add("nonsense")
