"""Native inbound endpoints: an account polls its MO, replies to one, reads its
conversation with a number, lists the numbers (and keywords) it receives on, and reads
and sets its inbound settings. Parse, call `InboundService`, `ConversationService`,
`NumberService` or `InboundSettingsService`, render; a reply is sent by `SubmitService`
as any send."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from msgspec.structs import asdict
from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.body import decode_body, json_response
from smsgate.api.context import Endpoints
from smsgate.api.native.messages import SEND_ERRORS, parse_limit, parse_time, sent_view
from smsgate.api.native.openapi import (
    Operation,
    Param,
    Reply,
    id_param,
    limit_param,
    page_params,
)
from smsgate.api.native.schemas import (
    ConversationItemView,
    ConversationView,
    InboundPage,
    InboundSettingsBody,
    InboundView,
    MoDayView,
    MoStatistics,
    NumberList,
    NumberView,
    ReplyRequest,
    SendResponse,
    inbound_settings_decoder,
    reply_decoder,
)
from smsgate.core.errors import InvalidRequest
from smsgate.core.money import format_amount
from smsgate.services.conversations import MAX_CONVERSATION, Conversation
from smsgate.services.inbound import MAX_PAGE, StoredInbound
from smsgate.services.inbound_plan import InboundSettings

_OFFSET = re.compile(r"-?[0-9]{1,6}")
REPORT_PERIOD = 30 * 86_400.0  # MO statistics without `since`: the last 30 days
# A reply is a send to the sender of an MO the caller must own.
_REPLY_ERRORS = ("not_found", "invalid_request", *SEND_ERRORS)


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

    async def reply_inbound(self, request: Request) -> Response:
        account = await self.who.account(request)
        body = await decode_body(request, reply_decoder, self.ctx.max_body_bytes)
        command = await self.ctx.conversations.reply_command(
            account,
            request.path_params["id"],
            body.text,
            callback_url=body.callback_url,
            reference=body.reference,
        )
        accepted = await self.ctx.submit.submit(account, command)
        return json_response(
            sent_view(accepted, account.currency), 200 if accepted.replayed else 202
        )

    async def get_conversation(self, request: Request) -> Response:
        account = await self.who.account(request)
        query = request.query_params
        before = query.get("before")
        conversation = await self.ctx.conversations.conversation(
            account,
            request.path_params["msisdn"],
            before=parse_time(before, "before") if before else None,
            limit=parse_limit(query.get("limit"), 100, MAX_CONVERSATION),
        )
        return json_response(conversation_view(conversation))

    async def list_numbers(self, request: Request) -> Response:
        account = await self.who.account(request)
        views = [
            NumberView(
                number.number,
                number.account_id is None,
                number.account_id is None and number.default_account_id == account.id,
                keywords,
                datetime.fromtimestamp(number.created_at, UTC),
                number.webhook_shape,
                format_amount(number.price),
            )
            for number, keywords in await self.ctx.numbers.of_account(account)
        ]
        return json_response(NumberList(views))

    async def inbound_statistics(self, request: Request) -> Response:
        account = await self.who.account(request)
        query = request.query_params
        now = self.ctx.inbound.clock.now()
        until = parse_time(query["until"], "until") if "until" in query else now
        since = parse_time(query["since"], "since") if "since" in query else until - REPORT_PERIOD
        totals = await self.ctx.statistics.inbound(
            account,
            since=since,
            until=until,
            subaccounts=query.get("subaccounts", "").lower() in ("1", "true", "yes"),
            utc_offset=_offset(query.get("utc_offset", "0")),
        )
        days = [MoDayView(t.account_id, t.day, t.messages) for t in totals]
        return json_response(MoStatistics(days, sum(t.messages for t in totals)))

    async def get_inbound_settings(self, request: Request) -> Response:
        account = await self.who.account(request)
        return json_response(settings_view(await self.ctx.inbound_settings.get(account)))

    async def put_inbound_settings(self, request: Request) -> Response:
        account = await self.who.account(request)
        body = await decode_body(request, inbound_settings_decoder, self.ctx.max_body_bytes)
        fields = {**asdict(body), "opt_out": tuple(body.opt_out)}
        stored = await self.ctx.inbound_settings.set(InboundSettings(account.id, **fields))
        return json_response(settings_view(stored))

    def operations(self) -> list[Operation]:
        tag = "inbound"
        settings_path = "/api/v1/inbound/settings"
        return [
            Operation(
                "GET",
                "/api/v1/inbound/statistics",
                self.inbound_statistics,
                "MO received per day, by the account (and its sub-accounts)",
                {200: Reply("MO per account and day, and their total", MoStatistics)},
                tag,
                query=(
                    Param("since", "from: ISO-8601 with offset, or epoch seconds (30 days ago)"),
                    Param("until", "before: ISO-8601 with offset, or epoch seconds (now)"),
                    Param("utc_offset", "seconds east of UTC where days start (0)"),
                    Param("subaccounts", "true: every account below the caller too"),
                ),
                errors=("invalid_request",),
            ),
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
                "POST",
                "/api/v1/inbound/{id:int}/reply",
                self.reply_inbound,
                "Reply to one MO: to its sender, from the number it came in on",
                {
                    202: Reply("accepted: stored, charged and queued", SendResponse),
                    200: Reply("a replay: `reference` was used before; the original", SendResponse),
                },
                tag,
                body=ReplyRequest,
                path_params=(id_param("the MO's id"),),
                errors=_REPLY_ERRORS,
                description=(
                    "A send like `POST /api/v1/messages` to the MO's `from`, with its `to` "
                    "as the sender: priced, charged and refused the same way."
                ),
            ),
            Operation(
                "GET",
                "/api/v1/conversations/{msisdn}",
                self.get_conversation,
                "The account's MT to a number and MO from it, newest first",
                {200: Reply("a page of the conversation", ConversationView)},
                tag,
                query=(
                    Param("before", "only older: ISO-8601 with offset, or epoch seconds"),
                    limit_param(MAX_CONVERSATION),
                ),
                errors=("invalid_request",),
            ),
            Operation(
                "GET",
                "/api/v1/numbers",
                self.list_numbers,
                "The numbers the account receives MO on, with its keywords on shared ones",
                {200: Reply("the account's numbers", NumberList)},
                tag,
            ),
            Operation(
                "GET",
                settings_path,
                self.get_inbound_settings,
                "The account's inbound settings: MO webhook, SMPP, opt-out words, confirmations",
                {200: Reply("the account's inbound settings", InboundSettingsBody)},
                tag,
            ),
            Operation(
                "PUT",
                settings_path,
                self.put_inbound_settings,
                "Replace the account's inbound settings",
                {200: Reply("the settings as stored", InboundSettingsBody)},
                tag,
                body=InboundSettingsBody,
                errors=("invalid_request",),
                description=(
                    "An absent field takes its default. A webhook_url that is not http(s), "
                    "a webhook_shape or smpp_long not listed, an opt-out word that is not "
                    "one word of 1-20 letters or digits, or a reply of more than 612 "
                    "characters is 400 `invalid_request` naming the field, and changes "
                    "nothing. Other processes apply a change within a few seconds."
                ),
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
        flag=mo.flag,
    )


def _offset(value: str) -> int:
    """`utc_offset` in seconds; the service checks its range."""
    if not _OFFSET.fullmatch(value):
        raise InvalidRequest("utc_offset must be whole seconds", field="utc_offset")
    return int(value)


def settings_view(settings: InboundSettings) -> InboundSettingsBody:
    return InboundSettingsBody(
        webhook_url=settings.webhook_url,
        webhook_shape=settings.webhook_shape,
        smpp=settings.smpp,
        smpp_long=settings.smpp_long,
        opt_out=list(settings.opt_out),
        stop_reply=settings.stop_reply,
        start_reply=settings.start_reply,
    )


def conversation_view(conversation: Conversation) -> ConversationView:
    items = [
        ConversationItemView(
            item.direction,
            item.id,
            item.source,
            item.destination,
            item.text,
            item.status,
            datetime.fromtimestamp(item.at, UTC),
        )
        for item in conversation.items
    ]
    after = conversation.next_before
    return ConversationView(conversation.msisdn, items, None if after is None else repr(after))
