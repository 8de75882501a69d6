"""The Authorization header: Bearer keys, HTTP Basic, and what is refused."""

from __future__ import annotations

from base64 import b64encode
from dataclasses import replace

import pytest
from starlette.requests import Request

from smsgate.api.auth import RequestAuthenticator
from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.errors import Forbidden, Unauthenticated
from smsgate.services.credentials import Authenticator

ALICE = Account(
    id=1,
    name="alice",
    parent_id=None,
    own_balance=True,
    balance=0,
    currency="EUR",
    status=AccountStatus.ACTIVE,
    default_country="IT",
    max_parts=10,
    created_at=0.0,
)


class FakeAuthenticator(Authenticator):
    def __init__(self, account: Account = ALICE) -> None:
        self.account = account
        self.calls: list[tuple[str, ...]] = []

    async def by_api_key(self, key: str, address: str | None = None) -> Account:
        self.calls.append(("key", key))
        if key != "sg_good":
            raise Unauthenticated("invalid API key")
        return self.account

    async def by_password(
        self, username: str, password: str, address: str | None = None
    ) -> Account:
        self.calls.append(("password", username, password))
        if (username, password) != ("alice", "p:ss word"):
            raise Unauthenticated("invalid username or password")
        return self.account


def _request(authorization: str | None) -> Request:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def _basic(user_pass: str) -> str:
    return "Basic " + b64encode(user_pass.encode()).decode()


async def test_bearer_key() -> None:
    fake = FakeAuthenticator()
    assert await RequestAuthenticator(fake).account(_request("Bearer sg_good")) == ALICE
    assert fake.calls == [("key", "sg_good")]


async def test_scheme_is_case_insensitive() -> None:
    assert await RequestAuthenticator(FakeAuthenticator()).account(_request("bearer sg_good"))


async def test_basic_password_may_contain_a_colon() -> None:
    fake = FakeAuthenticator()
    assert await RequestAuthenticator(fake).account(_request(_basic("alice:p:ss word"))) == ALICE
    assert fake.calls == [("password", "alice", "p:ss word")]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer sg_bad",
        "Token sg_good",
        "Basic !!!notbase64",
        _basic("alice"),
        _basic(":nopassword-user"),
        _basic("alice:wrong"),
        "Basic " + b64encode(b"\xff\xfe:x").decode(),
    ],
)
async def test_refused(header: str | None) -> None:
    with pytest.raises(Unauthenticated):
        await RequestAuthenticator(FakeAuthenticator()).account(_request(header))


async def test_suspended_account_is_forbidden() -> None:
    suspended = replace(ALICE, status=AccountStatus.SUSPENDED)
    with pytest.raises(Forbidden):
        await RequestAuthenticator(FakeAuthenticator(suspended)).account(_request("Bearer sg_good"))
