"""`smsgate messages prune` against a real SQLite file: what it deletes and what it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli import cli_on


@pytest.fixture
def smsgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    return cli_on(tmp_path, monkeypatch)


def test_prune_needs_a_period_and_deletes_nothing_young(
    smsgate: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    smsgate("account", "create", "acme", "--credit", "1")
    assert "give --days" in smsgate("messages", "prune", ok=False)
    assert smsgate("messages", "prune", "--days", "30", "--json") == {
        "days": 30,
        "messages": 0,
        "inbound": 0,
    }
    monkeypatch.setenv("SMSGATE_RETENTION_DAYS", "7")
    assert smsgate("messages", "prune") == "deleted 0 messages and 0 MO older than 7 days\n"
    assert "0 is not in the range" in smsgate("messages", "prune", "--days", "0", ok=False)
