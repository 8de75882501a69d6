"""Statistics: messages sent (parts, cost) per account, day, connector and status, MO
received per account and day; and the history lookups the dialects report from.

The store adds up one row per (account, day, connector, status, currency); this service
decides whose messages an account may see and folds those rows into a report's groups.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account, is_ancestor
from smsgate.core.errors import Forbidden, InvalidRequest, NotFound
from smsgate.core.messages import Message, Status
from smsgate.core.storable import storable
from smsgate.services.hourly_totals import HOUR
from smsgate.services.numbers import country_of

MAX_UTC_OFFSET = 14 * 3600
DAY = 86_400
PREFIX = 4  # the characters of a recipient that hold its calling code: "+" and 3 digits


@dataclass(frozen=True, slots=True)
class StatsRow:
    """The totals of the messages of one account created on one day (in the report's
    UTC offset), sent through one connector (None: not handed to any yet), in one status."""

    account_id: int
    day: date
    connector: str | None
    status: Status
    currency: str
    messages: int
    parts: int
    cost: int


@dataclass(frozen=True, slots=True)
class MoTotal:
    """The MO routed to one account and received on one day (in the report's UTC offset)."""

    account_id: int
    day: date
    messages: int


@dataclass(frozen=True, slots=True)
class DestinationRow:
    """The totals of the messages of one account created on one day (as in `StatsRow`),
    to recipients whose number starts with `prefix` ('+' and up to 3 digits: enough for
    its calling code), in one status."""

    account_id: int
    day: date
    prefix: str
    status: Status
    currency: str
    messages: int
    parts: int
    cost: int


@dataclass(frozen=True, slots=True)
class CountryRow:
    """The totals of the messages of one account created on one day (as in `StatsRow`),
    to one destination country (`numbers.country_of` of the recipient's first PREFIX
    characters), in one status."""

    account_id: int
    day: date | None  # None: not grouped by day
    country: str | None  # None: not grouped by country
    status: Status
    currency: str
    messages: int
    parts: int
    cost: int


@runtime_checkable
class StatisticsStore(Protocol):
    async def message_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[StatsRow]:
        """Totals of the messages of these accounts created in [since, until), one row
        per (account, day, connector, status, currency); days start at midnight of
        UTC+`utc_offset` seconds; a message counts for the connector of its parts."""
        ...

    async def inbound_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[MoTotal]:
        """The MO routed to these accounts received in [since, until), one row per
        (account, day) that has any; days as in `message_totals`."""
        ...

    async def destination_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[DestinationRow]:
        """As `message_totals`, one row per (account, day, prefix, status, currency)
        instead of per connector: `prefix` is the recipient's first PREFIX characters."""
        ...

    async def country_totals(
        self,
        account_ids: Sequence[int],
        *,
        since: float,
        until: float,
        utc_offset: int,
        day: bool = True,
        country: bool = True,
    ) -> list[CountryRow]:
        """The same messages as `destination_totals`, one row per (account, day, country,
        status, currency), without the day or the country unless asked for: the hourly
        totals (services.hourly_totals) before their watermark and the live messages
        after it, read at one moment. `since`, `until` and `utc_offset` are whole hours."""
        ...

    async def messages_with_reference(self, account_id: int, reference: str) -> list[Message]:
        """The messages the account sent with this client reference, in id order."""
        ...

    async def retained_message_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[StatsRow]:
        """What retention deleted, as `message_totals` rows (services.retention)."""
        ...

    async def retained_inbound_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[MoTotal]:
        """What retention deleted, as `inbound_totals` rows (services.retention)."""
        ...

    async def accounts(self, parent_id: int | None = None) -> list[Account]: ...

    async def chain(self, account_id: int) -> list[Account]: ...


class Dimension(enum.StrEnum):
    ACCOUNT = "account"
    DAY = "day"
    CONNECTOR = "connector"
    STATUS = "status"


@dataclass(slots=True)
class Totals:
    messages: int = 0
    parts: int = 0
    cost: int = 0
    by_status: dict[Status, int] = field(default_factory=dict)
    """Messages per status."""

    def add(self, row: StatsRow | DestinationRow | CountryRow) -> None:
        self.messages += row.messages
        self.parts += row.parts
        self.cost += row.cost
        self.by_status[row.status] = self.by_status.get(row.status, 0) + row.messages


@dataclass(frozen=True, slots=True)
class Group:
    """One line of a report. The fields of the dimensions not asked for are None."""

    account_id: int | None
    day: date | None
    connector: str | None
    status: Status | None
    currency: str
    totals: Totals


@dataclass(frozen=True, slots=True)
class CountryGroup:
    """One line of a report by destination: the fields not grouped by are None."""

    day: date | None
    country: str | None
    status: Status | None
    currency: str
    totals: Totals

    @property
    def delivery_rate(self) -> float:
        """The share of its messages delivered (0 when it has none)."""
        delivered = self.totals.by_status.get(Status.DELIVERED, 0)
        return delivered / self.totals.messages if self.totals.messages else 0.0


GroupKey = tuple[int | None, date | None, str | None, Status | None, str]


def fold(rows: Iterable[StatsRow], by: Sequence[Dimension]) -> list[Group]:
    """Add `rows` up into one group per value of the `by` dimensions (and currency),
    sorted by those values."""
    wanted = set(by)
    groups: dict[GroupKey, Totals] = {}
    for row in rows:
        key: GroupKey = (
            row.account_id if Dimension.ACCOUNT in wanted else None,
            row.day if Dimension.DAY in wanted else None,
            row.connector if Dimension.CONNECTOR in wanted else None,
            row.status if Dimension.STATUS in wanted else None,
            row.currency,
        )
        groups.setdefault(key, Totals()).add(row)
    ordered = sorted(
        groups.items(),
        key=lambda item: (
            item[0][0] or 0,
            item[0][1] or date.min,
            item[0][2] or "",
            item[0][3] or "",
            item[0][4],
        ),
    )
    return [Group(*key, totals=totals) for key, totals in ordered]


def merge_rows(rows: Iterable[StatsRow]) -> list[StatsRow]:
    """One row per (account, day, connector, status, currency), live and retained added."""
    merged: dict[tuple[int, date, str | None, Status, str], StatsRow] = {}
    for row in rows:
        key = (row.account_id, row.day, row.connector, row.status, row.currency)
        seen = merged.get(key)
        if seen is not None:
            row = replace(
                row,
                messages=seen.messages + row.messages,
                parts=seen.parts + row.parts,
                cost=seen.cost + row.cost,
            )
        merged[key] = row
    return list(merged.values())


def merge_mo(totals: Iterable[MoTotal]) -> list[MoTotal]:
    """One total per (account, day)."""
    merged: dict[tuple[int, date], int] = {}
    for total in totals:
        key = (total.account_id, total.day)
        merged[key] = merged.get(key, 0) + total.messages
    return [MoTotal(account_id, day, count) for (account_id, day), count in merged.items()]


@dataclass(eq=False, slots=True)
class StatisticsService:
    store: StatisticsStore

    async def rows(
        self,
        actor: Account,
        *,
        since: float,
        until: float,
        account: Account | None = None,
        subaccounts: bool = False,
        utc_offset: int = 0,
    ) -> list[StatsRow]:
        """The store rows for `account` (default: the actor) and, with `subaccounts`,
        every account below it, in [since, until): live messages and what retention
        deleted, one row per key."""
        ids = await self._accounts(actor, since, until, account, subaccounts, utc_offset)
        live = await self.store.message_totals(ids, since=since, until=until, utc_offset=utc_offset)
        retained = await self.store.retained_message_totals(
            ids, since=since, until=until, utc_offset=utc_offset
        )
        return merge_rows(live + retained) if retained else live

    async def inbound(
        self,
        actor: Account,
        *,
        since: float,
        until: float,
        account: Account | None = None,
        subaccounts: bool = False,
        utc_offset: int = 0,
    ) -> list[MoTotal]:
        """The MO received per account and day, of the accounts `rows` reports on, by
        account and day."""
        ids = await self._accounts(actor, since, until, account, subaccounts, utc_offset)
        totals = await self.store.inbound_totals(
            ids, since=since, until=until, utc_offset=utc_offset
        )
        totals += await self.store.retained_inbound_totals(
            ids, since=since, until=until, utc_offset=utc_offset
        )
        totals = merge_mo(totals)
        return sorted(totals, key=lambda t: (t.account_id, t.day))

    async def _accounts(
        self,
        actor: Account,
        since: float,
        until: float,
        account: Account | None,
        subaccounts: bool,
        utc_offset: int,
    ) -> list[int]:
        """The ids a report covers, once its period and offset are checked."""
        if until <= since:
            raise InvalidRequest("the period must end after it starts", field="until")
        if not -MAX_UTC_OFFSET <= utc_offset <= MAX_UTC_OFFSET:
            raise InvalidRequest("utc_offset must be within 14 hours", field="utc_offset")
        target = await self.visible(actor, account or actor)
        ids = [target.id]
        if subaccounts:
            ids.extend(a.id for a in await self.descendants(target))
        return ids

    async def report(
        self,
        actor: Account,
        *,
        since: float,
        until: float,
        by: Sequence[Dimension] = (Dimension.DAY,),
        account: Account | None = None,
        subaccounts: bool = False,
        utc_offset: int = 0,
    ) -> list[Group]:
        """The totals grouped by the `by` dimensions (and always by currency)."""
        found = await self.rows(
            actor,
            since=since,
            until=until,
            account=account,
            subaccounts=subaccounts,
            utc_offset=utc_offset,
        )
        return fold(found, by)

    async def by_destination(
        self,
        actor: Account,
        *,
        since: float,
        until: float,
        day: bool = True,
        country: bool = True,
        status: bool = True,
        utc_offset: int = 0,
    ) -> list[CountryGroup]:
        """The actor's messages in [since, until) grouped by the day, the recipient's
        country (`numbers.country_of`) and the status asked for, and by currency;
        sorted by day, country, status."""
        ids = await self._accounts(actor, since, until, None, False, utc_offset)
        groups: dict[tuple[date | None, str | None, Status | None, str], Totals] = {}
        for place, row in await self._by_country(ids, since, until, utc_offset, day, country):
            key = (
                row.day if day else None,
                place if country else None,
                row.status if status else None,
                row.currency,
            )
            groups.setdefault(key, Totals()).add(row)
        ordered = sorted(
            groups.items(),
            key=lambda g: (g[0][0] or date.min, g[0][1] or "", g[0][2] or "", g[0][3]),
        )
        return [CountryGroup(*key, totals=totals) for key, totals in ordered]

    async def _by_country(
        self, ids: list[int], since: float, until: float, utc_offset: int, day: bool, country: bool
    ) -> list[tuple[str | None, DestinationRow | CountryRow]]:
        """Each row with its country: from the hourly totals when the period and offset
        are whole hours, else from the live messages."""
        if all(value % HOUR == 0 for value in (since, until, utc_offset)):
            rows = await self.store.country_totals(
                ids, since=since, until=until, utc_offset=utc_offset, day=day, country=country
            )
            return [(row.country, row) for row in rows]
        live = await self.store.destination_totals(
            ids, since=since, until=until, utc_offset=utc_offset
        )
        return [(country_of(row.prefix), row) for row in live]

    async def retained(self, actor: Account, *, since: float, until: float) -> list[StatsRow]:
        """What retention deleted of the actor's messages in [since, until), by UTC day
        (the part of `rows` that `by_destination` leaves out)."""
        ids = await self._accounts(actor, since, until, None, False, 0)
        return await self.store.retained_message_totals(ids, since=since, until=until, utc_offset=0)

    async def sent_with_reference(self, account: Account, reference: str) -> list[Message]:
        """The account's messages of the request it tagged with `reference` (a dialect's
        client message id); empty when there is none."""
        if not storable(reference):
            return []
        return await self.store.messages_with_reference(account.id, reference)

    async def visible(self, actor: Account, account: Account) -> Account:
        """`account` when the actor is it or above it in the tree; Forbidden otherwise."""
        if account.id == actor.id:
            return account
        chain = await self.store.chain(account.id)
        if not chain:
            raise NotFound(f"no account {account.id}")
        if not is_ancestor(actor.id, chain):
            raise Forbidden("not a sub-account of this account")
        return chain[0]

    async def descendants(self, account: Account) -> list[Account]:
        """Every account below `account`, breadth first."""
        found: list[Account] = []
        level = [account]
        while level:
            below: list[Account] = []
            for parent in level:
                below.extend(await self.store.accounts(parent.id))
            found.extend(below)
            level = below
        return found
