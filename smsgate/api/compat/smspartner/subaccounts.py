"""SMS Partner sub-accounts: create, list, remove (suspend) and move credit.

A sub-account's `token` is its smsgate account name; credit moves only through
`AccountService.transfer`, from the payer of the calling account or back to it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from smsgate.api.compat.smspartner.parse import Params, page_number
from smsgate.api.compat.smspartner.render import Body, Value, amount
from smsgate.api.compat.smspartner.render import success as ok
from smsgate.api.compat.smspartner.tables import EmptyBalance, MissingParameter
from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.errors import Forbidden, InsufficientCredit, InvalidRequest
from smsgate.services.accounts import AccountService

TYPES = frozenset({"simple", "advanced"})
PAGE_SIZE = 20
NAME_MAX = 16
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]")


def name_for_email(email: str) -> str:
    """The account name a sub-account gets: its e-mail's local part, made a valid name."""
    local, at, domain = email.partition("@")
    name = _NOT_NAME.sub("", local)[:NAME_MAX]
    if not at or not domain or not name:
        raise InvalidRequest("email must be a valid address", field="email")
    return name


class SubaccountEndpoints:
    def __init__(self, accounts: AccountService) -> None:
        self._accounts = accounts

    async def create(self, params: Params, account: Account) -> Body:
        kind = params.required("type")
        if kind not in TYPES:
            raise InvalidRequest("type must be simple or advanced", field="type")
        details = params.nested("parameters")
        email = details.required("email")
        if kind == "advanced" and details.text("isBuyer") is None:
            raise MissingParameter("isBuyer is required", field="isBuyer")
        credit = 0
        if details.text("creditToAttribute") is not None:
            credit = details.amount("creditToAttribute")
            if credit <= 0:
                raise InvalidRequest("creditToAttribute must be above 0", field="creditToAttribute")
        name = name_for_email(email)
        if credit:
            # create() stores the account before it moves the credit: refuse first.
            balance, _, _ = await self._accounts.balance(account)
            if credit > balance:
                raise InsufficientCredit("insufficient credit for creditToAttribute")
        created = await self._accounts.create(name, parent=account, credit=credit)
        return ok(
            subaccount={"email": email, "token": created.account.name, "apiKey": created.api_key},
            sendConfirmMailTo=None,
            parent_email=None,
        )

    async def list(self, params: Params, account: Account) -> Body:
        page = page_number(params)
        children = sorted(await self._accounts.list_accounts(account), key=lambda a: a.id)
        chosen = children[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        data: list[Value] = [
            {
                "id": child.id,
                "email": None,
                "type": None,
                "token": child.name,
                "apiKey": None,
                "createdAt": datetime.fromtimestamp(child.created_at, UTC).isoformat(),
                "credits": {"balance": str(amount(child.balance)), "currency": child.currency},
            }
            for child in chosen
        ]
        return ok(total=len(children), nb_per_page=PAGE_SIZE, page=page, data=data)

    async def remove(self, params: Params, account: Account) -> Body:
        child = await self._child(account, params.required("token"))
        await self._accounts.set_status(child, AccountStatus.SUSPENDED)
        return ok()

    async def credit_add(self, params: Params, account: Account) -> Body:
        return await self._move(params, account, give=True)

    async def credit_remove(self, params: Params, account: Account) -> Body:
        return await self._move(params, account, give=False)

    async def _move(self, params: Params, account: Account, *, give: bool) -> Body:
        credit = params.amount("credit")
        if credit <= 0:
            raise InvalidRequest("credit must be above 0", field="credit")
        child = await self._child(account, params.required("tokenSubaccount"))
        giver_balance, _, _ = await self._accounts.balance(account if give else child)
        if giver_balance == 0:
            raise EmptyBalance("the account that gives credit has none")
        payer_entry, child_entry = await self._accounts.transfer(
            account, child, credit if give else -credit
        )
        return ok(
            credit=amount(payer_entry.balance_after),
            subaccountCredit=amount(child_entry.balance_after),
            currency=child.currency,
        )

    async def _child(self, account: Account, name: str) -> Account:
        child = await self._accounts.get(name)
        if child.parent_id != account.id:
            raise Forbidden("not a sub-account of this account")
        return child
