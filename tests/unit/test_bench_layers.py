"""`bench.layers`' attribution: a sample goes to the layer of its innermost frame that
names one, idle reader threads are left out, and frames of no layer are the rest."""

from __future__ import annotations

from pathlib import Path

from bench.layers import REST, layer_of, shares

LOOP = "run (asyncio/runners.py:118)"
ACCEPT = "GroupCommit._write (smsgate/store/groupcommit.py:120)"
SQLITE = "SqliteCompiledSql.execute_many (smsgate/store/sqlite.py:171)"
SERVER = "Connection._run (smsgate/api/front/connection.py:312)"
ENTRY = "FixedPaths.__call__ (smsgate/api/http.py:123)"
SUBMIT = "SubmitService._submit (smsgate/services/submit.py:128)"
IDLE = "_worker (concurrent/futures/thread.py:81)"


def test_the_innermost_frame_that_names_a_layer_decides() -> None:
    assert layer_of([LOOP, ACCEPT, SQLITE]) == "accept transaction (group commit)"
    assert layer_of([LOOP, SERVER, ENTRY]).startswith("ASGI entry")
    assert layer_of([LOOP, SERVER, ENTRY, SUBMIT]).startswith("submit service")
    assert layer_of([LOOP, SERVER]).startswith("HTTP server")
    assert layer_of([LOOP]) == REST


def test_samples_are_counted_per_layer_without_idle_threads(tmp_path: Path) -> None:
    raw = tmp_path / "process.txt"
    raw.write_text(
        f"{LOOP};{ACCEPT};{SQLITE} 6\n"
        f"{LOOP};{SERVER};{ENTRY};{SUBMIT} 3\n"
        f"{LOOP} 1\n"
        f"_bootstrap (threading.py:1002);{IDLE} 50\n"
    )
    counts = shares(raw)
    assert counts == {
        "accept transaction (group commit)": 6,
        "submit service (validate, plan, price)": 3,
        REST: 1,
    }
