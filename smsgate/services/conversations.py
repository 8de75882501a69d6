"""Two-way use cases over an account's MO: the send that replies to one MO (from the
number it came in on, to its sender) and the conversation with one number, its MT and
MO merged in time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRecipient, InvalidRequest
from smsgate.core.messages import Status
from smsgate.core.storable import check_storable
from smsgate.services.inbound import InboundQuery, InboundService
from smsgate.services.inbound_numbers import normalise_number
from smsgate.services.numbers import to_e164
from smsgate.services.ports import MessageQuery, Store
from smsgate.services.submit import SubmitCommand

MAX_CONVERSATION = 1000
MSISDN_MAX = 64


@dataclass(frozen=True, slots=True)
class ConversationItem:
    """One message of a conversation: an MT sent to the number (with its `status`) or an
    MO received from it (`status` None); `at` is when it was created or received."""

    direction: Literal["mt", "mo"]
    id: str
    source: str
    destination: str
    text: str
    status: Status | None
    at: float


@dataclass(frozen=True, slots=True)
class Conversation:
    """A page of a conversation, newest first; `next_before` is the `before` of the next
    page (None when this is the last)."""

    msisdn: str
    items: tuple[ConversationItem, ...]
    next_before: float | None


@dataclass(eq=False, slots=True)
class ConversationService:
    """Replies to an account's MO and reads its conversations; `inbound` owns the MO."""

    store: Store
    inbound: InboundService

    async def reply_command(
        self,
        account: Account,
        inbound_id: int,
        text: str,
        *,
        callback_url: str | None = None,
        reference: str | None = None,
    ) -> SubmitCommand:
        """The send that answers the account's MO `inbound_id`: to its sender, from the
        number it came in on (a short code as its digits, a long number in E.164 with
        '+'). NotFound when the account has no such MO; the send is checked, priced and
        charged by `SubmitService.submit` as any other."""
        mo = await self.inbound.get(account, inbound_id)
        sender = normalise_number(mo.destination) or mo.destination
        return SubmitCommand(
            to=(mo.source,),
            sender=sender,
            text=text,
            reference=reference,
            callback_url=callback_url,
        )

    async def conversation(
        self, account: Account, msisdn: str, *, before: float | None = None, limit: int = 100
    ) -> Conversation:
        """The account's MT to `msisdn` and MO from it, created or received before
        `before` when given, newest first, at most `limit`."""
        if not 1 <= limit <= MAX_CONVERSATION:
            raise InvalidRequest(f"limit must be 1-{MAX_CONVERSATION}", field="limit")
        number = _msisdn(msisdn, account.default_country)
        sent = await self.store.messages(
            account.id, MessageQuery(limit + 1, to=number, until=before)
        )
        received = await self.inbound.store.inbound_messages(
            InboundQuery(limit + 1, account_id=account.id, source=number, until=before)
        )
        items = [
            ConversationItem("mt", m.id, m.sender, m.to, m.text, m.status, m.created_at)
            for m in sent
        ]
        items += [
            ConversationItem("mo", str(m.id), m.source, m.destination, m.text, None, m.received_at)
            for m in received
        ]
        items.sort(key=lambda item: (item.at, item.direction, item.id), reverse=True)
        page = items[:limit]
        more = len(items) > limit
        return Conversation(number, tuple(page), page[-1].at if more and page else None)


def _msisdn(raw: str, default_country: str) -> str:
    """`raw` in E.164 (national numbers in the account's country); InvalidRequest
    naming `msisdn` otherwise."""
    check_storable(raw, "msisdn")
    if not 0 < len(raw) <= MSISDN_MAX:
        raise InvalidRequest(f"msisdn must be 1-{MSISDN_MAX} characters", field="msisdn")
    try:
        return to_e164(raw, default_country)
    except InvalidRecipient as exc:
        raise InvalidRequest(f"msisdn {raw!r} is not a phone number", field="msisdn") from exc
