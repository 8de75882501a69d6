"""Agile Telecom's HTTP API under /services: send, credit, MNP lookup; parse, call the
services, render. A send is validated and quoted whole before the first message is
stored; only `SubmitService.submit` stores and charges.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.body import NESTED_TOO_DEEP, read_body
from smsgate.api.compat.agiletelecom.parse import Entry, SendRequest, parse_send
from smsgate.api.compat.agiletelecom.render import (
    Outcome,
    error_reply,
    json_body,
    render_credit,
    render_lookup,
    render_lookup_error,
    render_send,
)
from smsgate.api.compat.agiletelecom.tables import wire_error
from smsgate.api.compat.dialect import DialectServices
from smsgate.api.errors import guarded, retry_after
from smsgate.core.accounts import Account
from smsgate.core.errors import (
    Forbidden,
    InsufficientCredit,
    InvalidRequest,
    SmsgateError,
    Unauthenticated,
)
from smsgate.services.ports import Accepted
from smsgate.services.submit import SubmitCommand, plan_text
from smsgate.text import Encoding

_decode = msgspec.json.Decoder().decode


@dataclass(frozen=True, slots=True)
class Planned:
    """One SubmitService call of a send: its command and the destinations it answers for."""

    command: SubmitCommand
    client_ids: tuple[str | None, ...]


class AgileTelecomApi:
    def __init__(self, services: DialectServices) -> None:
        self.s = services

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/services/sms/send", guarded(self.send, error_reply), methods=["POST"]),
            Route("/services/sms/credit", guarded(self.credit, error_reply), methods=["GET"]),
            Route("/services/mnp/number-lookup", self.number_lookup, methods=["GET"]),
        ]

    async def send(self, request: Request) -> Response:
        account = await self._account(request)
        try:
            data = _decode(await read_body(request, self.s.max_body_bytes))
        except msgspec.DecodeError as exc:
            raise InvalidRequest(f"malformed JSON: {exc}") from exc
        except RecursionError as exc:
            raise InvalidRequest(NESTED_TOO_DEEP) from exc
        parsed = parse_send(data)
        plan = [
            _plan(parsed, entry, ids, ordinal)
            for ordinal, (entry, ids) in enumerate(_split(parsed), 1)
        ]
        return await self._send(account, parsed, plan)

    async def _send(self, account: Account, parsed: SendRequest, plan: list[Planned]) -> Response:
        quotes = []
        for planned in plan:
            if not parsed.concatenated:
                plan_text(planned.command, 1)
            quotes.append(await self.s.submit.quote(account, planned.command))
        cost = sum(q.cost for q in quotes)
        currency = quotes[0].currency
        if parsed.simulation:
            outcomes = [
                Outcome(line.to, client_id, None, line.parts, 200)
                for planned, quote in zip(plan, quotes, strict=True)
                for line, client_id in zip(
                    quote.lines, _ids_of(planned, len(quote.lines)), strict=True
                )
            ]
            return json_body(render_send(parsed, outcomes, cost, currency))
        balance, _, _ = await self.s.accounts.balance(account)
        if balance < cost:
            raise InsufficientCredit("credit does not cover the whole request")
        outcomes = []
        charged = 0
        failure: SmsgateError | None = None
        for planned, quote in zip(plan, quotes, strict=True):
            if failure is None:
                try:
                    accepted = await self.s.submit.submit(account, planned.command)
                except SmsgateError as exc:
                    if not outcomes:
                        raise
                    # Earlier submissions are stored; the answer says which ones.
                    failure = exc
                else:
                    charged += sum(m.cost for m in accepted.messages)
                    outcomes += _stored(planned, accepted)
                    continue
            status = wire_error(failure)[1]
            ids = _ids_of(planned, len(quote.lines))
            outcomes += [
                Outcome(ln.to, i, None, 0, status) for ln, i in zip(quote.lines, ids, strict=True)
            ]
        status = 200 if failure is None else wire_error(failure)[1]
        return json_body(render_send(parsed, outcomes, charged, currency), status)

    async def credit(self, request: Request) -> Response:
        account = await self._account(request)
        balance, _, _ = await self.s.accounts.balance(account)
        return json_body(render_credit(balance))

    async def number_lookup(self, request: Request) -> Response:
        try:
            account = await self._account(request)
        except SmsgateError as exc:
            status = wire_error(exc)[1]
            response = json_body(render_lookup_error(status, exc.message), status)
            response.headers.update(retry_after(exc) or {})
            return response
        msisdn = request.query_params.get("msisdn", "").strip()
        if not msisdn:
            return json_body(render_lookup_error(400, "Specify a msisdn number"), 400)
        if not msisdn.startswith("+") and not msisdn.startswith("00"):
            # Agile requires the country code; a bare number is international digits.
            msisdn = "+" + msisdn
        result = self.s.lookup.lookup(msisdn, account.default_country)
        if result.e164 is None:
            return json_body(render_lookup_error(400, "Specify a valid msisdn number"), 400)
        return json_body(render_lookup(result))

    async def _account(self, request: Request) -> Account:
        """The caller's active account (HTTP Basic or X-Api-Key), from an allowed address."""
        key = request.headers.get("x-api-key")
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        peer = request.client.host if request.client else None
        if key:
            account = await self.s.auth.by_api_key(key.strip(), peer)
        elif scheme.lower() == "basic" and value.strip():
            username, password = _basic(value.strip())
            try:
                account = await self.s.auth.by_password(username, password, peer)
            except Unauthenticated as exc:
                raise Unauthenticated("wrong credentials") from exc
        else:
            raise Unauthenticated("credentials required: HTTP Basic or X-Api-Key")
        if not account.is_active:
            raise Forbidden("account is suspended")
        await self.s.policies.check_address(account.id, peer)
        return account


def _basic(value: str) -> tuple[str, str]:
    try:
        username, colon, password = b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthenticated("wrong credentials") from exc
    if not colon or not username:
        raise Unauthenticated("wrong credentials")
    return username, password


def _split(parsed: SendRequest) -> list[tuple[Entry, tuple[str, ...] | None]]:
    """One submission per entry, or per destination when the client names each one."""
    calls: list[tuple[Entry, tuple[str, ...] | None]] = []
    for entry in parsed.entries:
        if entry.ids is None:
            calls.append((entry, None))
        else:
            calls += [
                (_single(entry, destination), (client_id,))
                for destination, client_id in zip(entry.destinations, entry.ids, strict=True)
            ]
    return calls


def _single(entry: Entry, destination: str) -> Entry:
    return Entry((destination,), None, entry.sender, entry.body, entry.scheduled_at)


def _plan(parsed: SendRequest, entry: Entry, ids: tuple[str, ...] | None, ordinal: int) -> Planned:
    """The `ordinal`-th submission of the request; a globalId makes it idempotent."""
    tag = ids[0] if ids else None
    return Planned(
        SubmitCommand(
            to=entry.destinations,
            sender=entry.sender,
            text=entry.body,
            encoding=Encoding.AUTO if parsed.unicode else Encoding.GSM7,
            reference=f"{parsed.global_id}:{ordinal}" if parsed.global_id else None,
            callback_url=parsed.callback_url if parsed.delivery else None,
            scheduled_at=entry.scheduled_at,
            tag=tag,
            udh=entry.udh,
        ),
        ids or (None,) * len(entry.destinations),
    )


def _stored(planned: Planned, accepted: Accepted) -> list[Outcome]:
    ids = _ids_of(planned, len(accepted.messages))
    return [
        Outcome(m.to, i, m.id, m.parts, 200, accepted.replayed)
        for m, i in zip(accepted.messages, ids, strict=True)
    ]


def _ids_of(planned: Planned, count: int) -> Sequence[str | None]:
    ids = planned.client_ids
    return ids if len(ids) == count else (None,) * count
