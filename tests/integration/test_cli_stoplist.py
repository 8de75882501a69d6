"""`smsgate stop ...` against a real SQLite file, through click's runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli import cli_on


@pytest.fixture
def smsgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    call = cli_on(tmp_path, monkeypatch)
    call("account", "create", "acme", "--country", "IT")
    call("account", "create", "other", "--country", "FR")
    return call


def listed(smsgate: Any, account: str) -> list[str]:
    return [e["number"] for e in smsgate("stop", "list", account, "--json")["entries"]]


def test_add_list_remove(smsgate: Any) -> None:
    added = smsgate("stop", "add", "acme", "333 123 4567", "--json")
    assert (added["number"], added["source"], added["added"]) == ("+393331234567", "cli", True)
    again = smsgate("stop", "add", "acme", "+393331234567", "--json")
    assert again == {**added, "added": False}
    assert "already on the STOP list" in smsgate("stop", "add", "acme", "+393331234567")
    smsgate("stop", "add", "acme", "+393337654321")
    assert listed(smsgate, "acme") == ["+393337654321", "+393331234567"]
    text = smsgate("stop", "list", "acme")
    assert text.splitlines()[0].startswith("+393337654321     cli      20")
    assert listed(smsgate, "other") == []
    assert smsgate("stop", "list", "other") == "the STOP list is empty\n"

    assert smsgate("stop", "remove", "acme", "3331234567") == "3331234567: removed\n"
    assert listed(smsgate, "acme") == ["+393337654321"]
    out = smsgate("stop", "remove", "acme", "+393331234567", ok=False)
    assert "not_found: +393331234567 is not on the STOP list" in out


def test_refusals_change_nothing(smsgate: Any, tmp_path: Path) -> None:
    smsgate("stop", "add", "acme", "+393331234567")
    assert "invalid_recipient: invalid recipient 'hello'" in smsgate(
        "stop", "add", "acme", "hello", ok=False
    )
    assert "invalid_recipient" in smsgate("stop", "remove", "acme", "hello", ok=False)
    csv_file = tmp_path / "stops.csv"
    csv_file.write_text("+393337654321\n")
    for command in (
        ("list", "nobody"),
        ("add", "nobody", "+393331234567"),
        ("remove", "nobody", "+393331234567"),
        ("import", "nobody", str(csv_file)),
        ("export", "nobody"),
    ):
        out = smsgate("stop", *command, ok=False)
        assert "Error: not_found: no account named 'nobody'" in out, command
    assert "No such file" in smsgate("stop", "import", "acme", "missing.csv", ok=False)
    assert listed(smsgate, "acme") == ["+393331234567"]


def test_import_export_round_trip(smsgate: Any, tmp_path: Path) -> None:
    smsgate("stop", "add", "acme", "+393331234567")
    source = tmp_path / "in.csv"
    source.write_text(
        "number,note\n+393337654321,x\n\nnot a number\n333 123 4567\n0039 333 000 1111\n"
    )
    done = smsgate("stop", "import", "acme", str(source), "--json")
    assert done == {
        "added": 2,
        "already_present": 1,
        "invalid": 1,
        "invalid_lines": [
            {"line": 4, "value": "not a number", "reason": "not a valid phone number"}
        ],
    }
    text = smsgate("stop", "import", "acme", str(source))
    assert text.splitlines() == [
        "added 0, already present 3, invalid 1",
        "  line 4: 'not a number': not a valid phone number",
    ]

    printed = smsgate("stop", "export", "acme")
    lines = printed.splitlines()
    assert lines[0] == "number,source,created_at"
    assert sorted(line.split(",")[:2] for line in lines[1:]) == [
        ["+393330001111", "import"],
        ["+393331234567", "cli"],
        ["+393337654321", "import"],
    ]
    exported = tmp_path / "out.csv"
    assert smsgate("stop", "export", "acme", "--output", str(exported)) == ""
    assert exported.read_text() == printed

    moved = smsgate("stop", "import", "other", str(exported), "--json")
    assert (moved["added"], moved["invalid"]) == (3, 0)
    assert sorted(listed(smsgate, "other")) == sorted(listed(smsgate, "acme"))
