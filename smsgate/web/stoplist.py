"""The visitor's STOP list (`/portal/stoplist`): cursor pages newest first, filtered by
source, a search for one number, a number added or removed by hand (source `portal`),
a CSV file imported (a multipart upload read by `Portal.upload`, added through
`StopListService.import_numbers` like the API's import) and the whole list exported as
CSV (`/portal/stoplist.csv`, streamed page by page)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRecipient, InvalidRequest
from smsgate.services.numbers import to_e164
from smsgate.services.stoplist import (
    EXPORT_HEADER,
    MAX_IMPORT_LINES,
    SOURCE_API,
    SOURCE_CLI,
    SOURCE_IMPORT,
    SOURCE_INBOUND,
    StopEntry,
    StopImport,
    check_source,
    csv_numbers,
    csv_row,
)
from smsgate.web.ledger import cell
from smsgate.web.portal import HEADERS, MAX_UPLOAD_BYTES, Portal, Visitor

LIST = "/portal/stoplist"
PAGE = 50
SOURCE_PORTAL = "portal"
SOURCES = (SOURCE_PORTAL, SOURCE_IMPORT, SOURCE_INBOUND, SOURCE_API, SOURCE_CLI)
E164 = re.compile(r"\+[0-9]{1,15}")
MAX_TYPED = 64


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the list page shows: a source filter, a number searched for, a page cursor."""

    source: str = ""
    q: str = ""
    cursor: str = ""

    @classmethod
    def of(cls, request: Request) -> ListQuery:
        params = request.query_params
        return cls(
            params.get("source", "").strip()[:40],
            params.get("q", "").strip()[:MAX_TYPED],
            params.get("cursor", "")[:200],
        )

    def link(self, cursor: str | None = None) -> str:
        values = {"source": self.source, "cursor": cursor or ""}
        return f"{LIST}?{urlencode({k: v for k, v in values.items() if v})}"


def export_row(entry: StopEntry) -> str:
    """`csv_row`, with a number a spreadsheet would run as a formula prefixed with `'`
    (one in E.164, the only kind the list holds, is left as it is)."""
    if not E164.fullmatch(entry.number):
        entry = dataclasses.replace(entry, number=cell(entry.number))
    return csv_row(entry)


@dataclass(eq=False, slots=True)
class StopListPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route(LIST, page(self.stoplist), methods=["GET"]),
            Route(LIST, page(self.add), methods=["POST"]),
            Route(LIST + "/remove", page(self.remove), methods=["POST"]),
            Route(LIST + "/import", page(self.import_csv), methods=["POST"]),
            Route(LIST + ".csv", page(self.export), methods=["GET"]),
        ]

    async def stoplist(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        return await self._list(visitor, ListQuery.of(request))

    async def add(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        form = await self.portal.form(request, visitor.session)
        number = form.get("number", "").strip()[:MAX_TYPED]
        try:
            await self.portal.ctx.stop_list.add(visitor.user, number, source=SOURCE_PORTAL)
        except InvalidRequest as exc:
            return await self._list(visitor, ListQuery(), number=number, error=exc.message)
        return RedirectResponse(LIST, 303)

    async def remove(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        form = await self.portal.form(request, visitor.session)
        await self.portal.ctx.stop_list.remove(visitor.user, form.get("number", "")[:MAX_TYPED])
        return RedirectResponse(LIST, 303)

    async def import_csv(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        _, content = await self.portal.upload(request, visitor.session)
        try:
            if not content.strip():
                raise InvalidRequest("choose a CSV file with one number a line", field="file")
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise InvalidRequest("the CSV must be UTF-8", field="file") from exc
            done = await self.portal.ctx.stop_list.import_numbers(
                visitor.user, csv_numbers(text.splitlines()), source=SOURCE_IMPORT
            )
        except InvalidRequest as exc:
            return await self._list(visitor, ListQuery(), error=exc.message)
        return await self._list(visitor, ListQuery(), imported=done)

    async def export(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        source = request.query_params.get("source") or None
        check_source(source)  # before the answer starts
        name = f"stoplist-{visitor.user.name}.csv"
        return StreamingResponse(
            self._rows(visitor.user, source),
            media_type="text/csv; charset=utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _rows(self, account: Account, source: str | None) -> AsyncIterator[str]:
        yield EXPORT_HEADER
        rows: list[str] = []
        async for entry in self.portal.ctx.stop_list.every_entry(account, source=source):
            rows.append(export_row(entry))
            if len(rows) == PAGE * 20:
                yield "".join(rows)
                rows.clear()
        if rows:
            yield "".join(rows)

    async def _list(
        self,
        visitor: Visitor,
        query: ListQuery,
        *,
        number: str = "",
        error: str = "",
        imported: StopImport | None = None,
    ) -> Response:
        stop_list = self.portal.ctx.stop_list
        found: tuple[str, bool] | None = None
        if query.q and not error:
            try:
                searched = to_e164(query.q, visitor.user.default_country)
                found = searched, bool(await stop_list.blocked(visitor.user.id, [searched]))
            except InvalidRecipient as exc:
                error = exc.message
        entries, next_cursor = await stop_list.page(
            visitor.user, limit=PAGE, cursor=query.cursor or None, source=query.source or None
        )
        return self.portal.render(
            "stoplist.html",
            visitor,
            400 if error else 200,
            section="stoplist",
            entries=entries,
            query=query,
            sources=SOURCES,
            next_link=query.link(next_cursor) if next_cursor else None,
            first_link=query.link() if query.cursor else None,
            found=found,
            number=number,
            error=error,
            imported=imported,
            max_lines=MAX_IMPORT_LINES,
            max_mib=MAX_UPLOAD_BYTES // 2**20,
        )
