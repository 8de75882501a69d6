"""The inbound (MO) use case: keep a message an operator delivered, routed to an account
(by number, keyword, or as a reply) or unrouted; act on STOP/START; read an account's MO.
`receive` and `receive_part` return once it is committed, so a connector acknowledges
only what is: the parts of a concatenated MO wait in the store for the last one, and the
message is stored and its parts dropped in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import KW_ONLY, astuple, dataclass, field, replace
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRequest, NotFound, SmsgateError
from smsgate.core.storable import check_storable, storable
from smsgate.services.counters import Counters
from smsgate.services.inbound_numbers import (
    InboundNumber,
    MoRouting,
    NumberService,
    NumberStore,
    fold,
    normalise_number,
)
from smsgate.services.inbound_plan import (
    NO_EFFECTS,
    STOP_ADD,
    InboundSettings,
    InboundSettingsService,
    InboundSettingsStore,
    MoEffects,
    plan,
)
from smsgate.services.ports import Clock
from smsgate.services.stoplist import StopListService
from smsgate.services.submit import SubmitService
from smsgate.text import ConcatInfo, Encoding, TextError, check_concat, decode

log = logging.getLogger(__name__)

# An incomplete concatenated MO waits this long for its other parts, then is dropped.
PARTS_KEPT_FOR = 600.0
# An MO to no known number is a reply to the latest message sent to its source from that
# number within this long.
REPLY_WINDOW = 30 * 86400.0
MAX_PAGE = 1000
# why an MO's text is kept as its raw bytes' hex (see InboundMessage.flag)
FLAG_CODING = "bad_coding"
FLAG_UDH = "bad_udh"


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One whole MO as it is stored: routed to `account_id` (by `keyword` on a shared
    number), or not when None."""

    connector: str
    source: str
    destination: str
    text: str
    encoding: str
    parts: int
    received_at: float
    account_id: int | None = None
    keyword: str | None = None
    flag: str | None = None  # why the text is the raw bytes' hex: FLAG_CODING, FLAG_UDH


@dataclass(frozen=True, slots=True)
class StoredInbound:
    """An MO as it is read back, with its id."""

    id: int
    connector: str
    source: str
    destination: str
    text: str
    encoding: str
    parts: int
    received_at: float
    account_id: int | None
    keyword: str | None
    flag: str | None = None


def stored(inbound_id: int, mo: InboundMessage) -> StoredInbound:
    """`mo` as it is read back under its id."""
    return StoredInbound(inbound_id, *astuple(mo))


@dataclass(frozen=True, slots=True)
class InboundQuery:
    """Which MO `InboundStore.inbound_messages` returns, newest first: at most `limit`;
    of `account_id` (every account's when None), only unrouted ones when `unrouted`; to
    `destination`, from `source` (with or without '+'), with `keyword`, received in
    [since, until), with an id below `before_id`, for each one that is given."""

    limit: int
    account_id: int | None = None
    unrouted: bool = False
    destination: str | None = None
    keyword: str | None = None
    since: float | None = None
    until: float | None = None
    before_id: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class InboundPart:
    """One part of a concatenated MO, as its connector received it."""

    connector: str
    source: str
    destination: str
    reference: int
    total: int
    sequence: int
    payload: bytes
    received_at: float

    @property
    def message(self) -> tuple[str, str, str, int, int]:
        """(connector, source, destination, reference, total): the message it is part of."""
        return (self.connector, self.source, self.destination, self.reference, self.total)

    def joined(self, text: str, encoding: str) -> InboundMessage:
        """Its whole message, once every part is in and `text` is what they make."""
        return InboundMessage(
            self.connector,
            self.source,
            self.destination,
            text,
            encoding,
            self.total,
            self.received_at,
        )


# The payloads of every part of one message, in sequence order -> the message to store
# and what storing it does.
JoinParts = Callable[[list[bytes]], tuple[InboundMessage, MoEffects]]


@runtime_checkable
class InboundStore(NumberStore, InboundSettingsStore, Protocol):
    async def add_inbound(self, mo: InboundMessage, effects: MoEffects = NO_EFFECTS) -> int:
        """Store one MO and, when it is routed to an account, apply `effects` in the same
        transaction; returns its id once committed."""
        ...

    async def add_inbound_part(
        self, part: InboundPart, join: JoinParts, stale_before: float
    ) -> int | None:
        """Keep one part (a repeat replaces the earlier copy) and drop the parts received
        before `stale_before`. Once every part of its message is in, store the message
        `join` makes of their payloads with its effects and drop its parts, in the same
        transaction, and return the message's id; else None. Either way, what was kept is
        committed."""
        ...

    async def reply_to(
        self, to: list[str], senders: list[str], since: float
    ) -> tuple[int, str | None] | None:
        """(account, reply_url) of the latest message created at or after `since` to one
        of `to` from one of `senders`; None when there is none."""
        ...

    async def inbound_messages(self, query: InboundQuery) -> list[StoredInbound]:
        """The MO that match `query`, newest first."""
        ...

    async def inbound_message(self, inbound_id: int) -> StoredInbound | None: ...

    async def account(self, account_id: int) -> Account | None: ...


def mo_text(body: bytes, encoding: Encoding) -> tuple[str, str]:
    """An MO's text and the encoding it is stored under; bytes that do not decode, text
    no store holds (U+0000), and binary messages are kept as hex under `binary`."""
    if encoding is not Encoding.BINARY:
        try:
            text = decode(body, encoding)
        except TextError:
            pass
        else:
            if storable(text):
                return text, encoding.value
    return body.hex(), Encoding.BINARY.value


def _forms(number: str) -> list[str]:
    """The ways a number may be written in a message row: with and without '+'."""
    digits = number.removeprefix("+")
    return [digits, "+" + digits] if digits.isdigit() else [number]


@dataclass(eq=False, slots=True)
class InboundService:
    """Stores, routes and reads MO; `numbers` and `settings` are the routing table's and
    the accounts' inbound settings' sources (over `store` when not given), `stop_list`'s
    cache forgets what STOP/START changed, `submit` sends the accounts' STOP/START
    confirmations, `stats` counts MO."""

    store: InboundStore
    clock: Clock
    _: KW_ONLY
    numbers: NumberService | None = None
    settings: InboundSettingsService | None = None
    stop_list: StopListService | None = None
    submit: SubmitService | None = None
    stats: Counters | None = None
    _routing: NumberService = field(init=False)
    _settings: InboundSettingsService = field(init=False)

    def __post_init__(self) -> None:
        self._routing = self.numbers or NumberService(self.store, self.clock)
        self._settings = self.settings or InboundSettingsService(self.store, self.clock)

    async def receive(
        self,
        connector: str,
        source: str,
        destination: str,
        text: str,
        encoding: str,
        parts: int,
        *,
        flag: str | None = None,
    ) -> int:
        """Store a whole MO, routed, with its effects; `flag` says why `text` is the raw
        bytes' hex (FLAG_CODING, FLAG_UDH)."""
        now = self.clock.now()
        route = await self._router(source, destination)
        mo = InboundMessage(connector, source, destination, text, encoding, parts, now, flag=flag)
        routed, effects = route(mo)
        inbound_id = await self.store.add_inbound(routed, effects)
        await self._received(routed, effects)
        return inbound_id

    async def receive_part(
        self,
        connector: str,
        source: str,
        destination: str,
        concat: ConcatInfo,
        payload: bytes,
        encoding: Encoding,
        *,
        flag: str | None = None,
    ) -> int | None:
        """Keep one part of a concatenated MO; returns the message's id once it is whole.

        Raises InvalidConcat (a TextError) for numbering no part can have. The payloads
        are decoded only when joined: a UCS-2 character or a GSM escape may straddle two
        parts; joined bytes that do not decode are kept as hex, flagged FLAG_CODING, as
        are those of a part received with `flag` FLAG_CODING (an unknown data_coding)."""
        check_concat(concat)
        now = self.clock.now()
        part = InboundPart(
            connector,
            source,
            destination,
            concat.reference,
            concat.total,
            concat.sequence,
            payload,
            now,
        )
        route = await self._router(source, destination)
        whole: list[tuple[InboundMessage, MoEffects]] = []

        def join(payloads: list[bytes]) -> tuple[InboundMessage, MoEffects]:
            text, stored_as = mo_text(b"".join(payloads), encoding)
            mo = part.joined(text, stored_as)
            if flag is not None or stored_as != encoding.value:
                mo = replace(mo, flag=flag or FLAG_CODING)
            whole.append(route(mo))
            return whole[-1]

        inbound_id = await self.store.add_inbound_part(part, join, now - PARTS_KEPT_FOR)
        if inbound_id is not None and whole:
            await self._received(*whole[-1])
        return inbound_id

    async def _router(self, source: str, destination: str) -> Route:
        """What routes an MO from `source` to `destination` and plans its effects, once
        its text is known: by the number it came in on, else as a reply to a message sent
        from that number."""
        routing: MoRouting = await self._routing.routing()
        settings = await self._settings.all()
        number = routing.number(destination)
        if number is not None:

            def by_number(mo: InboundMessage) -> tuple[InboundMessage, MoEffects]:
                account_id, keyword = routing.route(number, mo.text)
                return _planned(_routed(mo, account_id, keyword), number, settings, None)

            return by_number
        reply = await self._reply_to(source, destination)
        account_id, reply_url = reply if reply is not None else (None, None)
        return lambda mo: _planned(_routed(mo, account_id, None), None, settings, reply_url)

    async def _reply_to(self, source: str, destination: str) -> tuple[int, str | None] | None:
        sender, to = normalise_number(destination), normalise_number(source)
        if sender is None or to is None:
            return None
        since = self.clock.now() - REPLY_WINDOW
        return await self.store.reply_to(_forms(to), _forms(sender), since)

    async def _received(self, mo: InboundMessage, effects: MoEffects) -> None:
        """Count the stored MO; the STOP list's cache forgets what it changed, and the
        sender gets the account's confirmation of it."""
        if self.stats is not None:
            self.stats.add("inbound_routed" if mo.account_id else "inbound_unrouted")
        if effects.stop is not None and mo.account_id:
            if self.stop_list is not None:
                self.stop_list.forget(mo.account_id)
            await self._confirm(mo.account_id, mo.destination, *effects.stop)

    async def _confirm(self, account_id: int, number: str, command: str, to: str) -> None:
        """Send the account's stop_reply (STOP) or start_reply (START), when it has one,
        to `to` from the `number` the MO came in on, charged as any send. The MO is
        kept either way: a confirmation the account cannot send is logged."""
        settings = (await self._settings.all()).get(account_id)
        if self.submit is None or settings is None:
            return
        text = settings.stop_reply if command == STOP_ADD else settings.start_reply
        account = await self.store.account(account_id)
        if text is None or account is None:
            return
        sender = normalise_number(number) or number
        try:
            await self.submit.confirm_stop(account, to, sender, text)
        except SmsgateError as exc:
            log.warning("STOP confirmation to %s not sent: %s", to, exc.message)

    async def get(self, account: Account, inbound_id: int) -> StoredInbound:
        """The account's MO; NotFound when it has no such MO."""
        mo = await self.store.inbound_message(inbound_id)
        if mo is None or mo.account_id != account.id:
            raise NotFound(f"no inbound message {inbound_id}")
        return mo

    async def page(
        self,
        account: Account | None,
        *,
        unrouted: bool = False,
        number: str | None = None,
        keyword: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[StoredInbound], str | None]:
        """A page of MO (an account's, or every one when None), newest first, and the
        cursor of the next page."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be 1-{MAX_PAGE}", field="limit")
        check_storable(cursor, "cursor")
        check_storable(number, "number")
        check_storable(keyword, "keyword")
        before = None
        if cursor is not None:
            if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
                raise InvalidRequest("cursor is not one this API gave", field="cursor")
            before = int(cursor)
        destination = None
        if number is not None:
            destination = normalise_number(number)
            if destination is None:
                raise InvalidRequest(f"number {number!r} is not a number", field="number")
        word = fold(keyword.strip()) if keyword else None
        query = InboundQuery(
            limit + 1,
            account.id if account else None,
            unrouted,
            destination,
            word,
            since,
            until,
            before,
        )
        rows = await self.store.inbound_messages(query)
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (str(rows[-1].id) if more and rows else None)


# An MO, once its text is known -> the MO routed, and what storing it does.
Route = Callable[[InboundMessage], tuple[InboundMessage, MoEffects]]


def _planned(
    mo: InboundMessage,
    number: InboundNumber | None,
    settings: dict[int, InboundSettings],
    reply_url: str | None,
) -> tuple[InboundMessage, MoEffects]:
    if mo.account_id is None:
        return mo, NO_EFFECTS
    return mo, plan(mo.source, mo.text, number, settings.get(mo.account_id), reply_url)


def _routed(mo: InboundMessage, account_id: int | None, keyword: str | None) -> InboundMessage:
    return mo if account_id is None else replace(mo, account_id=account_id, keyword=keyword)
