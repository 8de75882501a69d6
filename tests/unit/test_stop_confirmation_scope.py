"""The one send that passes the STOP check, a STOP/START confirmation, is made only by
the inbound use case: no API, dialect, bind, portal or command can reach it."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "smsgate"


def test_only_the_inbound_service_sends_a_stop_confirmation() -> None:
    callers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "confirm_stop(" in path.read_text(encoding="utf-8")
    }
    assert callers == {"services/submit.py", "services/inbound.py"}
