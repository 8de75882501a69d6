"""Who is calling: the Authorization header (Bearer API key or HTTP Basic) to an Account.

Credential checks and their cache live in `services.credentials.Authenticator`; this
module only reads the header and refuses suspended accounts, and addresses outside the
account's allow-list (`services.account_policy`), before any endpoint runs.
"""

from __future__ import annotations

import binascii
from base64 import b64decode

from starlette.requests import Request

from smsgate.core.accounts import Account
from smsgate.core.errors import Forbidden, Unauthenticated
from smsgate.services.account_policy import AccountPolicies
from smsgate.services.credentials import Authenticator


class RequestAuthenticator:
    def __init__(self, auth: Authenticator, policies: AccountPolicies | None = None) -> None:
        self._auth = auth
        self._policies = policies

    async def account(self, request: Request) -> Account:
        """The active account behind the request's credentials, or raise."""
        header = request.headers.get("authorization")
        if not header:
            raise Unauthenticated("credentials required: Bearer API key or HTTP Basic")
        scheme, _, value = header.partition(" ")
        value = value.strip()
        scheme = scheme.lower()
        peer = request.client.host if request.client else None
        if scheme == "bearer" and value:
            account = await self._auth.by_api_key(value, peer)
        elif scheme == "basic" and value:
            username, password = _basic_credentials(value)
            # One answer for an unknown name and a wrong password, after the same work.
            account = await self._auth.by_password(username, password, peer)
        else:
            raise Unauthenticated("unsupported Authorization scheme")
        # The whole API is closed to a suspended account, reads included; the submit
        # use case also checks the ancestors of the account.
        if not account.is_active:
            raise Forbidden("account is suspended")
        if self._policies is not None:
            peer = request.client.host if request.client else None
            await self._policies.check_address(account.id, peer)
        return account


def _basic_credentials(value: str) -> tuple[str, str]:
    try:
        decoded = b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthenticated("malformed Basic credentials") from exc
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise Unauthenticated("malformed Basic credentials")
    return username, password
