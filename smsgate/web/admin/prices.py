"""The console's price lists: `/admin/prices` (the system default list; `?account=ID` an
account's own), its prefixes a page at a time and one price set; `/admin/prices.csv`, the
whole list as `prefix,price` CSV, streamed; and `/admin/prices/import`, an uploaded CSV of
the same format (that of `smsgate price import`), refused whole at its first bad row.
Every change is written to the audit log."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRequest, SmsgateError
from smsgate.core.money import format_amount, parse_amount
from smsgate.core.pricing import check_prefix, read_price_file
from smsgate.web.admin.console import Console
from smsgate.web.ledger import cell
from smsgate.web.portal import HEADERS, Visitor

PRICES = "/admin/prices"
PAGE = 100
EXPORT_CHUNK = 1000


def read_prices(data: bytes) -> list[tuple[str, int]]:
    """An uploaded price file (UTF-8, a BOM allowed) as `read_price_file` reads it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("the file is not UTF-8 text", field="file") from exc
    return read_price_file(text)


@dataclass(eq=False, slots=True)
class PricePages:
    console: Console

    def routes(self) -> list[BaseRoute]:
        page = self.console.portal.page
        return [
            Route(PRICES, page(self.prices), methods=["GET"]),
            Route(PRICES, page(self.set_price), methods=["POST"]),
            Route(PRICES + ".csv", page(self.export), methods=["GET"]),
            Route(PRICES + "/import", page(self.import_file), methods=["POST"]),
        ]

    async def prices(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        owner = await self._owner(request.query_params.get("account", ""))
        after = request.query_params.get("after", "")
        return await self._page(visitor, owner, after=after)

    async def set_price(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        form = await self.console.portal.form(request, visitor.session)
        owner = await self._owner(form.get("account", ""))
        try:
            prefix = check_prefix(form.get("prefix", ""))
            price = parse_amount(form.get("price", "").strip(), field="price")
            await self.console.portal.ctx.accounts.set_price(owner, prefix, price)
        except SmsgateError as exc:
            return await self._page(visitor, owner, 400, error=exc.message)
        detail = f"{prefix} = {format_amount(price)}"
        await self.console.record(visitor, "price.set", label(owner), detail)
        return RedirectResponse(link(owner), 303)

    async def import_file(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        fields, content = await self.console.portal.upload(request, visitor.session)
        owner = await self._owner(fields.get("account", ""))
        try:
            count = await self.console.portal.ctx.accounts.import_prices(
                owner, read_prices(content)
            )
        except SmsgateError as exc:
            return await self._page(visitor, owner, 400, error=exc.message)
        await self.console.record(visitor, "price.import", label(owner), f"{count} prices")
        return RedirectResponse(link(owner), 303)

    async def export(self, request: Request) -> Response:
        await self.console.signed_in(request)
        owner = await self._owner(request.query_params.get("account", ""))
        name = f"prices-{label(owner)}.csv"
        return StreamingResponse(
            self._rows(owner),
            media_type="text/csv; charset=utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _rows(self, owner: Account | None) -> AsyncIterator[str]:
        prices = sorted((await self.console.portal.ctx.accounts.prices(owner)).items())
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(("prefix", "price"))
        for start in range(0, len(prices), EXPORT_CHUNK):
            chunk = prices[start : start + EXPORT_CHUNK]
            writer.writerows((cell(p), cell(format_amount(v))) for p, v in chunk)
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        if out.getvalue():  # the header of an empty list
            yield out.getvalue()

    async def _owner(self, account: str) -> Account | None:
        """The account whose list it is (None: the system default list)."""
        if not account:
            return None
        if not (account.isascii() and account.isdigit() and len(account) <= 10):
            raise InvalidRequest("the account is given by its id", field="account")
        return await self.console.portal.ctx.accounts.get_by_id(int(account))

    async def _page(
        self,
        visitor: Visitor,
        owner: Account | None,
        status: int = 200,
        *,
        after: str = "",
        **values: Any,
    ) -> Response:
        prices = await self.console.portal.ctx.accounts.prices(owner)
        rows = sorted((p, v) for p, v in prices.items() if p > after)
        return self.console.portal.render(
            "admin/prices.html",
            visitor,
            status,
            section="prices",
            owner=owner,
            link=link(owner),
            rows=rows[:PAGE],
            total=len(prices),
            next_after=rows[PAGE - 1][0] if len(rows) > PAGE else None,
            first=bool(after),
            **values,
        )


def label(owner: Account | None) -> str:
    return owner.name if owner else "system"


def link(owner: Account | None) -> str:
    return f"{PRICES}?account={owner.id}" if owner else PRICES
