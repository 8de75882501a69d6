"""Native inbound endpoints: an account polls the MO routed to it and lists the numbers
(and keywords on shared numbers) it receives on.

Parse, call `InboundService` or `NumberService`, render; routing is decided there.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.body import json_response
from smsgate.api.context import Endpoints
from smsgate.api.native.messages import parse_limit, parse_time
from smsgate.api.native.openapi import Operation, Param, Reply, id_param, page_params
from smsgate.api.native.schemas import InboundPage, InboundView, NumberList, NumberView
from smsgate.services.inbound import MAX_PAGE, StoredInbound


class InboundEndpoints(Endpoints):
    __slots__ = ()

    async def list_inbound(self, request: Request) -> Response:
        account = await self.who.account(request)
        query = request.query_params
        since, until = query.get("since"), query.get("until")
        page, cursor = await self.ctx.inbound.page(
            account,
            number=query.get("number") or None,
            keyword=query.get("keyword") or None,
            since=parse_time(since, "since") if since else None,
            until=parse_time(until, "until") if until else None,
            limit=parse_limit(query.get("limit"), 100, MAX_PAGE),
            cursor=query.get("cursor") or None,
        )
        return json_response(InboundPage([inbound_view(mo) for mo in page], cursor))

    async def get_inbound(self, request: Request) -> Response:
        account = await self.who.account(request)
        mo = await self.ctx.inbound.get(account, request.path_params["id"])
        return json_response(inbound_view(mo))

    async def list_numbers(self, request: Request) -> Response:
        account = await self.who.account(request)
        views = [
            NumberView(
                number.number,
                number.account_id is None,
                number.account_id is None and number.default_account_id == account.id,
                keywords,
                datetime.fromtimestamp(number.created_at, UTC),
            )
            for number, keywords in await self.ctx.numbers.of_account(account)
        ]
        return json_response(NumberList(views))

    def operations(self) -> list[Operation]:
        tag = "inbound"
        return [
            Operation(
                "GET",
                "/api/v1/inbound",
                self.list_inbound,
                "List the MO routed to the account, newest first",
                {200: Reply("a page of MO", InboundPage)},
                tag,
                query=(
                    Param("number", "only MO to this number ('+' optional)"),
                    Param("keyword", "only MO routed by this keyword (any case, accents)"),
                    Param("since", "received at or after: ISO-8601 with offset, or epoch seconds"),
                    Param("until", "received before: ISO-8601 with offset, or epoch seconds"),
                    *page_params(MAX_PAGE),
                ),
                errors=("invalid_request",),
            ),
            Operation(
                "GET",
                "/api/v1/inbound/{id:int}",
                self.get_inbound,
                "Get one MO",
                {200: Reply("the MO", InboundView)},
                tag,
                path_params=(id_param("the MO's id"),),
                errors=("not_found",),
            ),
            Operation(
                "GET",
                "/api/v1/numbers",
                self.list_numbers,
                "The numbers the account receives MO on, with its keywords on shared ones",
                {200: Reply("the account's numbers", NumberList)},
                tag,
            ),
        ]


def inbound_view(mo: StoredInbound) -> InboundView:
    return InboundView(
        id=mo.id,
        source=mo.source,
        destination=mo.destination,
        text=mo.text,
        encoding=mo.encoding,
        parts=mo.parts,
        keyword=mo.keyword,
        received_at=datetime.fromtimestamp(mo.received_at, UTC),
    )
