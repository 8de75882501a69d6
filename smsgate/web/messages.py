"""The message list (`/portal/messages`: filters, newest first, cursor pages) and one
message's page with its parts and their receipts; only the visitor's own messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRequest, SmsgateError
from smsgate.core.messages import Message, Status
from smsgate.services.numbers import to_e164
from smsgate.services.statistics import DAY
from smsgate.web.portal import Portal

PAGE = 50
FILTERS = ("status", "since", "until", "to", "sender", "batch", "reference")


@dataclass(frozen=True, slots=True)
class Filters:
    """The list's filters as typed in the form (dates are UTC days, both included)."""

    values: dict[str, str]

    @classmethod
    def of(cls, params: QueryParams) -> Filters:
        return cls({name: params.get(name, "").strip()[:64] for name in FILTERS})

    def day(self, name: str) -> float | None:
        if not self.values[name]:
            return None
        try:
            day = date.fromisoformat(self.values[name])
        except ValueError as exc:
            raise InvalidRequest(f"{name} is not a date (YYYY-MM-DD)", field=name) from exc
        return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()

    def query(self, cursor: str | None) -> str:
        kept = {k: v for k, v in self.values.items() if v}
        return urlencode({**kept, "cursor": cursor} if cursor else kept)

    async def page(
        self, portal: Portal, account: Account, cursor: str | None
    ) -> tuple[list[Message], str | None]:
        v = self.values
        until = self.day("until")
        to = to_e164(v["to"], account.default_country) if v["to"] else None
        return await portal.ctx.messages.page(
            account,
            status=v["status"] or None,
            batch_id=v["batch"] or None,
            since=self.day("since"),
            until=None if until is None else until + DAY,
            to=to,
            sender=v["sender"] or None,
            reference=v["reference"] or None,
            limit=PAGE,
            cursor=cursor,
        )


@dataclass(eq=False, slots=True)
class MessagePages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route("/portal/messages", page(self.list_messages), methods=["GET"]),
            Route("/portal/messages/{message_id}", page(self.message), methods=["GET"]),
        ]

    async def list_messages(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        filters = Filters.of(request.query_params)
        cursor = request.query_params.get("cursor") or None
        found: list[Message] = []
        next_cursor, error = None, ""
        try:
            found, next_cursor = await filters.page(self.portal, visitor.user, cursor)
        except SmsgateError as exc:
            error = exc.message
        return self.portal.render(
            "messages.html",
            visitor,
            400 if error else 200,
            section="messages",
            filters=filters.values,
            statuses=[s.value for s in Status],
            messages=found,
            next_page=filters.query(next_cursor) if next_cursor else None,
            first_page=filters.query(None) if cursor else None,
            error=error,
        )

    async def message(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        message_id = request.path_params["message_id"]
        found = await self.portal.ctx.messages.get(visitor.user, message_id)
        parts = await self.portal.ctx.messages.parts(visitor.user, message_id)
        return self.portal.render(
            "message.html", visitor, section="messages", message=found, parts=parts
        )
