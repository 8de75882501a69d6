"""Native account endpoints: balance, ledger, sub-accounts and credit transfers.

Parse, call `AccountService`, render; amounts are parsed with `core.money` only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.body import decode_body, json_response
from smsgate.api.context import Endpoints
from smsgate.api.native.messages import parse_limit
from smsgate.api.native.openapi import Operation, Param, Reply, id_param, limit_param
from smsgate.api.native.schemas import (
    AccountBalance,
    BalanceResponse,
    CreditRequest,
    CreditResponse,
    LedgerEntryView,
    LedgerPage,
    NewSubaccount,
    SubaccountList,
    SubaccountRequest,
    SubaccountView,
    credit_decoder,
    subaccount_decoder,
)
from smsgate.core.accounts import ID_MAX, Account
from smsgate.core.errors import InsufficientCredit, InvalidRequest
from smsgate.core.money import format_amount, parse_amount

MAX_LEDGER_PAGE = 1000


class AccountEndpoints(Endpoints):
    __slots__ = ()

    async def get_balance(self, request: Request) -> Response:
        account = await self.who.account(request)
        balance, currency, _ = await self.ctx.accounts.balance(account)
        return json_response(BalanceResponse(format_amount(balance), currency))

    async def get_ledger(self, request: Request) -> Response:
        account = await self.who.account(request)
        limit = parse_limit(request.query_params.get("limit"), 100, MAX_LEDGER_PAGE)
        cursor = request.query_params.get("cursor")
        before_id = _ledger_cursor(cursor) if cursor else None
        # One entry more than asked tells whether another page exists.
        entries = await self.ctx.accounts.ledger(account, limit=limit + 1, before_id=before_id)
        more = len(entries) > limit
        entries = entries[:limit]
        views = [
            LedgerEntryView(
                e.id,
                e.kind,
                format_amount(e.amount),
                format_amount(e.balance_after),
                e.reference,
                datetime.fromtimestamp(e.created_at, UTC),
            )
            for e in entries
        ]
        next_cursor = str(entries[-1].id) if more and entries else None
        return json_response(LedgerPage(views, next_cursor))

    async def list_subaccounts(self, request: Request) -> Response:
        account = await self.who.account(request)
        children = await self.ctx.accounts.list_accounts(account)
        return json_response(SubaccountList([_subaccount(c) for c in children]))

    async def create_subaccount(self, request: Request) -> Response:
        account = await self.who.account(request)
        body = await decode_body(request, subaccount_decoder, self.ctx.max_body_bytes)
        credit = parse_amount(body.credit, field="credit") if body.credit is not None else 0
        if credit > 0:
            # create() stores the account before it moves the credit; refusing an
            # unaffordable request up front keeps a failed request from leaving an
            # unfunded sub-account behind (a concurrent spend can still race it).
            balance, _, _ = await self.ctx.accounts.balance(account)
            if credit > balance:
                raise InsufficientCredit("insufficient credit for this request", field="credit")
        created = await self.ctx.accounts.create(
            body.name,
            parent=account,
            credit=credit,
            own_balance=not body.shared_balance,
            password=body.password,
        )
        child = created.account
        return json_response(
            NewSubaccount(
                id=child.id,
                name=child.name,
                api_key=created.api_key,
                balance=format_amount(child.balance) if child.own_balance else None,
                currency=child.currency,
                shared_balance=not child.own_balance,
            ),
            201,
        )

    async def credit_subaccount(self, request: Request) -> Response:
        account = await self.who.account(request)
        body = await decode_body(request, credit_decoder, self.ctx.max_body_bytes)
        amount = parse_amount(body.amount, field="amount")
        child = await self.ctx.accounts.subaccount(account, request.path_params["id"])
        # transfer() answers the payer's entry first, then the sub-account's.
        payer_entry, child_entry = await self.ctx.accounts.transfer(account, child, amount)
        return json_response(
            CreditResponse(
                currency=child.currency,
                account=AccountBalance(
                    payer_entry.account_id, format_amount(payer_entry.balance_after)
                ),
                subaccount=AccountBalance(child.id, format_amount(child_entry.balance_after)),
            )
        )

    def operations(self) -> list[Operation]:
        tag = "accounts"
        page = limit_param(MAX_LEDGER_PAGE)
        return [
            Operation(
                "GET",
                "/api/v1/balance",
                self.get_balance,
                "The credit available to the account",
                {
                    200: Reply(
                        "the balance (the parent's, for a shared-balance account)", BalanceResponse
                    )
                },
                tag,
            ),
            Operation(
                "GET",
                "/api/v1/ledger",
                self.get_ledger,
                "The account's money movements, newest first",
                {200: Reply("a page of ledger entries", LedgerPage)},
                tag,
                query=(
                    page,
                    Param(
                        "cursor",
                        "`next_cursor` of the previous page",
                        {"type": "string", "pattern": "^[0-9]{1,18}$"},
                    ),
                ),
                errors=("invalid_request",),
            ),
            Operation(
                "GET",
                "/api/v1/subaccounts",
                self.list_subaccounts,
                "The account's direct sub-accounts",
                {200: Reply("the sub-accounts", SubaccountList)},
                tag,
            ),
            Operation(
                "POST",
                "/api/v1/subaccounts",
                self.create_subaccount,
                "Create a sub-account, optionally funded from this account",
                {201: Reply("the new sub-account and its API key (shown once)", NewSubaccount)},
                tag,
                body=SubaccountRequest,
                errors=("insufficient_credit", "conflict"),
            ),
            Operation(
                "POST",
                "/api/v1/subaccounts/{id:int}/credit",
                self.credit_subaccount,
                "Move credit to a sub-account (a negative amount moves it back)",
                {200: Reply("both balances after the move", CreditResponse)},
                tag,
                body=CreditRequest,
                path_params=(id_param("the sub-account's id", ID_MAX),),
                errors=("insufficient_credit", "not_found"),
            ),
        ]


def _ledger_cursor(cursor: str) -> int:
    """A ledger cursor is an entry id: ASCII digits that fit a 64-bit column."""
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise InvalidRequest("invalid cursor", field="cursor")
    return int(cursor)


def _subaccount(account: Account) -> SubaccountView:
    return SubaccountView(
        id=account.id,
        name=account.name,
        balance=format_amount(account.balance) if account.own_balance else None,
        currency=account.currency,
        shared_balance=not account.own_balance,
        status=account.status.value,
    )
