"""The SMS Partner wire-compatible API under /v1: parse, call the services, render.

Every handler reads `Params`, authenticates by `apiKey`, calls the services and returns
an ordered body, rendered as JSON or XML, any error through the one table of codes.
An SMS Partner `message_id` is the id of a smsgate batch (one send request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.compat.dialect import DialectServices
from smsgate.api.compat.smspartner.parse import (
    Params,
    page_number,
    read_params,
    split_numbers,
    status_items,
)
from smsgate.api.compat.smspartner.render import JSON, Body, Value, amount, error_reply, render
from smsgate.api.compat.smspartner.render import success as ok
from smsgate.api.compat.smspartner.sends import SendEndpoint
from smsgate.api.compat.smspartner.statistics import CostResume
from smsgate.api.compat.smspartner.subaccounts import SubaccountEndpoints
from smsgate.api.compat.smspartner.tables import (
    CANCELLED_MESSAGE,
    NOT_FOUND_STATUS,
    STATUS_WORDS,
    AlreadyCancelled,
    AlreadySent,
    Family,
    MissingParameter,
    TooLateToCancel,
)
from smsgate.core.accounts import Account
from smsgate.core.errors import Forbidden, InvalidRequest, NotFound
from smsgate.core.messages import Message, Status
from smsgate.services.messages import MAX_PAGE
from smsgate.services.numbers import to_e164

Handler = Callable[[Params, Account], Awaitable[Body]]
Endpoint = Callable[[Request], Awaitable[Response]]

# SMS Partner refuses to cancel a send due in less than five minutes.
CANCEL_MARGIN = 300
TAG_PAGE = 500


class SmsPartnerApi:
    def __init__(self, services: DialectServices) -> None:
        self.s = services
        self._send = SendEndpoint(services.submit, services.accounts)
        self._subaccounts = SubaccountEndpoints(services.accounts)
        self._costs = CostResume(services.statistics, services.clock.now)

    def routes(self) -> list[BaseRoute]:
        get, post = ["GET", "POST"], ["POST"]
        sub = self._subaccounts
        table: Sequence[tuple[str, list[str], Handler, Family]] = (
            ("/v1/me", get, self.me, Family.ACCOUNT),
            ("/v1/send", post, self._send.send, Family.SEND),
            ("/v1/message-status", get, self.message_status, Family.STATUS),
            ("/v1/multi-status", post, self.multi_status, Family.STATUS),
            ("/v1/bulk-status", get, self.bulk_status, Family.STATUS),
            ("/v1/bulk-status-by-tag", get, self.bulk_status_by_tag, Family.STATUS),
            ("/v1/message-cancel", get, self.message_cancel, Family.CANCEL),
            ("/v1/subaccount/create", get, sub.create, Family.SUBACCOUNT_CREATE),
            ("/v1/subaccount/list", get, sub.list, Family.ACCOUNT),
            ("/v1/subaccount/remove", ["DELETE", "POST"], sub.remove, Family.SUBACCOUNT_REMOVE),
            ("/v1/subaccount/credit/add", post, sub.credit_add, Family.CREDIT),
            # The documentation's own VB.NET sample posts here: it means "add".
            ("/v1/subaccount/credit/sms", post, sub.credit_add, Family.CREDIT),
            ("/v1/subaccount/credit/remove", post, sub.credit_remove, Family.CREDIT),
            ("/v1/stop-sms/list", get, self.stop_list, Family.ACCOUNT),
            ("/v1/stop-sms/add", post, self.stop_add, Family.STOP_ADD),
            (
                "/v1/stop-sms/delete",
                ["GET", "POST", "DELETE"],
                self.stop_delete,
                Family.STOP_DELETE,
            ),
            ("/v1/lookup", post, self.lookup, Family.LOOKUP),
            ("/v1/statistics/cost-resume", get, self._costs.cost_resume, Family.ACCOUNT),
        )
        return [
            Route(path, self._endpoint(handler, family), methods=methods)
            for path, methods, handler, family in table
        ]

    def _endpoint(
        self, handler: Handler, family: Family
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            fmt = request.query_params.get("_format", JSON).lower()
            try:
                params = await read_params(request, self.s.max_body_bytes)
                fmt = params.fmt
                peer = request.client.host if request.client else None
                account = await self._account(params, peer)
                await self.s.policies.check_address(account.id, peer)
                return render(await handler(params, account), fmt)
            except Exception as exc:
                return error_reply(request, exc, family, fmt)

        endpoint.__name__ = handler.__name__
        return endpoint

    async def _account(self, params: Params, peer: str | None) -> Account:
        key = params.text("apiKey")
        if key is None:
            raise MissingParameter("apiKey is required", field="apiKey")
        account = await self.s.auth.by_api_key(key, peer)
        if not account.is_active:
            raise Forbidden("account is suspended", field="apiKey")
        return account

    # --- account -----------------------------------------------------------------------

    async def me(self, params: Params, account: Account) -> Body:
        balance, currency, _ = await self.s.accounts.balance(account)
        return ok(
            user={"username": account.name, "firstname": None, "lastname": None},
            credits={
                "creditSms": None,
                "creditSmsECO": None,
                "creditHlr": None,
                "toSend": None,
                "balance": str(amount(balance)),
                "currency": currency,
            },
        )

    # --- status ------------------------------------------------------------------------

    async def _batch(self, account: Account, batch_id: str) -> list[Message]:
        found, _ = await self.s.messages.page(account, batch_id=batch_id, limit=MAX_PAGE)
        if not found:
            raise NotFound(f"no message {batch_id}")
        return sorted(found, key=lambda m: m.id)

    async def _find(self, account: Account, batch_id: str, raw_number: str) -> Message:
        number = to_e164(raw_number, account.default_country)
        for message in await self._batch(account, batch_id):
            if message.to == number:
                return message
        raise NotFound(f"no message {batch_id} to {number}")

    async def message_status(self, params: Params, account: Account) -> Body:
        batch_id = params.required("messageId")
        message = await self._find(account, batch_id, params.required("phoneNumber"))
        stopped = await self.s.stop_list.blocked(account.id, [message.to])
        found = self.s.lookup.lookup(message.to)
        return ok(
            number=message.to,
            messageId=batch_id,
            stopSms=message.to in stopped,
            date=datetime.fromtimestamp(_status_time(message), UTC).strftime("%Y-%m-%d %H:%M:%S"),
            statut=STATUS_WORDS[message.status],
            cost=amount(message.cost),
            countryCode=found.region,
            currency=message.currency,
        )

    async def multi_status(self, params: Params, account: Account) -> Body:
        batches: dict[str, dict[str, Message]] = {}
        found: list[tuple[str | None, str | None, Message | None]] = []
        for item in status_items(params):
            number, batch_id = item.text("phoneNumber"), item.text("messageId")
            found.append((number, batch_id, await self._lookup_item(account, batches, item)))
        stopped = await self.s.stop_list.blocked(account.id, {m.to for _, _, m in found if m})
        items: list[Value] = []
        for number, batch_id, message in found:
            if message is None:
                items.append(
                    {
                        "success": False,
                        "code": 4,
                        "phoneNumber": number,
                        "messageId": batch_id,
                        "status": NOT_FOUND_STATUS,
                    }
                )
                continue
            items.append(
                {
                    "success": True,
                    "code": 200,
                    "phoneNumber": message.to,
                    "messageId": batch_id,
                    "status": STATUS_WORDS[message.status],
                    "date": str(int(_status_time(message))),
                    "stopSms": "1" if message.to in stopped else "0",
                    "isSpam": "0",
                }
            )
        return ok(StatutResponse_List=items)

    async def _lookup_item(
        self, account: Account, batches: dict[str, dict[str, Message]], item: Params
    ) -> Message | None:
        """One multi-status item's message; None when it cannot be found, for any reason."""
        number, batch_id = item.text("phoneNumber"), item.text("messageId")
        if number is None or batch_id is None:
            return None
        if batch_id not in batches:
            try:
                batch = await self._batch(account, batch_id)
            except (NotFound, Forbidden):
                batch = []
            batches[batch_id] = {m.to: m for m in batch}
        try:
            return batches[batch_id].get(to_e164(number, account.default_country))
        except InvalidRequest:
            return None

    async def _status_list(self, account: Account, messages: Sequence[Message]) -> list[Value]:
        stopped = await self.s.stop_list.blocked(account.id, {m.to for m in messages})
        return [
            {
                "phoneNumber": m.to,
                "status": STATUS_WORDS[m.status],
                "stopSMS": m.to in stopped,
                "date": str(int(_status_time(m))),
            }
            for m in messages
        ]

    async def bulk_status(self, params: Params, account: Account) -> Body:
        batch_id = params.required("messageId")
        messages = await self._batch(account, batch_id)
        return ok(
            message_id=batch_id, StatutResponse_List=await self._status_list(account, messages)
        )

    async def bulk_status_by_tag(self, params: Params, account: Account) -> Body:
        tag = params.required("tag")
        page = page_number(params)
        tagged: list[Message] = []
        cursor: str | None = None
        # No index on tags: the account's messages are read page by page.
        while True:
            found, cursor = await self.s.messages.page(account, limit=MAX_PAGE, cursor=cursor)
            tagged += [m for m in found if m.tag == tag]
            if cursor is None:
                break
        if not tagged:
            raise NotFound(f"no message tagged {tag!r}")
        tagged.sort(key=lambda m: m.id)
        chosen = tagged[(page - 1) * TAG_PAGE : page * TAG_PAGE]
        return ok(
            currentPage=page,
            total=len(tagged),
            StatutResponse_List=await self._status_list(account, chosen),
        )

    # --- cancel ------------------------------------------------------------------------

    async def message_cancel(self, params: Params, account: Account) -> Body:
        messages = await self._batch(account, params.required("messageId"))
        if all(m.status is Status.CANCELLED for m in messages):
            raise AlreadyCancelled("this send was cancelled already")
        if any(m.status is not Status.SCHEDULED for m in messages):
            raise AlreadySent("this send has left the queue")
        due = min(m.scheduled_at or 0.0 for m in messages)
        if due - self.s.clock.now() < CANCEL_MARGIN:
            raise TooLateToCancel("a send due within five minutes cannot be cancelled")
        for message in messages:
            await self.s.messages.cancel(account, message.id)
        return ok(message=CANCELLED_MESSAGE)

    # --- STOP list and lookup ----------------------------------------------------------

    async def stop_list(self, params: Params, account: Account) -> Body:
        entries = await self.s.stop_list.entries(account)
        data: list[Value] = [
            {
                "id": int(e.number.lstrip("+")),
                "phoneNumber": e.number,
                "createdAt": datetime.fromtimestamp(e.created_at, UTC).isoformat(),
            }
            for e in entries
        ]
        return ok(nbData=len(data), data=data)

    async def stop_add(self, params: Params, account: Account) -> Body:
        entry = await self.s.stop_list.add(account, params.required("phoneNumber"))
        return ok(stopId=int(entry.number.lstrip("+")))

    async def stop_delete(self, params: Params, account: Account) -> Body:
        stop_id = params.required("id")
        number = f"+{stop_id}" if stop_id.isdigit() else stop_id
        await self.s.stop_list.remove(account, number)
        return ok()

    async def lookup(self, params: Params, account: Account) -> Body:
        results: list[Value] = []
        for raw in split_numbers(params.required("phoneNumbers")):
            found = self.s.lookup.lookup(raw, account.default_country)
            international = found.international_format
            results.append(
                {
                    "request": raw,
                    "success": found.possible,
                    "countryCode": found.region,
                    "prefixCode": found.country_code,
                    "phoneNumber": found.national_number,
                    "type": found.number_type,
                    "network": found.carrier_name or None,
                    "format": {
                        "e164": found.e164,
                        "international": international,
                        "national": found.national_format,
                        "rfc3966": "tel:" + international.replace(" ", "-")
                        if international
                        else None,
                    },
                }
            )
        return ok(lookup=results)


def _status_time(message: Message) -> float:
    return message.done_at or message.sent_at or message.created_at
