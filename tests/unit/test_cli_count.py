"""`smsgate count`: human and JSON output, and exit code 2 on texts that cannot be sent."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from smsgate.cli.count import count


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(count, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_human_output() -> None:
    code, out, err = run("a" * 200)
    assert code == 0
    assert err == ""
    assert out.splitlines() == [
        "encoding:        gsm7",
        "parts:           2",
        "units:           200 septets",
        "units per part:  153",
        "units left:      106",
    ]


def test_json_output() -> None:
    code, out, _err = run("Привет 😀", "--json")
    assert code == 0
    assert json.loads(out) == {
        "encoding": "ucs2",
        "parts": 1,
        "units": 9,
        "units_per_part": 70,
        "units_left": 61,
        "unit": "UCS-2 code units",
        "characters": 8,
        "text": "Привет 😀",
    }


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["{" * 81], {"encoding": "gsm7", "parts": 2, "units": 162, "units_left": 143}),
        (["a" * 161, "--concat", "udh16"], {"parts": 2, "units_per_part": 152, "units_left": 143}),
        (["a" * 400, "--concat", "payload"], {"parts": 3, "units": 400, "units_left": 59}),
        (["a" * 161, "--concat", "sar"], {"parts": 2, "units_per_part": 153}),
        (["é" * 141, "--encoding", "latin1"], {"encoding": "latin1", "parts": 2, "units": 141}),
        (["hi", "--encoding", "ucs2"], {"encoding": "ucs2", "units": 2, "units_left": 68}),
        (["“ok” — ça…", "--transliterate"], {"encoding": "gsm7", "text": '"ok" - Ça...'}),
        (["ça"], {"encoding": "ucs2"}),
    ],
)
def test_options(args: list[str], expected: dict[str, object]) -> None:
    code, out, _err = run(*args, "--json")
    assert code == 0
    summary = json.loads(out)
    assert {key: summary[key] for key in expected} == expected


def test_transliterated_text_is_shown() -> None:
    code, out, _err = run("‘hi’", "--transliterate")
    assert code == 0
    assert out.splitlines()[-1] == "sent as:         'hi'"


@pytest.mark.parametrize(
    ("args", "error_code", "words"),
    [
        ([""], "empty_text", "empty"),
        (["a" * 1531], "text_too_long", "11 parts"),
        (["a" * 161, "--max-parts", "1"], "text_too_long", "2 parts"),
        (["ж", "--encoding", "gsm7"], "unencodable_text", "'ж'"),
        (["€", "--encoding", "latin1"], "unencodable_text", "latin1"),
    ],
)
def test_errors(args: list[str], error_code: str, words: str) -> None:
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert words in err and error_code in err

    code, out, err = run(*args, "--json")
    assert (code, err) == (2, "")
    error = json.loads(out)["error"]
    assert error["code"] == error_code
    assert words in error["message"]


@pytest.mark.parametrize(
    "args",
    [["x", "--encoding", "binary"], ["x", "--concat", "nope"], ["x", "--max-parts", "0"], []],
)
def test_bad_usage_exits_2(args: list[str]) -> None:
    code, _out, _err = run(*args)
    assert code == 2
