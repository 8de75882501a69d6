"""The visitor's ledger (`/portal/ledger`, newest first, cursor pages) and its CSV export
(`/portal/ledger.csv`, every entry, streamed page by page)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRequest
from smsgate.core.ledger import LedgerEntry
from smsgate.core.money import format_amount
from smsgate.web.portal import HEADERS, Portal

PAGE = 50
EXPORT_PAGE = 1000
CSV_COLUMNS = ("id", "time_utc", "kind", "amount", "balance_after", "currency", "reference")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """`value` for a CSV export, prefixed with `'` where a spreadsheet would run it as a
    formula (every export of the portal and the console writes its cells through it)."""
    return "'" + value if value.startswith(FORMULA) else value


def csv_row(entry: LedgerEntry, currency: str) -> list[str]:
    return [
        str(entry.id),
        datetime.fromtimestamp(entry.created_at, UTC).isoformat(timespec="seconds"),
        entry.kind.value,
        format_amount(entry.amount),
        format_amount(entry.balance_after),
        currency,
        cell(entry.reference),
    ]


def parse_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise InvalidRequest("this page link is not one the portal gave", field="cursor")
    return int(cursor)


@dataclass(eq=False, slots=True)
class LedgerPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route("/portal/ledger", page(self.ledger), methods=["GET"]),
            Route("/portal/ledger.csv", page(self.export), methods=["GET"]),
        ]

    async def ledger(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        before = parse_cursor(request.query_params.get("cursor"))
        accounts = self.portal.ctx.accounts
        entries = await accounts.ledger(visitor.user, limit=PAGE + 1, before_id=before)
        balance, currency, _ = await accounts.balance(visitor.user)
        more = len(entries) > PAGE
        entries = entries[:PAGE]
        return self.portal.render(
            "ledger.html",
            visitor,
            section="ledger",
            entries=entries,
            balance=balance,
            currency=currency,
            next_cursor=entries[-1].id if more else None,
            first=before is not None,
        )

    async def export(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        name = f"ledger-{visitor.user.name}.csv"
        return StreamingResponse(
            self._rows(visitor.user),
            media_type="text/csv; charset=utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _rows(self, account: Account) -> AsyncIterator[str]:
        # The header goes at once: a long export starts downloading before its first page.
        yield ",".join(CSV_COLUMNS) + "\r\n"
        out = io.StringIO()
        writer = csv.writer(out)
        before: int | None = None
        while True:
            entries = await self.portal.ctx.accounts.ledger(
                account, limit=EXPORT_PAGE, before_id=before
            )
            writer.writerows(csv_row(e, account.currency) for e in entries)
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if len(entries) < EXPORT_PAGE:
                return
            before = entries[-1].id
