"""Every documented SMSC error code, each produced by a request that triggers it, and
nothing stored, charged or moved by it (before/after snapshots)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from smsgate.services.account_policy import AccountPolicy
from tests.integration.compat.smsc_harness import Smsc, smsc_gateway
from tests.integration.gateway import http_client

PHONE = "79991234567"
SEND = {"phones": PHONE, "mes": "hi", "sender": "ACME"}


@pytest.fixture
async def smsc(tmp_path: Path) -> AsyncIterator[Smsc]:
    async with smsc_gateway(tmp_path) as gateway:
        await gateway.gateway.accounts.create(
            "bob", parent=gateway.alice, credit=1_000_000, password="bob-secret-1"
        )
        await gateway.gateway.accounts.create("shared", parent=gateway.alice, own_balance=False)
        yield gateway


async def unchanged(smsc: Smsc, endpoint: str, expected: str, **params: str) -> None:
    before = await smsc.snapshot()
    assert await smsc.text(endpoint, **params) == expected
    assert await smsc.snapshot() == before


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"mes": "hi", "sender": "ACME"}, "ERROR = 1 (parameters error)"),
        ({**SEND, "mes": ""}, "ERROR = 1 (parameters error)"),
        ({**SEND, "cost": "7"}, "ERROR = 1 (parameters error)"),
        ({**SEND, "id": "0"}, "ERROR = 1 (parameters error)"),
        ({**SEND, "mes": "x" * 400, "maxsms": "2"}, "ERROR = 1 (parameters error)"),
        ({**SEND, "valid": "soon"}, "ERROR = 1 (parameters error)"),
        ({**SEND, "hlr": "1"}, "ERROR = 1 (parameters error)"),
        ({**SEND, "charset": "ebcdic"}, "ERROR = 1 (parameters error)"),
        ({**SEND, "phones": "G12345"}, "ERROR = 7 (invalid phone number)"),
        ({**SEND, "time": "9-18"}, "ERROR = 5 (wrong date format)"),
        ({**SEND, "time": "3102261200"}, "ERROR = 5 (wrong date format)"),
        ({**SEND, "sender": "far too long a sender"}, "ERROR = 6 (message is denied)"),
        ({**SEND, "phones": "12"}, "ERROR = 7 (invalid phone number)"),
    ],
)
async def test_send_refuses_bad_requests(smsc: Smsc, params: dict[str, str], expected: str) -> None:
    await unchanged(smsc, "send", expected, **params)


async def test_send_error_formats_echo_the_id(smsc: Smsc) -> None:
    bad = {**SEND, "phones": "12", "id": "17"}
    await unchanged(smsc, "send", "17,-7", **bad, fmt="1")
    await unchanged(
        smsc,
        "send",
        "<result><error>invalid phone number</error><error_code>7</error_code></result>",
        **bad,
        fmt="2",
    )
    before = await smsc.snapshot()
    body = json.loads(await smsc.text("send", **bad, fmt="3"))
    assert body == {"error": "invalid phone number", "error_code": 7, "id": 17}
    assert await smsc.snapshot() == before
    await unchanged(smsc, "send", "0,-1", **{**SEND, "phones": ""}, fmt="1")


async def test_2_bad_credentials(smsc: Smsc) -> None:
    smsc.auth = {"login": "alice", "psw": "wrong-password"}
    await unchanged(smsc, "send", "ERROR = 2 (authorise error)", **SEND)
    smsc.auth = {"apikey": "sg_not_a_key"}
    await unchanged(smsc, "balance", '{"error":"authorise error","error_code":2}', fmt="3")
    smsc.auth = {}
    await unchanged(smsc, "balance", "0,-2", fmt="1")


async def test_2_address_not_allowed(smsc: Smsc) -> None:
    await smsc.gateway.policies.set(smsc.alice.id, AccountPolicy(allowed_ips=("10.1.2.0/24",)))
    context = replace(smsc.gateway.api_context(), extra_routes=smsc.api.routes())
    async with http_client(context, client=("192.0.2.1", 1234)) as http:
        smsc.http = http
        await unchanged(smsc, "send", "ERROR = 2 (authorise error)", **SEND)


async def test_3_no_money_and_no_records(smsc: Smsc) -> None:
    await unchanged(
        smsc,
        "send",
        "ERROR = 3 (no money)",
        **{**SEND, "phones": ",".join(f"7999123{n:04d}" for n in range(201))},
    )
    await unchanged(smsc, "get", "ERROR = 3 (no records)", get_messages="1")
    await unchanged(smsc, "senders", "ERROR = 3 (no records)", get="1")


async def test_4_ip_blocked_after_failed_logins(smsc: Smsc) -> None:
    good = smsc.auth
    policy = smsc.lockout.policy
    for n in range(policy.per_address):
        smsc.auth = {"login": f"nobody{n}", "psw": "x"}
        assert await smsc.text("balance") == "ERROR = 2 (authorise error)"
    smsc.auth = good
    await unchanged(smsc, "send", "ERROR = 4 (IP is blocked)", **SEND)
    smsc.clock.at += policy.block
    assert await smsc.text("balance") == "9.00"


async def test_4_name_blocked_after_failed_logins(smsc: Smsc) -> None:
    good = smsc.auth
    smsc.auth = {"login": "alice", "psw": "wrong-password"}
    for _ in range(smsc.lockout.policy.per_name):
        assert await smsc.text("balance") == "ERROR = 2 (authorise error)"
    smsc.auth = good
    await unchanged(smsc, "send", "ERROR = 4 (IP is blocked)", **SEND)
    smsc.auth = {"apikey": smsc.key}
    assert await smsc.text("balance") == "9.00"


async def test_failed_logins_outside_the_window_do_not_block(smsc: Smsc) -> None:
    good = smsc.auth
    policy = smsc.lockout.policy
    for n in range(policy.per_address - 1):
        smsc.auth = {"login": f"nobody{n}", "psw": "x"}
        await smsc.text("balance")
    smsc.clock.at += policy.window
    await smsc.text("balance")
    smsc.auth = good
    assert await smsc.text("balance") == "9.00"


async def test_6_subclient_not_found(smsc: Smsc) -> None:
    await unchanged(
        smsc,
        "users",
        "ERROR = 6 (subclient not found)",
        chg="1",
        user="nobody",
        password="another-pw-1",
    )
    await unchanged(
        smsc, "users", "ERROR = 6 (subclient not found)", pay="1", user="nobody", sum="1"
    )
    # alice is not her own sub-client, and bob cannot act on his parent.
    await unchanged(
        smsc, "users", "ERROR = 6 (subclient not found)", pay="1", user="alice", sum="1"
    )
    await unchanged(smsc, "users", "ERROR = 6 (subclient not found)", get_stat="1", user="nobody")


async def test_pay_back_and_other_changes(smsc: Smsc) -> None:
    assert await smsc.text("users", pay="1", user="bob", sum="-0.40") == "OK"
    assert await smsc.balance("bob") == 600_000
    assert await smsc.balance() == 9_400_000
    await unchanged(
        smsc, "users", "ERROR = 1 (parameters error)", chg="1", user="bob", new_login="robert"
    )
    await unchanged(smsc, "users", "ERROR = 1 (parameters error)", pay="1", user="bob", sum="0")
    await unchanged(smsc, "users", "ERROR = 1 (parameters error)", add="1", user="no way!")


async def test_7_shared_balance(smsc: Smsc) -> None:
    await unchanged(
        smsc,
        "users",
        "ERROR = 7 (sublogin shares the main balance)",
        pay="1",
        user="shared",
        sum="1.00",
    )


async def test_9_too_many_subclient_changes(smsc: Smsc) -> None:
    for n in range(smsc.guard.changes):
        assert await smsc.text("users", pay="1", user="bob", sum=f"0.0{n + 1}") == "OK"
    await unchanged(smsc, "users", "ERROR = 9 (too many requests)", pay="1", user="bob", sum="1")
    smsc.clock.at += smsc.guard.window
    assert await smsc.text("users", pay="1", user="bob", sum="0.01") == "OK"


async def test_9_too_many_concurrent_requests(smsc: Smsc) -> None:
    for _ in range(smsc.guard.concurrent - 1):
        smsc.guard.enter("alice")
    await unchanged(smsc, "send", "ERROR = 9 (too many requests)", **SEND)
    smsc.guard.leave("alice")
    assert await smsc.text("balance") == "9.00"


async def test_10_insufficient_funds(smsc: Smsc) -> None:
    await unchanged(
        smsc, "users", "ERROR = 10 (insufficient funds)", pay="1", user="bob", sum="100.00"
    )
