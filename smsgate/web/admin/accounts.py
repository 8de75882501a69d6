"""The console's accounts: `/admin/accounts`, the tree (top-level accounts by name, each
with its first sub-accounts) or a search by part of a name, a page at a time; an account's
page (`/admin/accounts/{id}`: details, balance, recent ledger, sub-accounts) where an admin
tops it up, suspends or resumes it; and `/admin/accounts/new`, creating an account as
`smsgate account create` does. Every change is written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.errors import InvalidRequest, SmsgateError
from smsgate.core.money import format_amount, parse_amount
from smsgate.core.storable import check_storable
from smsgate.web.admin.console import Console
from smsgate.web.portal import Visitor

PAGE = 50
SUBS = 10  # sub-accounts shown under each top-level account of the tree
LEDGER = 20
NOTE_MAX = 200
ACCOUNTS = "/admin/accounts"


@dataclass(frozen=True, slots=True)
class TreeRow:
    account: Account
    depth: int  # 0: top-level (or a search result), 1: one of its sub-accounts
    more: bool = False  # the parent has more sub-accounts than the tree shows


def amount_text(amount: int, currency: str) -> str:
    return f"{'+' if amount > 0 else ''}{format_amount(amount)} {currency}"


@dataclass(eq=False, slots=True)
class AccountPages:
    console: Console

    def routes(self) -> list[BaseRoute]:
        page = self.console.portal.page
        one = ACCOUNTS + "/{account_id:int}"
        return [
            Route(ACCOUNTS, page(self.tree), methods=["GET"]),
            Route(ACCOUNTS, page(self.create), methods=["POST"]),
            Route(ACCOUNTS + "/new", page(self.new), methods=["GET"]),
            Route(one, page(self.account), methods=["GET"]),
            Route(one + "/topup", page(self.topup), methods=["POST"]),
            Route(one + "/status", page(self.status), methods=["POST"]),
        ]

    async def tree(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        accounts = self.console.portal.ctx.accounts
        text = request.query_params.get("q", "").strip()
        after = request.query_params.get("after", "")
        values: dict[str, Any] = {"q": text, "rows": [], "parents": {}, "first": bool(after)}
        values["next_after"] = None
        try:
            found = await accounts.find(text, top_level=not text, after=after, limit=PAGE + 1)
        except SmsgateError as exc:
            return self._render("admin/accounts.html", visitor, 400, error=exc.message, **values)
        more = len(found) > PAGE
        found = found[:PAGE]
        subs = {} if text else await accounts.sub_accounts(found, SUBS + 1)
        parent_ids = {a.parent_id for a in found if a.parent_id is not None}
        parents = {i: (await accounts.get_by_id(i)).name for i in sorted(parent_ids)}
        rows: list[TreeRow] = []
        for account in found:
            rows.append(TreeRow(account, 0))
            children = subs.get(account.id, [])
            rows += [TreeRow(child, 1) for child in children[:SUBS]]
            if len(children) > SUBS:
                rows[-1] = TreeRow(rows[-1].account, 1, more=True)
        values.update(rows=rows, parents=parents, next_after=found[-1].name if more else None)
        return self._render("admin/accounts.html", visitor, **values)

    async def account(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        account = await self._account(request)
        after = request.query_params.get("after", "")
        return await self._account_page(visitor, account, after=after)

    async def new(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        return self._render("admin/account_new.html", visitor, draft={})

    async def create(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        form = await self.console.portal.form(request, visitor.session)
        accounts = self.console.portal.ctx.accounts
        name = form.get("name", "").strip()
        parent_name = form.get("parent", "").strip()
        try:
            credit = parse_amount(form.get("credit", "").strip() or "0", field="credit")
            parent = await accounts.get(parent_name) if parent_name else None
            created = await accounts.create(
                name, parent=parent, credit=credit, password=form.get("password") or None
            )
        except SmsgateError as exc:
            draft = {"name": name, "parent": parent_name, "credit": form.get("credit", "")}
            return self._render(
                "admin/account_new.html", visitor, 400, error=exc.message, draft=draft
            )
        account = created.account
        detail = f"credit {format_amount(credit)} {account.currency}"
        await self.console.record(
            visitor, "account.create", name, detail + (f", parent {parent_name}" if parent else "")
        )
        return await self._account_page(visitor, account, api_key=created.api_key)

    async def topup(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        account = await self._account(request)
        form = await self.console.portal.form(request, visitor.session)
        note = form.get("note", "").strip()
        try:
            amount = parse_amount(form.get("amount", ""))
            if len(note) > NOTE_MAX:
                raise InvalidRequest(f"a note is at most {NOTE_MAX} characters", field="note")
            check_storable(note, "note")
            await self.console.portal.ctx.accounts.topup(account, amount, note=note or "topup")
        except SmsgateError as exc:
            return await self._account_page(visitor, account, 400, error=exc.message)
        detail = amount_text(amount, account.currency) + (f": {note}" if note else "")
        await self.console.record(visitor, "account.topup", account.name, detail)
        return RedirectResponse(f"{ACCOUNTS}/{account.id}", 303)

    async def status(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        account = await self._account(request)
        form = await self.console.portal.form(request, visitor.session)
        try:
            status = AccountStatus(form.get("status", ""))
        except ValueError:
            message = "the status is 'active' or 'suspended'"
            return await self._account_page(visitor, account, 400, error=message)
        await self.console.portal.ctx.accounts.set_status(account, status)
        action = "account.suspend" if status is AccountStatus.SUSPENDED else "account.resume"
        await self.console.record(visitor, action, account.name)
        return RedirectResponse(f"{ACCOUNTS}/{account.id}", 303)

    async def _account(self, request: Request) -> Account:
        account_id: int = request.path_params["account_id"]
        return await self.console.portal.ctx.accounts.get_by_id(account_id)

    async def _account_page(
        self,
        visitor: Visitor,
        account: Account,
        status: int = 200,
        *,
        after: str = "",
        **values: Any,
    ) -> Response:
        accounts = self.console.portal.ctx.accounts
        balance, currency, payer = await accounts.balance(account)
        parent = await accounts.get_by_id(account.parent_id) if account.parent_id else None
        subs = await accounts.find(parent=account, after=after, limit=PAGE + 1)
        return self._render(
            "admin/account.html",
            visitor,
            status,
            account=account,
            parent=parent,
            balance=balance,
            currency=currency,
            payer=payer,
            entries=await accounts.ledger(account, limit=LEDGER),
            subs=subs[:PAGE],
            next_after=subs[PAGE - 1].name if len(subs) > PAGE else None,
            first=bool(after),
            **values,
        )

    def _render(
        self, template: str, visitor: Visitor, status: int = 200, **values: Any
    ) -> Response:
        return self.console.portal.render(template, visitor, status, section="accounts", **values)
