"""SMSC's HTTP API (smsc.ru /sys/*.php), wire-compatible: send, status, balance, users,
get (statistics, history, MO) and senders, over GET or POST, in fmt 0-3 and the request's charset.

Each endpoint parses its parameters (`parse`), calls the services and renders an
`Answer` (`render`); errors and the request limits (`LoginGuard`) are in `tables`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.compat.dialect import DialectServices
from smsgate.api.compat.smsc import render as out
from smsgate.api.compat.smsc.parse import (
    Params,
    amount,
    answers_query,
    is_decimal,
    parse_time,
    parse_validity,
    period,
    read_params,
    recipients,
)
from smsgate.api.compat.smsc.render import Answer, StatItem, StatLine
from smsgate.api.compat.smsc.tables import LoginGuard, NoSubclient, SharedBalance
from smsgate.core.accounts import Account
from smsgate.core.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    SmsgateError,
    Unauthenticated,
)
from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Message
from smsgate.core.money import format_amount
from smsgate.core.senders import check_sender
from smsgate.services.inbound import MAX_PAGE, StoredInbound
from smsgate.services.statistics import Dimension
from smsgate.services.submit import SubmitCommand

Handler = Callable[[Account, Params], Awaitable[Answer]]

_INCOMING = frozenset({EntryKind.TOPUP, EntryKind.TRANSFER_IN})
# send.php message types other than SMS: refused rather than sent as a plain SMS.
_OTHER_KINDS = ("flash", "push", "hlr", "bin", "ping", "mms", "mail", "call", "viber", "soc")


class SmscApi:
    def __init__(self, services: DialectServices, *, guard: LoginGuard | None = None) -> None:
        self.s = services
        self.guard = guard or LoginGuard()
        self._last_id = 0

    def routes(self) -> list[BaseRoute]:
        handlers: tuple[Handler, ...] = (
            self.send,
            self.status,
            self.balance,
            self.users,
            self.get,
            self.senders,
        )
        return [
            Route(
                f"/sys/{h.__name__}.php",
                self._endpoint(h, send=h == self.send),
                methods=["GET", "POST"],
                name=f"smsc_{h.__name__}",
            )
            for h in handlers
        ]

    def _endpoint(
        self, handler: Handler, *, send: bool
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                params = await read_params(request, self.s.max_body_bytes)
            except SmsgateError:
                return out.unreadable(send=send)
            raw_id = params.get("id") if send else ""
            echo = int(raw_id) if is_decimal(raw_id) else (raw_id or None)
            try:
                answer = await self._run(request, params, handler)
            except Exception as exc:
                answer = out.error_reply(request, exc, send=send, message_id=echo)
            return out.respond(answer, params.fmt, params.charset)

        return endpoint

    async def _run(self, request: Request, params: Params, handler: Handler) -> Answer:
        ip = request.client.host if request.client else ""
        account = await self._login(ip, params)
        self.guard.enter(account.name)
        try:
            return await handler(account, params)
        finally:
            self.guard.leave(account.name)

    async def _login(self, ip: str, params: Params) -> Account:
        key, login, password = params.get("apikey"), params.get("login"), params.get("psw")
        try:
            if key:
                account = await self.s.auth.by_api_key(key, ip)
            elif login and password:
                account = await self.s.auth.by_password(login, password, ip)
            else:
                raise Unauthenticated("login and psw, or apikey, are required")
        except Unauthenticated:
            raise Unauthenticated("invalid login or password") from None
        if not account.is_active:
            raise Unauthenticated("account is suspended")
        try:
            await self.s.policies.check_address(account.id, ip)
        except Forbidden as exc:
            # SMSC answers an address off the allow-list as a failed login (error 2).
            raise Unauthenticated(exc.message) from None
        return account

    # --- send.php ---------------------------------------------------------------------

    async def send(self, account: Account, p: Params) -> Answer:
        kinds = [k for k in _OTHER_KINDS if p.flag(k)]
        if kinds:
            raise InvalidRequest(f"{kinds[0]} messages are not supported", field=kinds[0])
        cost_mode = p.number("cost", 0, 3, 0)
        client_id = p.number("id", 1, 2_147_483_647, 0)
        lines = recipients(p)
        sender = p.get("sender") or await self._default_sender(account)
        base = SubmitCommand(
            to=(),
            sender=sender,
            text="",
            scheduled_at=parse_time(p.get("time"), self.s.clock.now(), p.number("tz", -24, 24, 0)),
            validity=parse_validity(p.get("valid")),
            transliterate=p.flag("translit"),
        )
        commands = [replace(base, to=to, text=text) for to, text in lines]
        quotes = [await self.s.submit.quote(account, c) for c in commands]
        maxsms = p.number("maxsms", 0, 1000, 0)
        if maxsms and any(q.parts > maxsms for q in quotes):
            raise InvalidRequest(f"the message needs more than {maxsms} parts", field="maxsms")
        parts = sum(q.parts * len(q.lines) for q in quotes)
        cost = sum(q.cost for q in quotes)
        if cost_mode == 1:
            return out.record((("cost", format_amount(cost)), ("cnt", parts)))
        # Every line is priced first, so a bad one stores nothing; the payer's balance
        # covers them all unless another request spends it in between.
        message_id = await self._submit_all(account, commands, client_id)
        fields: list[tuple[str, out.Value]] = [("id", message_id), ("cnt", parts)]
        if cost_mode >= 2:
            fields.append(("cost", format_amount(cost)))
        if cost_mode == 3:
            balance, _, _ = await self.s.accounts.balance(account)
            fields.append(("balance", format_amount(balance)))
        answer = out.record(fields)
        text = f"OK - {parts} SMS, ID - {message_id}"
        text += "".join(f", {k.upper()} - {v}" for k, v in fields[2:])
        return replace(answer, text=text)

    async def _submit_all(
        self, account: Account, commands: list[SubmitCommand], client_id: int
    ) -> int:
        """Submit each line under reference <id>, <id>-2, ...; a generated id that
        meets an earlier request of the account is replaced, never replayed."""
        for _ in range(5):
            message_id = client_id or self.new_message_id()
            first = replace(commands[0], reference=str(message_id))
            accepted = await self.s.submit.submit(account, first)
            if not accepted.replayed or client_id:
                break
        else:
            raise Conflict("could not find a free message id")
        for n, command in enumerate(commands[1:], 2):
            await self.s.submit.submit(account, replace(command, reference=f"{message_id}-{n}"))
        return message_id

    async def _default_sender(self, account: Account) -> str:
        """SMSC's default sender: the first registered one, else the login itself."""
        for registered in await self.s.senders.list(account):
            return registered.sender
        try:
            return check_sender(account.name)
        except InvalidRequest as exc:
            raise InvalidRequest("sender is required (or register one with senders.php)") from exc

    # --- status.php -------------------------------------------------------------------

    async def status(self, account: Account, p: Params) -> Answer:
        ids, phones = p.get("id").split(","), p.get("phone").split(",")
        many = len(ids) > 1 or p.get("id").endswith(",")
        pairs = [(i.strip(), ph.strip()) for i, ph in zip(ids, phones, strict=False) if i.strip()]
        if not pairs or len(ids) != len(phones):
            raise InvalidRequest("id and phone lists must match", field="id")
        full = p.number("all", 0, 2, 0)
        rows = [
            out.status_fields(await self._find(account, message_id, phone), full)
            for message_id, phone in pairs
        ]
        keys = [(("id", i), ("phone", ph)) for i, ph in pairs] if many else None
        return out.status_answer(rows, keys)

    async def _find(self, account: Account, message_id: str, phone: str) -> Message | None:
        wanted = out.digits(phone)
        for n in range(1, 1001):
            reference = message_id if n == 1 else f"{message_id}-{n}"
            batch = await self.s.statistics.sent_with_reference(account, reference)
            if not batch:
                return None
            for message in batch:
                if out.digits(message.to) == wanted:
                    return message
        return None

    # --- balance.php ------------------------------------------------------------------

    async def balance(self, account: Account, p: Params) -> Answer:
        balance, currency, _ = await self.s.accounts.balance(account)
        fields: list[tuple[str, out.Value]] = [("balance", format_amount(balance))]
        if p.flag("cur"):
            fields.append(("currency", currency))
        answer = out.record(fields)
        return replace(answer, text=" ".join(str(v) for _, v in fields))

    # --- users.php --------------------------------------------------------------------

    async def users(self, account: Account, p: Params) -> Answer:
        if p.flag("add"):
            return await self._add_user(account, p)
        if p.flag("get_stat") or p.flag("get_stat_all"):
            return await self._stats(account, await self._children(account, p), p)
        if not (p.flag("chg") or p.flag("pay")):
            raise InvalidRequest("one of add, chg, pay, get_stat, get_stat_all is required")
        child = (await self._children(account, p, one=True))[0]
        self.guard.change(account.id, child.name)
        if p.flag("pay"):
            if not child.own_balance:
                raise SharedBalance("this sub-client shares the main balance")
            await self.s.accounts.transfer(account, child, amount(p.get("sum"), "sum"))
            return out.ok()
        password = p.get("password")
        if not password:
            raise InvalidRequest("nothing to change", field="password")
        await self.s.accounts.set_password(child, password)
        return out.ok()

    async def _add_user(self, account: Account, p: Params) -> Answer:
        login = p.get("user")
        if not login:
            raise InvalidRequest("user is required", field="user")
        self.guard.change(account.id, login)
        kind = p.number("type", 0, 4, 0)
        created = await self.s.accounts.create(
            login, parent=account, own_balance=kind in (0, 1), password=p.get("password") or None
        )
        return out.created(created.account.id)

    async def _children(self, account: Account, p: Params, *, one: bool = False) -> list[Account]:
        """The sub-clients named by `user` or `user_id`, else all (filtered by `reseller`)."""
        user, user_id = p.get("user"), p.get("user_id")
        if one and not user:
            raise InvalidRequest("user is required", field="user")
        children = await self.s.accounts.list_accounts(account)
        if user or user_id:
            children = [c for c in children if c.name == user or str(c.id) == user_id]
            if not children:
                raise NoSubclient("no such sub-client")
        elif p.get("reseller") in ("0", "1"):
            children = [c for c in children if c.own_balance == (p.get("reseller") == "1")]
        if not children:
            raise NotFound("no sub-clients")
        return children

    # --- get.php ----------------------------------------------------------------------

    async def get(self, account: Account, p: Params) -> Answer:
        if p.flag("get_stat"):
            return await self._stats(account, [account], p)
        if p.flag("get_messages"):
            return await self._history(account, p, self.s.clock.now())
        if p.flag("get_answers"):
            return await self._answers(account, p)
        raise InvalidRequest("one of get_stat, get_messages, get_answers is required")

    async def _history(self, account: Account, p: Params, now: float) -> Answer:
        if p.get("start"):
            start, end = period(p, now)
        else:
            start, end = now - p.number("hour", 1, 168, 24) * 3600, now + 1
        limit = p.number("cnt", 1, 1000, 100)
        page, _ = await self.s.messages.page(
            account, since=start, limit=limit, cursor=p.get("prev_id") or None
        )
        wanted = out.digits(p.get("phone"))
        rows = [
            (
                ("id", m.reference or ""),
                ("int_id", m.id),
                *out.status_fields(m, 1),
            )
            for m in page
            if m.created_at < end and (not wanted or out.digits(m.to) == wanted)
        ]
        if not rows:
            raise NotFound("no messages")
        return out.records(rows, item="message")

    async def _answers(self, account: Account, p: Params) -> Answer:
        """The account's MO above `after_id`, oldest first: the `cnt` oldest of them when
        `after_id` is given (so that polling with the last id seen misses none), else
        the `cnt` newest."""
        query = answers_query(p, self.s.clock.now())
        kept: list[StoredInbound] = []  # newest first
        cursor: str | None = None
        while True:
            page, cursor = await self.s.inbound.page(
                account, number=query.to_phone, since=query.since, limit=MAX_PAGE, cursor=cursor
            )
            above = [mo for mo in page if mo.id > query.after_id]
            kept.extend(above)
            if query.after_id:
                del kept[: -query.cnt]
            elif len(kept) >= query.cnt:
                del kept[query.cnt :]
                break
            if cursor is None or len(above) < len(page):
                break
        if not kept:
            raise NotFound("no inbound messages")
        return out.answers(sorted(kept, key=lambda mo: mo.id))

    # --- senders.php ------------------------------------------------------------------

    async def senders(self, account: Account, p: Params) -> Answer:
        if p.flag("get"):
            found = await self.s.senders.list(account)
            if not found:
                raise NotFound("no sender ids")
            rows = [(("id", s.id), ("sender", s.sender), ("status", s.status)) for s in found]
            return out.records(rows, item="sender")
        if p.flag("add"):
            added = await self.s.senders.add(account, p.get("sender"))
            return out.created(added.id)
        if p.flag("del"):
            sender_id = p.number("id", 1, 2**31 - 1, 0) or None
            if not sender_id and not p.get("sender"):
                raise InvalidRequest("sender or id is required", field="sender")
            await self.s.senders.delete(
                account, sender=p.get("sender") or None, sender_id=sender_id
            )
            return out.ok()
        raise InvalidRequest("one of get, add, del is required")

    async def _stats(self, actor: Account, accounts: list[Account], p: Params) -> Answer:
        """get_stat: per account, SMS parts, money spent ("credit") and received
        ("debit"), MO received ("answers"); get_stat_all: the same per connector, our
        "operator", without MO."""
        start, end = period(p, self.s.clock.now())
        lines, users = [], []
        for account in accounts:
            groups = await self.s.statistics.report(
                actor, since=start, until=end, by=(Dimension.CONNECTOR,), account=account
            )
            received = sum(
                e.amount
                for e in await self.s.accounts.ledger(account, limit=10_000)
                if e.kind in _INCOMING and start <= e.created_at < end
            )
            parts, spent = sum(g.totals.parts for g in groups), sum(g.totals.cost for g in groups)
            money = (format_amount(spent), format_amount(received), account.currency)
            mo = await self.s.statistics.inbound(actor, since=start, until=end, account=account)
            answers = sum(t.messages for t in mo)
            lines.append(StatLine(account.name, parts, *money, answers))
            zero = format_amount(0)
            items = [
                StatItem(
                    "SMS",
                    g.connector or "",
                    "",
                    g.totals.parts,
                    format_amount(g.totals.cost),
                    zero,
                    g.currency,
                )
                for g in groups
            ]
            if items:
                users.append((account.name, items))
        if not p.flag("get_stat_all"):
            return out.stat(lines)
        if not users:
            raise NotFound("no records")
        return out.stat_all(users)

    def new_message_id(self) -> int:
        """An id for a send that brought none: milliseconds, above any 32-bit client id."""
        self._last_id = max(self._last_id + 1, time.time_ns() // 1_000_000)
        return self._last_id
