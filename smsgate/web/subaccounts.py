"""The visitor's sub-accounts (`/portal/accounts`): the list and a new one (name and
password, through `AccountService.create` like the API; its first API key shown once),
and each one's page (`/portal/accounts/{id}`): credit moved to it and back, suspend and
reactivate. Only the visitor's direct sub-accounts: any other id is 404."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.errors import Conflict, InsufficientCredit, InvalidRequest
from smsgate.core.money import format_amount, parse_amount
from smsgate.web.portal import Portal, Visitor

LIST = "/portal/accounts"
# What the status form's button asks for.
STATUSES = {"suspend": AccountStatus.SUSPENDED, "reactivate": AccountStatus.ACTIVE}
DIRECTIONS = ("fund", "withdraw")


@dataclass(eq=False, slots=True)
class SubaccountPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        one = LIST + "/{account_id:int}"
        return [
            Route(LIST, page(self.accounts), methods=["GET"]),
            Route(LIST, page(self.create), methods=["POST"]),
            Route(one, page(self.account), methods=["GET"]),
            Route(one + "/credit", page(self.credit), methods=["POST"]),
            Route(one + "/status", page(self.status), methods=["POST"]),
        ]

    async def accounts(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        return await self._list(visitor)

    async def create(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        form = await self.portal.form(request, visitor.session)
        name = form.get("name", "").strip()
        try:
            created = await self.portal.ctx.accounts.create(
                name,
                parent=visitor.user,
                password=form.get("password", ""),
                own_balance=form.get("balance") != "shared",
            )
        except Conflict as exc:
            return await self._list(visitor, name, exc.message, 409)
        except InvalidRequest as exc:
            return await self._list(visitor, name, exc.message, 400)
        return self.portal.render(
            "subaccount_created.html",
            visitor,
            section="accounts",
            account=created.account,
            api_key=created.api_key,
        )

    async def account(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        child = await self._child(visitor, request)
        return await self._one(visitor, child)

    async def credit(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        form = await self.portal.form(request, visitor.session)
        child = await self._child(visitor, request)
        direction = form.get("direction", "")
        try:
            if direction not in DIRECTIONS:
                raise InvalidRequest("choose to fund or to withdraw", field="direction")
            amount = parse_amount(form.get("amount", "")[:40])
            if amount <= 0:
                raise InvalidRequest("enter an amount above zero", field="amount")
            signed = amount if direction == "fund" else -amount
            await self.portal.ctx.accounts.transfer(visitor.user, child, signed)
        except InsufficientCredit:
            shown = f"{format_amount(amount)} {child.currency}"
            if direction == "fund":
                message = f"Your balance is less than {shown}: nothing was moved."
            else:
                message = f"{child.name} holds less than {shown}: nothing was moved."
            return await self._one(visitor, child, message, 402)
        except InvalidRequest as exc:
            return await self._one(visitor, child, exc.message, 400)
        return RedirectResponse(f"{LIST}/{child.id}", 303)

    async def status(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        form = await self.portal.form(request, visitor.session)
        child = await self._child(visitor, request)
        wanted = STATUSES.get(form.get("action", ""))
        if wanted is None:
            return await self._one(visitor, child, "choose to suspend or to reactivate", 400)
        await self.portal.ctx.accounts.set_status(child, wanted)
        return RedirectResponse(f"{LIST}/{child.id}", 303)

    async def _child(self, visitor: Visitor, request: Request) -> Account:
        """The sub-account the URL names; NotFound or Forbidden (a 404 page) otherwise."""
        account_id: int = request.path_params["account_id"]
        return await self.portal.ctx.accounts.subaccount(visitor.user, account_id)

    async def _list(
        self, visitor: Visitor, name: str = "", error: str = "", status: int = 200
    ) -> Response:
        children = await self.portal.ctx.accounts.list_accounts(visitor.user)
        balance, currency, _ = await self.portal.ctx.accounts.balance(visitor.user)
        return self.portal.render(
            "subaccounts.html",
            visitor,
            status,
            section="accounts",
            children=children,
            balance=balance,
            currency=currency,
            name=name,
            error=error,
        )

    async def _one(
        self, visitor: Visitor, child: Account, error: str = "", status: int = 200
    ) -> Response:
        balance, currency, _ = await self.portal.ctx.accounts.balance(visitor.user)
        return self.portal.render(
            "subaccount.html",
            visitor,
            status,
            section="accounts",
            child=child,
            balance=balance,
            currency=currency,
            error=error,
        )
