"""The admin CLI against a real SQLite file, through click's runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smsgate.cli import main


@pytest.fixture
def smsgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SMSGATE_DATA_DIR", str(tmp_path))
    runner = CliRunner()

    def call(*args: str, ok: bool = True) -> Any:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        if "--json" in args and ok:
            return json.loads(result.output)
        return result.output

    return call


def test_account_lifecycle(smsgate: Any) -> None:
    created = smsgate("account", "create", "acme", "--credit", "10.00", "--json")
    assert set(created) >= {"id", "name", "api_key"}
    assert created["name"] == "acme"
    assert created["api_key"].startswith("sg_")
    assert created["balance"] == "10.00"

    sub = smsgate("account", "create", "acme-eu", "--parent", "acme", "--credit", "2.50", "--json")
    assert sub["parent_id"] == created["id"]
    assert smsgate("account", "show", "acme", "--json")["balance"] == "7.50"

    shared = smsgate(
        "account", "create", "acme-it", "--parent", "acme", "--shared-balance", "--json"
    )
    assert shared["shared_balance"] is True and shared["balance"] is None

    assert smsgate("account", "topup", "acme", "5", "--json")["balance"] == "12.50"
    assert smsgate("account", "suspend", "acme", "--json")["status"] == "suspended"
    assert smsgate("account", "resume", "acme", "--json")["status"] == "active"
    names = [a["name"] for a in smsgate("account", "list", "--json")["accounts"]]
    assert names == ["acme", "acme-eu", "acme-it"]


def test_errors_are_reported_and_change_nothing(smsgate: Any) -> None:
    smsgate("account", "create", "acme", "--credit", "1.00", "--json")
    out = smsgate("account", "create", "acme", ok=False)
    assert "conflict" in out
    out = smsgate("account", "create", "sub", "--parent", "acme", "--credit", "2.00", ok=False)
    assert "insufficient_credit" in out
    assert smsgate("account", "show", "acme", "--json")["balance"] == "1.00"
    names = [a["name"] for a in smsgate("account", "list", "--json")["accounts"]]
    assert names == ["acme"]
    assert "not a decimal amount" in smsgate("account", "topup", "acme", "1.0.0", ok=False)


def test_keys(smsgate: Any) -> None:
    smsgate("account", "create", "acme", "--json")
    second = smsgate("key", "create", "acme", "--json")["api_key"]
    keys = smsgate("key", "list", "acme", "--json")["keys"]
    assert len(keys) == 2 and not any(k["revoked"] for k in keys)
    smsgate("key", "revoke", "acme", second[:10])
    keys = smsgate("key", "list", "acme", "--json")["keys"]
    assert [k["revoked"] for k in keys].count(True) == 1
    assert "no active key" in smsgate("key", "revoke", "acme", second[:10], ok=False)


def test_prices(smsgate: Any, tmp_path: Path) -> None:
    smsgate("price", "set", "*", "0.05")
    smsgate("price", "set", "+39", "0.04")
    assert smsgate("price", "list", "--json")["prices"] == {"*": "0.05", "39": "0.04"}
    csv = tmp_path / "prices.csv"
    csv.write_text("prefix,price\n49,0.07\n4915,0.065\n")
    assert "imported 2 prices" in smsgate("price", "import", str(csv))
    smsgate("account", "create", "acme", "--json")
    smsgate("price", "set", "33", "0.09", "--account", "acme")
    assert smsgate("price", "list", "--account", "acme", "--json")["prices"] == {"33": "0.09"}
    assert len(smsgate("price", "list", "--json")["prices"]) == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("49,0.07\n4a,0.01\n")
    assert "invalid prefix" in smsgate("price", "import", str(bad), ok=False)
    assert smsgate("price", "list", "--json")["prices"]["49"] == "0.07"


def test_migrate_and_messages(smsgate: Any) -> None:
    assert "up to date" in smsgate("migrate")
    assert "up to date" in smsgate("migrate")
    smsgate("account", "create", "acme", "--json")
    assert smsgate("messages", "list", "acme", "--json") == {"messages": []}
    assert "no message" in smsgate("messages", "show", "nope", ok=False)


def test_bad_config_is_a_usage_error(smsgate: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSGATE_HTTP_PORT", "x")
    assert "http_port must be of type int" in smsgate("account", "list", ok=False)


def test_account_settings(smsgate: Any) -> None:
    smsgate("account", "create", "acme", "--json")
    shown = smsgate("account", "show", "acme", "--json")
    assert (shown["allowed_ips"], shown["send_rate"], shown["max_binds"]) == (None, None, 10)

    allowed = smsgate("account", "allow-ip", "acme", "203.0.113.7", "2001:DB8::/32", "--json")
    assert allowed["allowed_ips"] == ["203.0.113.7", "2001:db8::/32"]
    assert smsgate("account", "rate", "acme", "2.5", "--json")["send_rate"] == 2.5
    assert smsgate("account", "binds", "acme", "3", "--json")["max_binds"] == 3
    shown = smsgate("account", "show", "acme", "--json")
    assert (shown["allowed_ips"], shown["send_rate"], shown["max_binds"]) == (
        ["203.0.113.7", "2001:db8::/32"],
        2.5,
        3,
    )
    text = smsgate("account", "show", "acme")
    assert "allowed IPs: 203.0.113.7 2001:db8::/32; send rate: 2.5 msg/s; SMPP binds: 3" in text

    # Bad values are refused, naming the setting, and change nothing.
    assert "allowed_ips" in smsgate("account", "allow-ip", "acme", "10.0.0.1/8", ok=False)
    assert "allowed_ips" in smsgate("account", "allow-ip", "acme", "not-an-ip", ok=False)
    assert "send_rate" in smsgate("account", "rate", "acme", "0", ok=False)
    assert "send_rate" in smsgate("account", "rate", "acme", "--", "-1", ok=False)
    assert "max_binds" in smsgate("account", "binds", "acme", "--", "-1", ok=False)
    assert "--clear" in smsgate("account", "allow-ip", "acme", ok=False)
    assert "--none" in smsgate("account", "rate", "acme", ok=False)
    assert smsgate("account", "show", "acme", "--json") == shown

    assert smsgate("account", "allow-ip", "acme", "--clear", "--json")["allowed_ips"] is None
    assert smsgate("account", "rate", "acme", "--none", "--json")["send_rate"] is None
    assert "not_found" in smsgate("account", "binds", "nobody", "1", ok=False)
