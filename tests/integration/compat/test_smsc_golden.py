"""SMSC answers compared with golden files (tests/golden/smsc): one request, its answer.

The calls run in order on one fresh gateway, so ids and balances are the same on
every run. SMSC_UPDATE_GOLDEN=1 rewrites the files; review the diff before keeping it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlencode

from tests.integration.compat.smsc_harness import smsc_gateway

GOLDEN = Path(__file__).parents[2] / "golden" / "smsc"
FORMATS = ("0", "1", "2", "3")

# (file name, endpoint, who calls, parameters); "alice" or a sub-client login.
CALLS: list[tuple[str, str, str, dict[str, str]]] = [
    *(
        (
            f"users_add_fmt{f}",
            "users",
            "alice",
            {"add": "1", "user": f"bob{f}", "password": f"bob{f}-secret", "fmt": f},
        )
        for f in FORMATS
    ),
    *(
        (
            f"users_chg_fmt{f}",
            "users",
            "alice",
            {"chg": "1", "user": f"bob{f}", "password": f"bob{f}-changed", "fmt": f},
        )
        for f in FORMATS
    ),
    *(
        (
            f"users_pay_fmt{f}",
            "users",
            "alice",
            {"pay": "1", "user": f"bob{f}", "sum": f"0.{int(f) + 1}5", "fmt": f},
        )
        for f in FORMATS
    ),
    *(
        (
            f"send_bob0_fmt{f}",
            "send",
            "bob0",
            {
                "phones": f"7999123456{f}",
                "mes": "x" * (150 + int(f) * 10),
                "sender": "Shop",
                "id": f"10{f}",
                "cost": "3",
                "fmt": f,
            },
        )
        for f in FORMATS
    ),
    *((f"users_get_stat_fmt{f}", "users", "alice", {"get_stat": "1", "fmt": f}) for f in FORMATS),
    *(
        (f"users_get_stat_all_fmt{f}", "users", "alice", {"get_stat_all": "1", "fmt": f})
        for f in FORMATS
    ),
    *(
        (
            f"users_error_fmt{f}",
            "users",
            "alice",
            {"pay": "1", "user": "nobody", "sum": "1", "fmt": f},
        )
        for f in FORMATS
    ),
    *((f"balance_fmt{f}", "balance", "alice", {"cur": "1", "fmt": f}) for f in FORMATS),
    *(
        (
            f"send_quote_fmt{f}",
            "send",
            "alice",
            {
                "phones": "79991234567,79991234568",
                "mes": "hello",
                "sender": "ACME",
                "cost": "1",
                "fmt": f,
            },
        )
        for f in FORMATS
    ),
    *(
        (
            f"send_error_fmt{f}",
            "send",
            "alice",
            {"phones": "12", "mes": "hello", "sender": "ACME", "id": "5", "fmt": f},
        )
        for f in FORMATS
    ),
]


def render(endpoint: str, who: str, params: dict[str, str], body: str) -> str:
    return f"GET /sys/{endpoint}.php?login={who}&psw=***&{urlencode(params)}\n\n{body}\n"


async def test_answers_match_the_golden_files(tmp_path: Path) -> None:
    update = os.environ.get("SMSC_UPDATE_GOLDEN") == "1"
    mismatched = []
    async with smsc_gateway(tmp_path) as smsc:
        for name, endpoint, who, params in CALLS:
            if who != "alice":
                smsc.auth = {"login": who, "psw": f"{who}-changed"}
            else:
                smsc.auth = {"login": "alice", "psw": "alice-secret-1"}
            got = render(endpoint, who, params, await smsc.text(endpoint, **params))
            path = GOLDEN / f"{name}.txt"
            if update:
                GOLDEN.mkdir(parents=True, exist_ok=True)
                path.write_text(got)
            elif not path.exists() or path.read_text() != got:
                mismatched.append((name, got))
    assert mismatched == []
