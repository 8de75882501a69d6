"""Native settings endpoints: an account reads its access policy, a parent reads and
changes its sub-accounts'.

Parse, call `AccountPolicies` (which validates), render; an account cannot change its
own settings, so a sub-account cannot lift the limits its parent gave it.
"""

from __future__ import annotations

from dataclasses import replace

from msgspec import UNSET
from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.body import decode_body, json_response
from smsgate.api.context import Endpoints
from smsgate.api.native.openapi import Operation, Reply
from smsgate.api.native.schemas import SettingsRequest, SettingsView, settings_decoder
from smsgate.services.account_policy import AccountPolicy


class SettingsEndpoints(Endpoints):
    __slots__ = ()

    async def get_settings(self, request: Request) -> Response:
        account = await self.who.account(request)
        return json_response(_view(await self.ctx.policies.read(account.id)))

    async def get_subaccount_settings(self, request: Request) -> Response:
        account = await self.who.account(request)
        child = await self.ctx.accounts.subaccount(account, request.path_params["id"])
        return json_response(_view(await self.ctx.policies.read(child.id)))

    async def update_subaccount_settings(self, request: Request) -> Response:
        account = await self.who.account(request)
        body = await decode_body(request, settings_decoder, self.ctx.max_body_bytes)
        child = await self.ctx.accounts.subaccount(account, request.path_params["id"])
        current = await self.ctx.policies.read(child.id)
        stored = await self.ctx.policies.set(child.id, _changed(current, body))
        return json_response(_view(stored))

    def operations(self) -> list[Operation]:
        tag = "accounts"
        path = "/api/v1/subaccounts/{id:int}/settings"
        return [
            Operation(
                "GET",
                "/api/v1/settings",
                self.get_settings,
                "The account's allowed addresses, send rate and SMPP binds",
                {200: Reply("the account's settings", SettingsView)},
                tag,
            ),
            Operation(
                "GET",
                path,
                self.get_subaccount_settings,
                "A sub-account's allowed addresses, send rate and SMPP binds",
                {200: Reply("the sub-account's settings", SettingsView)},
                tag,
                errors=("not_found",),
            ),
            Operation(
                "PATCH",
                path,
                self.update_subaccount_settings,
                "Change a sub-account's allowed addresses, send rate or SMPP binds",
                {200: Reply("the sub-account's settings after the change", SettingsView)},
                tag,
                body=SettingsRequest,
                errors=("not_found",),
                description=(
                    "Absent fields keep their value; `allowed_ips: null` allows any address, "
                    "`send_rate: null` removes the account's own limit. A bad address or "
                    "network, an empty list, a rate that is not more than 0, or `max_binds` "
                    "outside 0-1000 is 400 `invalid_request` naming the field, and changes "
                    "nothing. Other processes apply a change within a few seconds."
                ),
            ),
        ]


def _changed(current: AccountPolicy, body: SettingsRequest) -> AccountPolicy:
    policy = current
    if body.allowed_ips is not UNSET:
        ips = body.allowed_ips
        policy = replace(policy, allowed_ips=None if ips is None else tuple(ips))
    if body.send_rate is not UNSET:
        policy = replace(policy, send_rate=body.send_rate)
    if body.max_binds is not UNSET:
        policy = replace(policy, max_binds=body.max_binds)
    return policy


def _view(policy: AccountPolicy) -> SettingsView:
    ips = None if policy.allowed_ips is None else list(policy.allowed_ips)
    return SettingsView(allowed_ips=ips, send_rate=policy.send_rate, max_binds=policy.max_binds)
