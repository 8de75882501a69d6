"""`smsgate simulator mo` against a real SQLite file and a real PostgreSQL database,
through click's runner: the MO is stored as the simulated operator's, routed by number
and keyword or unrouted, with its effects (STOP); bad input is exit code 2 and stores
nothing."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smsgate.cli import main
from tests.e2e.gateway import postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def smsgate(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.setenv("SMSGATE_DATA_DIR", str(tmp_path))
    runner = CliRunner()

    def call(*args: str, code: int = 0) -> Any:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        if "--json" in args and code == 0:
            return json.loads(result.output)
        return result.output

    with _database(request) as url:
        if url:
            monkeypatch.setenv("SMSGATE_DATABASE_URL", url)
        call("account", "create", "alice", "--country", "IT")
        call("account", "create", "bob")
        call("number", "add", "3000", "--default-account", "alice")
        call("keyword", "add", "3000", "INFO", "bob")
        yield call


def _database(request: pytest.FixtureRequest) -> contextlib.AbstractContextManager[str]:
    """The SQLite file in the data directory (""), or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        return contextlib.nullcontext("")
    return postgres_database(str(request.getfixturevalue("postgres_url")))


def mo(smsgate: Any, source: str, to: str, text: str) -> dict[str, Any]:
    result: dict[str, Any] = smsgate(
        "simulator", "mo", "--from", source, "--to", to, "--text", text, "--json"
    )
    return result


def test_an_mo_is_routed_by_keyword_by_default_or_not_at_all(smsgate: Any) -> None:
    by_keyword = mo(smsgate, "+393331234567", "3000", "Info please")
    assert {k: by_keyword[k] for k in ("from", "to", "account", "keyword")} == {
        "from": "+393331234567",
        "to": "3000",
        "account": "bob",
        "keyword": "INFO",
    }
    assert (by_keyword["encoding"], by_keyword["parts"]) == ("gsm7", 1)
    by_default = mo(smsgate, "00393331234567", "+3000", "Ciao ✓")
    assert (by_default["account"], by_default["keyword"]) == ("alice", None)
    assert (by_default["from"], by_default["to"], by_default["encoding"]) == (
        "+393331234567",
        "3000",
        "ucs2",
    )
    unrouted = mo(smsgate, "+393331234567", "4000", "hello " * 40)
    assert (unrouted["account"], unrouted["parts"]) == (None, 2)

    listed = smsgate("inbound", "list", "--json")["inbound"]
    assert [(m["id"], m["account"], m["connector"]) for m in listed] == [
        (unrouted["id"], None, "simulator"),
        (by_default["id"], "alice", "simulator"),
        (by_keyword["id"], "bob", "simulator"),
    ]
    text = smsgate("simulator", "mo", "--from", "+393331234567", "--to", "3000", "--text", "INFO")
    assert text.startswith("MO ") and text.endswith(": routed to bob by keyword INFO\n")
    lost = smsgate("simulator", "mo", "--from", "+393331234567", "--to", "4000", "--text", "x")
    assert lost.endswith("to 4000: unrouted\n")


def test_an_mo_has_its_effects(smsgate: Any) -> None:
    mo(smsgate, "+393339876543", "3000", "STOP")
    listed = smsgate("stop", "list", "alice", "--json")["entries"]
    assert [(e["number"], e["source"]) for e in listed] == [("+393339876543", "inbound")]
    mo(smsgate, "+393339876543", "3000", "START")
    assert smsgate("stop", "list", "alice", "--json")["entries"] == []


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--from", "3000", "not a phone number in E.164"),
        ("--from", "not a number", "not a phone number in E.164"),
        ("--to", "12", "not E.164 or a short code"),
        ("--to", "+0", "not E.164 or a short code"),
        ("--text", "", "empty"),
        ("--text", "x" * 153 * 255 + "x", "--text"),
        ("--text", "nul \x00", "U+0000"),
    ],
)
def test_bad_input_is_exit_code_2_and_stores_nothing(
    smsgate: Any, option: str, value: str, said: str
) -> None:
    args = {"--from": "+393331234567", "--to": "3000", "--text": "INFO", option: value}
    shown = smsgate("simulator", "mo", *(x for pair in args.items() for x in pair), code=2)
    assert option in shown and said in shown
    assert smsgate("inbound", "list", "--json")["inbound"] == []


def test_the_fake_smsc_keeps_its_options() -> None:
    shown = CliRunner().invoke(main, ["simulator", "mo", "--help"])
    assert shown.exit_code == 0 and "--from" in shown.output
    refused = CliRunner().invoke(main, ["simulator", "--port", "nope"])
    assert refused.exit_code == 2
