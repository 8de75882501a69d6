"""Reading and cancelling messages on behalf of the account that owns them."""

from __future__ import annotations

from dataclasses import dataclass

from smsgate.core.accounts import Account
from smsgate.core.errors import Forbidden, InvalidRequest, NotFound
from smsgate.core.messages import Message, Part, Status
from smsgate.core.storable import check_storable, storable
from smsgate.services.ports import Clock, MessageQuery, Store

MAX_PAGE = 1000


@dataclass(eq=False, slots=True)
class MessageService:
    store: Store
    clock: Clock

    async def get(self, account: Account, message_id: str) -> Message:
        """The account's message; NotFound when it does not exist, Forbidden when not its own."""
        message = await self.store.message(message_id) if storable(message_id) else None
        if message is None:
            raise NotFound(f"no message {message_id}")
        if message.account_id != account.id:
            raise Forbidden("this message belongs to another account")
        return message

    async def parts(self, account: Account, message_id: str) -> list[Part]:
        await self.get(account, message_id)
        return await self.store.parts(message_id)

    async def page(
        self,
        account: Account,
        *,
        status: str | None = None,
        batch_id: str | None = None,
        since: float | None = None,
        limit: int = 100,
        cursor: str | None = None,
        to: str | None = None,
        until: float | None = None,
        sender: str | None = None,
        reference: str | None = None,
    ) -> tuple[list[Message], str | None]:
        """A page of the account's messages, newest first, and the cursor of the next page;
        `to` is compared as given (E.164), `sender` and `reference` exactly."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be 1-{MAX_PAGE}", field="limit")
        try:
            wanted = Status(status) if status else None
        except ValueError as exc:
            raise InvalidRequest(f"unknown status {status!r}", field="status") from exc
        check_storable(cursor, "cursor")
        if any(v is not None and not storable(v) for v in (batch_id, to, sender, reference)):
            return [], None  # no message has such a value
        query = MessageQuery(
            limit + 1, wanted, batch_id, since, cursor, to, until, sender, reference
        )
        page = await self.store.messages(account.id, query)
        more = len(page) > limit
        page = page[:limit]
        return page, (page[-1].id if more and page else None)

    async def cancel(self, account: Account, message_id: str) -> Message:
        """Cancel a scheduled message and refund it."""
        await self.get(account, message_id)
        return await self.store.cancel(message_id, self.clock.now())
