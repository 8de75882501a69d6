"""Inbound numbers and keywords: the numbers MO arrive on, who owns each, the keywords
that share a number between accounts, and `MoRouting`, the table an MO is routed by.
`NumberService` adds, assigns, lists and removes them over the `NumberStore` Protocol and
keeps the routing table for a couple of seconds; a change made in this process is seen
at once.
"""

from __future__ import annotations

import builtins
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRecipient, InvalidRequest, NotFound
from smsgate.core.urls import check_http_url
from smsgate.services.numbers import to_e164
from smsgate.services.ports import Clock

CACHE_SECONDS = 2.0
# The shapes a webhook takes MO in: smsgate's JSON, Agile Telecom's form POST (answered
# `+OK`), SMS Partner's JSON.
NATIVE = "native"
AGILETELECOM = "agiletelecom"
SMSPARTNER = "smspartner"
SHAPES = (NATIVE, AGILETELECOM, SMSPARTNER)
KEYWORD_MAX = 20
_SHORT_CODE = re.compile(r"[0-9]{3,8}")
_KEYWORD = re.compile(r"[A-Z0-9]+")


@dataclass(frozen=True, slots=True)
class InboundNumber:
    """A number MO arrive on: owned by `account_id`, or shared (None), in which case MO
    matching none of its keywords go to `default_account_id` (or stay unrouted)."""

    id: int
    number: str
    account_id: int | None
    default_account_id: int | None
    webhook_url: str | None
    created_at: float
    webhook_shape: str | None = None  # one of inbound_plan.SHAPES; None: native
    price: int = 0  # micro-units debited per MO received on it


@dataclass(frozen=True, slots=True)
class NumberToAdd:
    number: str
    account_id: int | None
    default_account_id: int | None
    webhook_url: str | None
    created_at: float
    webhook_shape: str | None = None
    price: int = 0


@dataclass(frozen=True, slots=True)
class InboundKeyword:
    id: int
    number_id: int
    keyword: str
    account_id: int
    created_at: float


@runtime_checkable
class NumberStore(Protocol):
    async def add_number(self, number: NumberToAdd) -> InboundNumber:
        """Store the number; Conflict when it exists."""
        ...

    async def inbound_numbers(self) -> list[InboundNumber]:
        """Every number, by number."""
        ...

    async def set_number_accounts(
        self, number_id: int, account_id: int | None, default_account_id: int | None
    ) -> bool:
        """Set the owner and the default account; False when there is no such number."""
        ...

    async def set_number_delivery(
        self, number_id: int, webhook_url: str | None, webhook_shape: str | None, price: int
    ) -> bool:
        """Set where and in what shape its MO are posted and what each costs; False when
        there is no such number."""
        ...

    async def remove_number(self, number_id: int) -> bool:
        """Delete the number and its keywords; False when there is no such number."""
        ...

    async def add_keyword(
        self, number_id: int, keyword: str, account_id: int, now: float
    ) -> InboundKeyword:
        """Store the keyword of the number; Conflict when the number has it."""
        ...

    async def inbound_keywords(self) -> list[InboundKeyword]:
        """Every keyword, by number and keyword."""
        ...

    async def remove_keyword(self, number_id: int, keyword: str) -> bool:
        """False when the number has no such keyword."""
        ...


def fold(text: str) -> str:
    """Upper case without accents: 'Infó' -> 'INFO'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def first_word(text: str) -> str:
    """The folded first word of an MO, without the punctuation around it."""
    words = fold(text).split(maxsplit=1)
    return words[0].strip(".,;:!?\"'()") if words else ""


def normalise_number(raw: str) -> str | None:
    """A short code (3-8 digits, '+' ignored) as its digits, a long number in E.164 with
    '+' ('+' optional, '00' too); None when it is neither."""
    text = raw.strip().replace(" ", "")
    if _SHORT_CODE.fullmatch(text.removeprefix("+")):
        return text.removeprefix("+")
    if text.startswith("00"):
        text = "+" + text[2:]
    elif not text.startswith("+"):
        text = "+" + text
    try:
        return to_e164(text, "")
    except InvalidRecipient:
        return None


def parse_number(raw: str) -> str:
    """`normalise_number`, or InvalidRequest naming `number`."""
    number = normalise_number(raw)
    if number is None:
        raise InvalidRequest(
            f"number {raw!r} is neither E.164 nor a short code of 3-8 digits", field="number"
        )
    return number


def parse_keyword(raw: str) -> str:
    """The keyword folded: one word of 1-20 letters or digits, or InvalidRequest."""
    keyword = fold(raw.strip())
    if not 1 <= len(keyword) <= KEYWORD_MAX or not _KEYWORD.fullmatch(keyword):
        raise InvalidRequest(
            f"keyword must be one word of 1-{KEYWORD_MAX} letters or digits", field="keyword"
        )
    return keyword


def check_shape(shape: str | None, name: str = "webhook_shape") -> None:
    """InvalidRequest naming `name` unless `shape` is one of SHAPES (or None)."""
    if shape is not None and shape not in SHAPES:
        raise InvalidRequest(f"{name} must be one of {', '.join(SHAPES)}", field=name)


def check_delivery(webhook_url: str | None, webhook_shape: str | None, price: int) -> None:
    """An http(s) URL, one of SHAPES, a price of 0 or more; InvalidRequest otherwise."""
    check_http_url(webhook_url, "webhook_url")
    check_shape(webhook_shape)
    if price < 0:
        raise InvalidRequest("price must be 0 or more", field="price")


@dataclass(frozen=True, slots=True)
class MoRouting:
    """The numbers and keywords an MO is routed by."""

    numbers: dict[str, InboundNumber]
    keywords: dict[tuple[int, str], int]

    def number(self, destination: str) -> InboundNumber | None:
        normal = normalise_number(destination)
        return None if normal is None else self.numbers.get(normal)

    def route(self, number: InboundNumber, text: str) -> tuple[int | None, str | None]:
        """(account, keyword) of an MO to `number`: its owner; else the account of the
        keyword its text starts with; else the number's default account."""
        if number.account_id is not None:
            return number.account_id, None
        word = first_word(text)
        account_id = self.keywords.get((number.id, word))
        if account_id is not None:
            return account_id, word
        return number.default_account_id, None


@dataclass(eq=False, slots=True)
class NumberService:
    store: NumberStore
    clock: Clock
    _routing: tuple[float, MoRouting] | None = field(default=None, init=False)

    async def add(
        self,
        raw: str,
        *,
        account: Account | None = None,
        default_account: Account | None = None,
        webhook_url: str | None = None,
        webhook_shape: str | None = None,
        price: int = 0,
    ) -> InboundNumber:
        """Add a number (see `set_delivery` for the last three)."""
        number = parse_number(raw)
        check_delivery(webhook_url, webhook_shape, price)
        owner = account.id if account else None
        default = default_account.id if default_account else None
        now = self.clock.now()
        row = NumberToAdd(number, owner, default, webhook_url, now, webhook_shape, price)
        self._routing = None
        return await self.store.add_number(row)

    async def list(self, account: Account | None = None) -> list[InboundNumber]:
        """Every number, or those an account owns, is the default of, or has keywords on."""
        numbers = await self.store.inbound_numbers()
        if account is None:
            return numbers
        keyed = {
            k.number_id for k in await self.store.inbound_keywords() if k.account_id == account.id
        }
        return [
            n
            for n in numbers
            if account.id in (n.account_id, n.default_account_id) or n.id in keyed
        ]

    async def of_account(
        self, account: Account
    ) -> builtins.list[tuple[InboundNumber, builtins.list[str]]]:
        """The numbers the account receives on, each with its keywords there."""
        keywords = await self.store.inbound_keywords()
        numbers = await self.list(account)
        return [
            (n, [k.keyword for k in keywords if k.number_id == n.id and k.account_id == account.id])
            for n in numbers
        ]

    async def get(self, raw: str) -> InboundNumber:
        number = parse_number(raw)
        for found in await self.store.inbound_numbers():
            if found.number == number:
                return found
        raise NotFound(f"no inbound number {number}", field="number")

    async def assign(self, raw: str, account: Account | None) -> InboundNumber:
        """Give the number to `account`, or make it shared again (None)."""
        number = await self.get(raw)
        owner = account.id if account else None
        return await self._set(number, owner, number.default_account_id)

    async def set_default(self, raw: str, account: Account | None) -> InboundNumber:
        number = await self.get(raw)
        return await self._set(number, number.account_id, account.id if account else None)

    async def _set(
        self, number: InboundNumber, owner: int | None, default: int | None
    ) -> InboundNumber:
        self._routing = None
        if not await self.store.set_number_accounts(number.id, owner, default):
            raise NotFound(f"no inbound number {number.number}", field="number")
        return await self.get(number.number)

    async def set_delivery(
        self, raw: str, webhook_url: str | None, webhook_shape: str | None, price: int
    ) -> InboundNumber:
        """Post the number's MO to `webhook_url` (None: the account's inbound webhook) in
        `webhook_shape` (one of SHAPES; None: native), each MO costing `price` micro-units."""
        check_delivery(webhook_url, webhook_shape, price)
        number = await self.get(raw)
        self._routing = None
        if not await self.store.set_number_delivery(number.id, webhook_url, webhook_shape, price):
            raise NotFound(f"no inbound number {number.number}", field="number")
        return await self.get(number.number)

    async def remove(self, raw: str) -> InboundNumber:
        number = await self.get(raw)
        self._routing = None
        if not await self.store.remove_number(number.id):
            raise NotFound(f"no inbound number {number.number}", field="number")
        return number

    async def add_keyword(self, raw: str, keyword: str, account: Account) -> InboundKeyword:
        word = parse_keyword(keyword)
        number = await self.get(raw)
        self._routing = None
        return await self.store.add_keyword(number.id, word, account.id, self.clock.now())

    async def keywords(self, raw: str | None = None) -> builtins.list[InboundKeyword]:
        """Every keyword, or those of one number."""
        keywords = await self.store.inbound_keywords()
        if raw is None:
            return keywords
        number = await self.get(raw)
        return [k for k in keywords if k.number_id == number.id]

    async def remove_keyword(self, raw: str, keyword: str) -> None:
        word = parse_keyword(keyword)
        number = await self.get(raw)
        self._routing = None
        if not await self.store.remove_keyword(number.id, word):
            raise NotFound(f"{number.number} has no keyword {word}", field="keyword")

    async def routing(self) -> MoRouting:
        """The routing table, read again when older than CACHE_SECONDS."""
        now = self.clock.now()
        hit = self._routing
        if hit is not None and hit[0] > now:
            return hit[1]
        numbers = await self.store.inbound_numbers()
        keywords = await self.store.inbound_keywords()
        routing = MoRouting(
            {n.number: n for n in numbers},
            {(k.number_id, k.keyword): k.account_id for k in keywords},
        )
        self._routing = (now + CACHE_SECONDS, routing)
        return routing
