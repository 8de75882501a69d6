"""`smsgate connector`, `route` and `simulator` against a real SQLite data dir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli import cli_on


@pytest.fixture
def smsgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    call = cli_on(tmp_path, monkeypatch)
    return call


OPERATOR = ("--host", "10.1.2.3", "--port", "2775", "--system-id", "gw", "--password", "secret")


def test_connector_lifecycle(smsgate: Any) -> None:
    added = smsgate(
        "connector", "add", "tim", *OPERATOR,
        "--bind", "tx+rx", "--binds", "2", "--window", "50", "--throughput", "100",
        "--source-ton", "5", "--source-npi", "0", "--default-alphabet", "latin1",
        "--concat", "sar", "--id-format", "dec", "--tls", "--json",
    )  # fmt: skip
    assert added["name"] == "tim" and added["type"] == "smpp" and added["enabled"]
    settings = added["settings"]
    assert settings["password"] == "********"
    assert (settings["bind"], settings["binds"], settings["window"]) == ("tx+rx", 2, 50)
    assert (settings["throughput"], settings["concat"], settings["tls"]) == (100.0, "sar", True)
    assert (settings["source_ton"], settings["id_format"]) == (5, "dec")

    assert smsgate("connector", "show", "tim", "--json")["settings"] == settings
    assert "tim" in smsgate("connector", "list")
    assert not smsgate("connector", "disable", "tim", "--json")["enabled"]
    assert smsgate("connector", "enable", "tim", "--json")["enabled"]
    assert [c["name"] for c in smsgate("connector", "list", "--json")["connectors"]] == ["tim"]
    assert smsgate("connector", "remove", "tim", "--json") == {"removed": "tim"}
    assert smsgate("connector", "list", "--json") == {"connectors": []}


def test_connector_errors_change_nothing(smsgate: Any) -> None:
    smsgate("connector", "add", "tim", *OPERATOR)
    before = smsgate("connector", "list", "--json")
    assert "conflict" in smsgate("connector", "add", "tim", *OPERATOR, ok=False)
    assert "conflict" in smsgate("connector", "add", "simulator", *OPERATOR, ok=False)
    assert "invalid_request" in smsgate(
        "connector", "add", "bad", *OPERATOR, "--window", "0", ok=False
    )
    assert "not_found" in smsgate("connector", "show", "nope", ok=False)
    assert "not_found" in smsgate("connector", "remove", "nope", ok=False)
    smsgate("connector", "add", "x", "--host", "h", ok=False)  # missing options
    assert smsgate("connector", "list", "--json") == before


def test_routes(smsgate: Any) -> None:
    smsgate("account", "create", "acme", "--json")
    general = smsgate("route", "add", "--prefix", "+39", "--connector", "tim", "--json")
    assert general == {
        "id": general["id"],
        "prefix": "39",
        "connector": "tim",
        "account": None,
        "priority": 0,
    }
    mine = smsgate(
        "route", "add", "--prefix", "*", "--connector", "vodafone",
        "--account", "acme", "--priority", "3", "--json",
    )  # fmt: skip
    assert (mine["prefix"], mine["account"], mine["priority"]) == ("*", "acme", 3)
    listed = smsgate("route", "list", "--json")["routes"]
    assert listed == [general, mine]
    assert "+39" in smsgate("route", "list")

    assert "invalid_request" in smsgate(
        "route", "add", "--prefix", "3x", "--connector", "t", ok=False
    )
    assert "not_found" in smsgate(
        "route", "add", "--prefix", "1", "--connector", "t", "--account", "nobody", ok=False
    )
    assert "not_found" in smsgate("route", "remove", "999", ok=False)
    assert smsgate("route", "list", "--json")["routes"] == listed

    smsgate("route", "remove", str(general["id"]))
    assert smsgate("route", "list", "--json")["routes"] == [mine]


def test_simulator_command_passes_its_options_through() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "smsgate", "simulator", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--throttle" in shown.stdout and "--id-format" in shown.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "smsgate", "simulator", "--id-format", "octal"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0 and "invalid choice" in refused.stderr
