"""`smsgate admin ...` against a real SQLite file, through click's runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli import cli_on


@pytest.fixture
def smsgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    call = cli_on(tmp_path, monkeypatch)
    return call


def test_create_list_password_and_audit(smsgate: Any) -> None:
    made = smsgate("admin", "create", "root", "--json")
    assert made["name"] == "root" and len(made["password"]) >= 12
    text = smsgate("admin", "create", "ops", "--password", "a long enough secret")
    assert text == "admin ops created; log in at /admin/login\n"
    assert [a["name"] for a in smsgate("admin", "list", "--json")["admins"]] == ["root", "ops"]
    assert smsgate("admin", "password", "ops", "another long secret") == (
        "password of admin ops changed\n"
    )
    assert smsgate("admin", "audit") == "the audit log is empty\n"
    assert smsgate("admin", "audit", "--json") == {"audit": []}


def test_refusals(smsgate: Any) -> None:
    smsgate("admin", "create", "root", "--password", "a long enough secret")
    assert "exists already" in smsgate("admin", "create", "root", ok=False)
    assert "at least 12" in smsgate("admin", "create", "ops", "--password", "short", ok=False)
    assert "no admin named" in smsgate("admin", "password", "nobody", "a long secret!", ok=False)
    assert [a["name"] for a in smsgate("admin", "list", "--json")["admins"]] == ["root"]
