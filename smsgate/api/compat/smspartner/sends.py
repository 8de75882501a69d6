"""SMS Partner `POST /v1/send`: one text to `phoneNumbers`, or an `SMSList` of texts.

An SMSList is checked whole first (every item quoted, the total against the balance),
so a bad item changes nothing; then each item is one submission, answered per item.
`sandbox=1` only quotes: nothing is stored or charged.
"""

from __future__ import annotations

from smsgate.api.compat.smspartner.parse import Params, submit_commands
from smsgate.api.compat.smspartner.render import Body, Value, amount
from smsgate.api.compat.smspartner.render import success as ok
from smsgate.api.compat.smspartner.tables import Family, sp_code
from smsgate.core.accounts import Account
from smsgate.core.errors import InsufficientCredit, SmsgateError
from smsgate.services.accounts import AccountService
from smsgate.services.submit import Quote, SubmitCommand, SubmitService


class SendEndpoint:
    def __init__(self, submit: SubmitService, accounts: AccountService) -> None:
        self._submit = submit
        self._accounts = accounts

    async def send(self, params: Params, account: Account) -> Body:
        commands = submit_commands(params)
        sandbox = params.flag("sandbox")
        if params.raw("SMSList"):
            return await self._send_list(account, commands, sandbox)
        command = commands[0]
        if sandbox:
            quote = await self._submit.quote(account, command)
            return ok(
                message_id=None,
                nb_sms=sum(line.parts for line in quote.lines),
                cost=amount(quote.cost),
                currency=quote.currency,
            )
        accepted = await self._submit.submit(account, command)
        messages = accepted.messages
        return ok(
            message_id=accepted.batch_id,
            nb_sms=sum(m.parts for m in messages),
            cost=amount(sum(m.cost for m in messages)),
            currency=messages[0].currency if messages else account.currency,
        )

    async def _send_list(
        self, account: Account, commands: list[SubmitCommand], sandbox: bool
    ) -> Body:
        quotes = [await self._submit.quote(account, command) for command in commands]
        total = sum(q.cost for q in quotes)
        currency = quotes[0].currency if quotes else account.currency
        if sandbox:
            items: list[Value] = [_item(q, None) for q in quotes]
            return _list_body(None, currency, total, quotes, items)
        balance, _, _ = await self._accounts.balance(account)
        if total > balance:
            raise InsufficientCredit("insufficient credit for this request")
        items = []
        first_id: str | None = None
        spent = 0
        for command, quote in zip(commands, quotes, strict=True):
            try:
                accepted = await self._submit.submit(account, command)
            except SmsgateError as exc:
                # Another request spent the credit in between: this item alone fails.
                items.append(_failed(quote, sp_code(exc, Family.SEND)))
                continue
            first_id = first_id or accepted.batch_id
            spent += sum(m.cost for m in accepted.messages)
            items.append(_item(quote, accepted.batch_id))
        return _list_body(first_id, currency, spent, quotes, items)


def _list_body(
    message_id: str | None, currency: str, cost: int, quotes: list[Quote], items: list[Value]
) -> Body:
    return ok(
        message_id=message_id,
        currency=currency,
        cost=amount(cost),
        nbSMS=sum(line.parts for q in quotes for line in q.lines),
        SMSResponse_List=items,
    )


def _item(quote: Quote, message_id: str | None) -> Value:
    line = quote.lines[0]
    return {
        "success": True,
        "code": 200,
        "nbSms": line.parts,
        "cost": amount(line.cost),
        "phoneNumber": line.to,
        "messageId": message_id,
    }


def _failed(quote: Quote, code: int) -> Value:
    line = quote.lines[0]
    return {
        "success": False,
        "code": code,
        "nbSms": 0,
        "cost": amount(0),
        "phoneNumber": line.to,
        "messageId": None,
    }
