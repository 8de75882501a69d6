"""The console's inbound side (`/admin/inbound`): the numbers MO arrive on (add, change
owner and delivery, remove, as `smsgate number` does), the keywords of shared numbers
(`smsgate keyword`), and the MO no account received (unrouted), newest first."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.core.accounts import Account
from smsgate.core.money import format_amount, parse_amount
from smsgate.services.inbound_numbers import SHAPES
from smsgate.web.admin.changes import Form, apply, field
from smsgate.web.admin.console import Console
from smsgate.web.ledger import parse_cursor
from smsgate.web.portal import Visitor

PAGE = "/admin/inbound"
UNROUTED_PAGE = 50


@dataclass(eq=False, slots=True)
class InboundPages:
    console: Console

    def routes(self) -> list[BaseRoute]:
        page = self.console.portal.page
        return [
            Route(PAGE, page(self.list_page), methods=["GET"]),
            Route(f"{PAGE}/numbers", page(self.add_number), methods=["POST"]),
            Route(f"{PAGE}/numbers/owner", page(self.set_owner), methods=["POST"]),
            Route(f"{PAGE}/numbers/delivery", page(self.set_delivery), methods=["POST"]),
            Route(f"{PAGE}/numbers/remove", page(self.remove_number), methods=["POST"]),
            Route(f"{PAGE}/keywords", page(self.add_keyword), methods=["POST"]),
            Route(f"{PAGE}/keywords/remove", page(self.remove_keyword), methods=["POST"]),
        ]

    async def list_page(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        cursor = parse_cursor(request.query_params.get("cursor"))
        return await self._page(visitor, cursor=cursor)

    async def _account(self, form: Form, name: str) -> Account | None:
        value = field(form, name)
        return await self.console.portal.ctx.accounts.get(value) if value else None

    async def add_number(self, request: Request) -> Response:
        async def change(form: Form) -> tuple[str, str, str]:
            price = parse_amount(field(form, "price") or "0", field="price")
            added = await self.console.portal.ctx.numbers.add(
                form.get("number", ""),
                account=await self._account(form, "account"),
                default_account=await self._account(form, "default_account"),
                webhook_url=field(form, "webhook_url"),
                webhook_shape=field(form, "webhook_shape"),
                price=price,
            )
            return "number.add", added.number, _who(form)

        return await apply(self.console, request, change, PAGE, self._refused)

    async def set_owner(self, request: Request) -> Response:
        numbers = self.console.portal.ctx.numbers

        async def change(form: Form) -> tuple[str, str, str]:
            owner = await self._account(form, "account")
            default = await self._account(form, "default_account")
            number = form.get("number", "")
            await numbers.get(number)
            await numbers.assign(number, owner)
            changed = await numbers.set_default(number, default)
            return "number.owner", changed.number, _who(form)

        return await apply(self.console, request, change, PAGE, self._refused)

    async def set_delivery(self, request: Request) -> Response:
        async def change(form: Form) -> tuple[str, str, str]:
            price = parse_amount(field(form, "price") or "0", field="price")
            url, shape = field(form, "webhook_url"), field(form, "webhook_shape")
            changed = await self.console.portal.ctx.numbers.set_delivery(
                form.get("number", ""), url, shape, price
            )
            hook = url or "the account's webhook"
            detail = f"webhook={hook} shape={shape or 'native'} price={format_amount(price)}"
            return "number.set", changed.number, detail

        return await apply(self.console, request, change, PAGE, self._refused)

    async def remove_number(self, request: Request) -> Response:
        async def change(form: Form) -> tuple[str, str, str]:
            removed = await self.console.portal.ctx.numbers.remove(form.get("number", ""))
            return "number.remove", removed.number, ""

        return await apply(self.console, request, change, PAGE, self._refused)

    async def add_keyword(self, request: Request) -> Response:
        ctx = self.console.portal.ctx

        async def change(form: Form) -> tuple[str, str, str]:
            account = await ctx.accounts.get(form.get("account", "").strip())
            number = form.get("number", "")
            added = await ctx.numbers.add_keyword(number, form.get("keyword", ""), account)
            found = await ctx.numbers.get(number)
            return "keyword.add", f"{found.number} {added.keyword}", f"account={account.name}"

        return await apply(self.console, request, change, PAGE, self._refused)

    async def remove_keyword(self, request: Request) -> Response:
        ctx = self.console.portal.ctx

        async def change(form: Form) -> tuple[str, str, str]:
            number, keyword = form.get("number", ""), form.get("keyword", "")
            await ctx.numbers.remove_keyword(number, keyword)
            found = await ctx.numbers.get(number)
            return "keyword.remove", f"{found.number} {keyword.strip().upper()}", ""

        return await apply(self.console, request, change, PAGE, self._refused)

    async def _refused(self, visitor: Visitor, error: str, form: Form, status: int) -> Response:
        return await self._page(visitor, error, form, status)

    async def _page(
        self,
        visitor: Visitor,
        error: str = "",
        form: Form | None = None,
        status: int = 200,
        cursor: int | None = None,
    ) -> Response:
        ctx = self.console.portal.ctx
        numbers = await ctx.numbers.list()
        keywords = await ctx.numbers.keywords()
        unrouted, next_cursor = await ctx.inbound.page(
            None,
            unrouted=True,
            limit=UNROUTED_PAGE,
            cursor=str(cursor) if cursor is not None else None,
        )
        ids = {i for n in numbers for i in (n.account_id, n.default_account_id) if i is not None}
        ids |= {k.account_id for k in keywords}
        names = {i: (await ctx.accounts.get_by_id(i)).name for i in ids}
        return self.console.portal.render(
            "admin/inbound.html",
            visitor,
            status,
            section="inbound",
            numbers=numbers,
            keywords=keywords,
            number_of={n.id: n.number for n in numbers},
            names=names,
            shapes=SHAPES,
            unrouted=unrouted,
            next_cursor=next_cursor,
            first=cursor is not None,
            error=error,
            draft=form or {},
        )


def _who(form: Form) -> str:
    owner = field(form, "account")
    default = field(form, "default_account")
    if owner:
        return f"account={owner}"
    return f"shared default={default or '(unrouted)'}"
