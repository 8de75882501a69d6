"""Native message endpoints: send, quote, read, list and cancel.

Each handler parses the request into the use case's terms, calls one service method
and renders the result; no rule about messages or money is decided here.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.body import decode_body, json_response
from smsgate.api.context import Endpoints
from smsgate.api.native.openapi import Operation, Param, Reply, page_params
from smsgate.api.native.schemas import (
    MessagePage,
    MessageView,
    PartView,
    QuoteLineView,
    QuoteResponse,
    SendRequest,
    SendResponse,
    SentMessage,
    send_decoder,
    utc,
)
from smsgate.core.errors import InvalidRequest
from smsgate.core.messages import Message, Part, PartStatus, Status
from smsgate.core.money import format_amount
from smsgate.services.messages import MAX_PAGE
from smsgate.services.ports import Accepted

_QUOTE_ERRORS = (
    "invalid_recipient",
    "stop_listed",
    "invalid_sender",
    "empty_text",
    "text_too_long",
    "no_price",
)
SEND_ERRORS = (*_QUOTE_ERRORS, "insufficient_credit", "rate_limited")
_TRUE = frozenset({"1", "true", "yes"})


class MessageEndpoints(Endpoints):
    __slots__ = ()

    async def send_messages(self, request: Request) -> Response:
        account = await self.who.account(request)
        body = await decode_body(request, send_decoder, self.ctx.max_body_bytes)
        accepted = await self.ctx.submit.submit(account, body.command())
        return json_response(
            sent_view(accepted, account.currency), 200 if accepted.replayed else 202
        )

    async def quote_messages(self, request: Request) -> Response:
        account = await self.who.account(request)
        body = await decode_body(request, send_decoder, self.ctx.max_body_bytes)
        quote = await self.ctx.submit.quote(account, body.command())
        lines = [QuoteLineView(q.to, q.parts, format_amount(q.cost)) for q in quote.lines]
        cost = format_amount(quote.cost)
        return json_response(
            QuoteResponse(quote.encoding, quote.parts, cost, quote.currency, lines)
        )

    async def get_message(self, request: Request) -> Response:
        account = await self.who.account(request)
        message_id: str = request.path_params["id"]
        message = await self.ctx.messages.get(account, message_id)
        parts = None
        if request.query_params.get("parts", "").lower() in _TRUE:
            parts = await self.ctx.messages.parts(account, message_id)
        return json_response(message_view(message, parts))

    async def list_messages(self, request: Request) -> Response:
        account = await self.who.account(request)
        query = request.query_params
        since = query.get("since")
        page, cursor = await self.ctx.messages.page(
            account,
            status=query.get("status") or None,
            batch_id=query.get("batch_id") or None,
            since=parse_time(since, "since") if since else None,
            limit=parse_limit(query.get("limit"), 100, MAX_PAGE),
            cursor=query.get("cursor") or None,
        )
        return json_response(MessagePage([message_view(m) for m in page], cursor))

    async def cancel_message(self, request: Request) -> Response:
        account = await self.who.account(request)
        message = await self.ctx.messages.cancel(account, request.path_params["id"])
        return json_response(message_view(message))

    def operations(self) -> list[Operation]:
        tag = "messages"
        sent = Reply("accepted: stored, charged and queued (or scheduled)", SendResponse)
        replay = Reply("a replay: `reference` was used before; the original batch", SendResponse)
        view = Reply("the message", MessageView)
        return [
            Operation(
                "POST",
                "/api/v1/messages",
                self.send_messages,
                "Send one text to up to 1000 recipients",
                {202: sent, 200: replay},
                tag,
                body=SendRequest,
                errors=SEND_ERRORS,
                description=(
                    "All-or-nothing: either every recipient is stored and charged, or the "
                    "request fails and nothing is. Sending the same `reference` again returns "
                    "the original batch with status 200 and charges nothing."
                ),
            ),
            Operation(
                "POST",
                "/api/v1/quote",
                self.quote_messages,
                "Price a send request without sending it",
                {200: Reply("parts and cost per recipient", QuoteResponse)},
                tag,
                body=SendRequest,
                errors=_QUOTE_ERRORS,
                description=(
                    "Takes the body of a send and checks it as a send would; stores "
                    "nothing and does not look at the balance."
                ),
            ),
            Operation(
                "GET",
                "/api/v1/messages",
                self.list_messages,
                "List messages, newest first",
                {200: Reply("a page of messages", MessagePage)},
                tag,
                query=(
                    Param(
                        "status",
                        "only messages in this status",
                        {"type": "string", "enum": [s.value for s in Status]},
                    ),
                    Param("batch_id", "only messages of this batch"),
                    Param("since", "created at or after: ISO-8601 with offset, or epoch seconds"),
                    *page_params(MAX_PAGE),
                ),
                errors=("invalid_request",),
            ),
            Operation(
                "GET",
                "/api/v1/messages/{id}",
                self.get_message,
                "Get one message",
                {200: view},
                tag,
                query=(
                    Param(
                        "parts", "1 adds `part_statuses`", {"type": "string", "enum": ["0", "1"]}
                    ),
                ),
                errors=("not_found",),
            ),
            Operation(
                "POST",
                "/api/v1/messages/{id}/cancel",
                self.cancel_message,
                "Cancel a scheduled message and refund it",
                {200: Reply("the cancelled message", MessageView)},
                tag,
                errors=("not_found", "conflict"),
            ),
        ]


def sent_view(accepted: Accepted, currency: str) -> SendResponse:
    messages = accepted.messages
    return SendResponse(
        batch_id=accepted.batch_id,
        cost=format_amount(sum(m.cost for m in messages)),
        currency=messages[0].currency if messages else currency,
        messages=[
            SentMessage(m.id, m.to, m.parts, format_amount(m.cost), m.status) for m in messages
        ],
    )


def message_view(message: Message, parts: list[Part] | None = None) -> MessageView:
    view = MessageView(
        id=message.id,
        batch_id=message.batch_id,
        to=message.to,
        sender=message.sender,
        text=message.text,
        encoding=message.encoding,
        parts=message.parts,
        cost=format_amount(message.cost),
        currency=message.currency,
        status=message.status,
        error=message.error,
        reference=message.reference,
        created_at=datetime.fromtimestamp(message.created_at, UTC),
        scheduled_at=utc(message.scheduled_at),
        sent_at=utc(message.sent_at),
        done_at=utc(message.done_at),
    )
    if parts is not None:
        # Part rows exist only once a part was handed to an upstream; until then
        # every part of the message is pending.
        stored = {p.seq: p for p in parts}
        view.part_statuses = [
            PartView(p.seq, p.status, p.error) if (p := stored.get(seq)) else _pending(seq)
            for seq in range(1, max(message.parts, *stored, 0) + 1)
        ]
    return view


def _pending(seq: int) -> PartView:
    return PartView(seq, PartStatus.PENDING, None)


def parse_time(value: str, name: str) -> float:
    """Epoch seconds from '1700000000' or an ISO-8601 time with an offset."""
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise InvalidRequest(f"{name} must be a finite number", field=name)
        return seconds
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be ISO-8601 or epoch seconds", field=name) from exc
    if when.tzinfo is None:
        raise InvalidRequest(f"{name} needs a UTC offset", field=name)
    return when.timestamp()


def parse_limit(value: str | None, default: int, most: int) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= most:
        raise InvalidRequest(f"limit must be 1-{most}", field="limit")
    return limit
