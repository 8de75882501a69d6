"""Native STOP list endpoints: list a page, add, remove, import a CSV and export one.

Parse, call `StopListService`, render; the caller's own list (a sub-account manages its
own). A bad number is 400 `invalid_request` naming `number`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from smsgate.api.body import decode_body, json_response, read_body
from smsgate.api.context import Endpoints
from smsgate.api.errors import UnsupportedMediaType
from smsgate.api.native.messages import parse_limit
from smsgate.api.native.openapi import Operation, Param, Reply, page_params
from smsgate.api.native.schemas import (
    InvalidLineView,
    StopEntryView,
    StopImportView,
    StopPage,
    StopRequest,
    stop_decoder,
)
from smsgate.core.errors import InvalidRecipient, InvalidRequest, NotFound
from smsgate.services.stoplist import (
    EXPORT_HEADER,
    MAX_IMPORT_LINES,
    MAX_PAGE,
    SOURCE_IMPORT,
    StopEntry,
    check_source,
    csv_numbers,
    csv_row,
)

_CSV_TYPES = frozenset({"", "text/csv", "text/plain", "application/csv"})


class StopListEndpoints(Endpoints):
    __slots__ = ()

    async def list_stop_entries(self, request: Request) -> Response:
        account = await self.who.account(request)
        query = request.query_params
        entries, cursor = await self.ctx.stop_list.page(
            account,
            limit=parse_limit(query.get("limit"), 100, MAX_PAGE),
            cursor=query.get("cursor") or None,
            source=query.get("source") or None,
        )
        return json_response(StopPage([_view(e) for e in entries], cursor))

    async def add_stop_entry(self, request: Request) -> Response:
        account = await self.who.account(request)
        body = await decode_body(request, stop_decoder, self.ctx.max_body_bytes)
        with _number_field():
            entry, added = await self.ctx.stop_list.add_new(account, body.number)
        return json_response(_view(entry), 201 if added else 200)

    async def remove_stop_entry(self, request: Request) -> Response:
        account = await self.who.account(request)
        with _number_field():
            await self.ctx.stop_list.remove(account, request.path_params["number"])
        return Response(status_code=204)

    async def import_stop_entries(self, request: Request) -> Response:
        account = await self.who.account(request)
        header = request.headers.get("content-type", "")
        media_type = header.partition(";")[0].strip().lower()
        if media_type not in _CSV_TYPES:
            raise UnsupportedMediaType(
                f"the body must be CSV (Content-Type: text/csv), not {media_type[:64]}"
            )
        body = await read_body(request, self.ctx.max_body_bytes)
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidRequest("the CSV must be UTF-8", field="file") from exc
        done = await self.ctx.stop_list.import_numbers(
            account, csv_numbers(text.splitlines()), source=SOURCE_IMPORT
        )
        lines = [InvalidLineView(i.line, i.value, i.reason) for i in done.invalid_lines]
        return json_response(StopImportView(done.added, done.present, done.invalid, lines))

    async def export_stop_entries(self, request: Request) -> Response:
        account = await self.who.account(request)
        source = request.query_params.get("source") or None
        check_source(source)  # before the answer starts
        entries = self.ctx.stop_list.every_entry(account, source=source)
        return StreamingResponse(
            _csv(entries),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="stoplist.csv"'},
        )

    def operations(self) -> list[Operation]:
        tag = "stoplist"
        path = "/api/v1/stoplist"
        entry = StopEntryView
        source = Param("source", "only entries of this source (api, cli, import, inbound)")
        return [
            Operation(
                "GET",
                path,
                self.list_stop_entries,
                "List the STOP list, newest first",
                {200: Reply("a page of entries", StopPage)},
                tag,
                query=(
                    source,
                    *page_params(MAX_PAGE),
                ),
                errors=("invalid_request",),
            ),
            Operation(
                "POST",
                path,
                self.add_stop_entry,
                "Put a number on the STOP list",
                {201: Reply("added", entry), 200: Reply("on the list already; its entry", entry)},
                tag,
                body=StopRequest,
                description=(
                    "Sends to a listed number are refused with `stop_listed`. A number that "
                    "is not a phone number is 400 `invalid_request` with `field: number`."
                ),
            ),
            Operation(
                "DELETE",
                path + "/{number}",
                self.remove_stop_entry,
                "Take a number off the STOP list",
                {204: Reply("removed", media_type="text/plain")},
                tag,
                errors=("invalid_request", "not_found"),
                description="`number` URL-encoded (`%2B39...` or `+39...`), or national.",
            ),
            Operation(
                "POST",
                path + "/import",
                self.import_stop_entries,
                "Add the numbers of a CSV to the STOP list",
                {200: Reply("what the import did", StopImportView)},
                tag,
                errors=("invalid_request", "payload_too_large", "unsupported_media_type"),
                description=(
                    "Body `text/csv` (UTF-8): one number per line, in its first column; later "
                    "columns are ignored, and a first line `number` is a header. Valid numbers "
                    "are added (source `import`) even when other lines are refused; at most "
                    f"{MAX_IMPORT_LINES} lines and the server's body limit."
                ),
            ),
            Operation(
                "GET",
                path + "/export",
                self.export_stop_entries,
                "The STOP list as CSV: number,source,created_at",
                {200: Reply("the whole list, newest first", media_type="text/csv")},
                tag,
                query=(source,),
                errors=("invalid_request",),
            ),
        ]


@contextmanager
def _number_field() -> Iterator[None]:
    """A bad or unlisted number named as the request's `number`."""
    try:
        yield
    except InvalidRecipient as exc:
        raise InvalidRequest(exc.message, field="number") from exc
    except NotFound as exc:
        raise NotFound(exc.message, field="number") from exc


def _view(entry: StopEntry) -> StopEntryView:
    return StopEntryView(entry.number, entry.source, datetime.fromtimestamp(entry.created_at, UTC))


async def _csv(entries: AsyncIterator[StopEntry]) -> AsyncIterator[bytes]:
    yield EXPORT_HEADER.encode()
    rows: list[str] = []
    async for entry in entries:
        rows.append(csv_row(entry))
        if len(rows) == MAX_PAGE:
            yield "".join(rows).encode()
            rows.clear()
    if rows:
        yield "".join(rows).encode()
