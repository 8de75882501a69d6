"""`smsgate number`, `keyword` and `inbound` against a real SQLite file, through click's
runner: numbers and keywords are added, listed, assigned and removed; bad input is an
error that changes nothing; MO stored by the gateway on that file are listed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smsgate.cli import main
from tests.integration.api.test_native_inbound_settings import DEFAULTS
from tests.integration.gateway import open_gateway


@pytest.fixture
def smsgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SMSGATE_DATA_DIR", str(tmp_path))
    runner = CliRunner()

    def call(*args: str, ok: bool = True) -> Any:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        if "--json" in args and ok:
            return json.loads(result.output)
        return result.output

    call("account", "create", "alice")
    call("account", "create", "bob")
    return call


def test_numbers_are_added_assigned_listed_and_removed(smsgate: Any) -> None:
    added = smsgate("number", "add", "393331234567", "--account", "alice", "--json")
    assert (added["number"], added["account"], added["default_account"]) == (
        "+393331234567",
        "alice",
        None,
    )
    shared = smsgate("number", "add", "3000", "--default-account", "bob", "--json")
    assert (shared["account"], shared["default_account"]) == (None, "bob")
    assert "3000" in smsgate("number", "list")
    assert [n["number"] for n in smsgate("number", "list", "--json")["numbers"]] == [
        "+393331234567",
        "3000",
    ]
    assigned = smsgate("number", "assign", "+393331234567", "bob", "--json")
    assert assigned["account"] == "bob"
    listed = smsgate("number", "list", "--account", "alice", "--json")["numbers"]
    assert listed == []
    assert smsgate("number", "unassign", "393331234567", "--json")["account"] is None
    assert smsgate("number", "default", "3000", "alice", "--json")["default_account"] == "alice"
    assert smsgate("number", "default", "3000", "--json")["default_account"] is None
    assert smsgate("number", "remove", "3000", "--json") == {"removed": "3000"}
    assert [n["number"] for n in smsgate("number", "list", "--json")["numbers"]] == [
        "+393331234567"
    ]


def test_keywords_are_added_listed_and_removed(smsgate: Any) -> None:
    smsgate("number", "add", "3000")
    smsgate("number", "add", "4000")
    added = smsgate("keyword", "add", "3000", "two words", "alice", ok=False)
    assert "invalid_request" in added
    assert smsgate("keyword", "add", "3000", "café", "alice", "--json") == {
        "number": "3000",
        "keyword": "CAFE",
        "account": "alice",
    }
    smsgate("keyword", "add", "4000", "INFO", "bob")
    assert len(smsgate("keyword", "list", "--json")["keywords"]) == 2
    assert [k["keyword"] for k in smsgate("keyword", "list", "4000", "--json")["keywords"]] == [
        "INFO"
    ]
    assert "conflict" in smsgate("keyword", "add", "3000", "CAFE", "bob", ok=False)
    assert "not_found" in smsgate("keyword", "remove", "3000", "INFO", ok=False)
    smsgate("keyword", "remove", "3000", "Cafe")
    assert "no keywords" in smsgate("keyword", "list", "3000")


def test_bad_input_is_reported_and_changes_nothing(smsgate: Any) -> None:
    assert "invalid_request" in smsgate("number", "add", "12", ok=False)
    assert "invalid_request" in smsgate("number", "add", "3000", "--webhook-url", "x", ok=False)
    assert "not_found" in smsgate("number", "add", "3000", "--account", "nobody", ok=False)
    assert "not_found" in smsgate("number", "assign", "3000", "alice", ok=False)
    assert "not_found" in smsgate("number", "remove", "3000", ok=False)
    assert "not_found" in smsgate("keyword", "add", "3000", "INFO", "alice", ok=False)
    smsgate("number", "add", "3000")
    assert "conflict" in smsgate("number", "add", "+3000", ok=False)
    assert smsgate("number", "list", "--json") == {
        "numbers": [
            {
                "id": 1,
                "number": "3000",
                "account": None,
                "default_account": None,
                "webhook_url": None,
                "webhook_shape": None,
                "price": "0.00",
            }
        ]
    }


def test_inbound_lists_routed_and_unrouted_mo(smsgate: Any, tmp_path: Path) -> None:
    smsgate("number", "add", "3000", "--account", "alice")

    async def receive() -> None:
        async with open_gateway(tmp_path) as gateway:
            await gateway.inbound.receive("op", "393331112222", "3000", "hello", "gsm7", 1)
            await gateway.inbound.receive("op", "393331112222", "4000", "lost", "gsm7", 1)

    asyncio.run(receive())
    listed = smsgate("inbound", "list", "--json")["inbound"]
    assert [(m["text"], m["account"], m["to"]) for m in listed] == [
        ("lost", None, "4000"),
        ("hello", "alice", "3000"),
    ]
    unrouted = smsgate("inbound", "list", "--unrouted", "--json")["inbound"]
    assert [m["text"] for m in unrouted] == ["lost"]
    assert [
        m["text"] for m in smsgate("inbound", "list", "--account", "alice", "--json")["inbound"]
    ] == ["hello"]
    assert len(smsgate("inbound", "list", "--limit", "1", "--json")["inbound"]) == 1
    assert "(unrouted): lost" in smsgate("inbound", "list")
    smsgate("inbound", "list", "--limit", "0", ok=False)


def test_a_number_gets_a_webhook_shape_and_a_price_and_bad_ones_change_nothing(
    smsgate: Any,
) -> None:
    added = smsgate(
        "number", "add", "3000", "--account", "alice", "--webhook-shape", "agiletelecom",
        "--price", "0.01", "--webhook-url", "https://alice.example/mo", "--json",
    )  # fmt: skip
    assert (added["webhook_shape"], added["price"]) == ("agiletelecom", "0.01")
    assert "price=0.01" in smsgate("number", "list")
    changed = smsgate("number", "set", "3000", "--price", "0,5", "--json")
    assert (changed["webhook_url"], changed["webhook_shape"], changed["price"]) == (
        "https://alice.example/mo",
        "agiletelecom",
        "0.50",
    )
    changed = smsgate(
        "number", "set", "3000", "--no-webhook", "--webhook-shape", "native", "--json"
    )
    assert (changed["webhook_url"], changed["webhook_shape"], changed["price"]) == (
        None,
        "native",
        "0.50",
    )
    assert "price must be 0 or more" in smsgate("number", "set", "3000", "--price", "-1", ok=False)
    assert "not a decimal amount" in smsgate("number", "set", "3000", "--price", "x", ok=False)
    assert "webhook_url" in smsgate("number", "set", "3000", "--webhook-url", "ftp://x", ok=False)
    assert "--webhook-shape" in smsgate("number", "set", "3000", "--webhook-shape", "x", ok=False)
    assert "not_found" in smsgate("number", "set", "4000", "--price", "1", ok=False)
    assert smsgate("number", "list", "--json")["numbers"] == [changed]


def test_inbound_settings_are_printed_and_changed_one_option_at_a_time(smsgate: Any) -> None:
    defaults = smsgate("inbound", "settings", "alice", "--json")
    assert defaults == DEFAULTS
    changed = smsgate(
        "inbound", "settings", "alice", "--webhook-url", "https://alice.example/mo",
        "--webhook-shape", "smspartner", "--smpp", "--smpp-long", "payload",
        "--opt-out", "basta", "--opt-out", "Ferma", "--stop-reply", "You will get no more SMS",
        "--json",
    )  # fmt: skip
    assert changed == {
        "webhook_url": "https://alice.example/mo",
        "webhook_shape": "smspartner",
        "smpp": True,
        "smpp_long": "payload",
        "opt_out": ["BASTA", "FERMA"],
        "stop_reply": "You will get no more SMS",
        "start_reply": None,
    }
    again = smsgate("inbound", "settings", "alice", "--no-smpp", "--stop-reply", "", "--json")
    assert again == {**changed, "smpp": False, "stop_reply": None}
    assert "stop_reply" in smsgate("inbound", "settings", "alice")
    refused = smsgate("inbound", "settings", "alice", "--opt-out", "two words", ok=False)
    assert "invalid_request" in refused
    refused = smsgate("inbound", "settings", "alice", "--start-reply", "x" * 613, ok=False)
    assert "start_reply" in refused
    assert smsgate("inbound", "settings", "alice", "--json") == again
    assert smsgate("inbound", "settings", "bob", "--json") == defaults
    assert "not_found" in smsgate("inbound", "settings", "carol", ok=False)
