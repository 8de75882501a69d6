"""The STOP list: numbers (in E.164) that asked an account not to text them any more.
`StopListService` adds, removes, pages, imports and exports over the `StopListStore`
Protocol, and runs the check `SubmitService` does before it quotes (lists up to CACHED_MAX
entries cached for a couple of seconds; a change in this process is seen at once).
`csv_numbers` reads the CSV the API and the CLI import, `csv_row` writes their export.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRecipient, InvalidRequest, NotFound
from smsgate.core.storable import storable
from smsgate.services.changes import STOPS, Changes, drop_entry
from smsgate.services.numbers import to_e164
from smsgate.services.ports import Clock

SOURCE_API = "api"
SOURCE_CLI = "cli"
SOURCE_IMPORT = "import"
SOURCE_INBOUND = "inbound"  # an MO asked for it (STOP)
CACHED_MAX = 50_000
CACHE_SECONDS = 2.0
MAX_PAGE = 1000
MAX_IMPORT_LINES = 100_000
MAX_REPORTED_INVALID = 100
NUMBER_MAX = 64
EXPORT_HEADER = "number,source,created_at\n"
_SOURCE = re.compile(r"[a-z_]{1,32}")


@dataclass(frozen=True, slots=True)
class StopEntry:
    account_id: int
    number: str
    source: str
    created_at: float


@dataclass(frozen=True, slots=True)
class StopPageQuery:
    """A page of an account's list, newest first (`created_at`, then `number`, both
    descending): at most `limit` entries, only of `source` when set, and only those
    listed after the entry `after` = (created_at, number)."""

    limit: int
    source: str | None = None
    after: tuple[float, str] | None = None


@dataclass(frozen=True, slots=True)
class InvalidLine:
    line: int
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class StopImport:
    """What an import did: numbers added, numbers listed already (before or earlier in
    the same file), and lines refused, the first MAX_REPORTED_INVALID of them detailed."""

    added: int
    present: int
    invalid: int
    invalid_lines: tuple[InvalidLine, ...]


@runtime_checkable
class StopListStore(Protocol):
    async def add_stop(self, account_id: int, number: str, source: str, now: float) -> StopEntry:
        """Add the number, or return the entry it already has."""
        ...

    async def add_stops(
        self, account_id: int, numbers: Sequence[str], source: str, now: float
    ) -> int:
        """Add these distinct numbers in one transaction, keeping the entry of each one
        listed already (its source and time unchanged); how many were added."""
        ...

    async def remove_stop(self, account_id: int, number: str) -> bool:
        """False when the number was not on the account's list."""
        ...

    async def stop_entries(self, account_id: int) -> list[StopEntry]:
        """The account's list, oldest first."""
        ...

    async def stop_page(self, account_id: int, query: StopPageQuery) -> list[StopEntry]:
        """The entries `query` selects, newest first."""
        ...

    async def stopped_numbers(self, account_id: int, numbers: Iterable[str]) -> set[str]:
        """Which of these E.164 numbers are on the account's list."""
        ...


@dataclass(eq=False, slots=True)
class StopListService:
    store: StopListStore
    clock: Clock
    changes: Changes = field(default_factory=Changes)
    # account id -> (valid until, its numbers, or None when the list is too long)
    _cache: dict[int, tuple[float, frozenset[str] | None]] = field(default_factory=dict, init=False)

    def forget(self, account_id: int) -> None:
        """The account's list changed (here or behind this service): every process
        reads it again next time."""
        self._cache.pop(account_id, None)
        self.changes.announce(STOPS, account_id)

    def drop(self, key: str) -> None:
        """Read the account's list (every list, for "") again next time."""
        drop_entry(self._cache, key)

    def follow(self, changes: Changes) -> None:
        changes.on(STOPS, self.drop)

    async def add(self, account: Account, raw: str, *, source: str = SOURCE_API) -> StopEntry:
        number = to_e164(raw, account.default_country)
        entry = await self.store.add_stop(account.id, number, source, self.clock.now())
        self.forget(account.id)
        return entry

    async def add_new(
        self, account: Account, raw: str, *, source: str = SOURCE_API
    ) -> tuple[StopEntry, bool]:
        """`add`, and whether the number was added (False: it was listed already)."""
        number = to_e164(raw, account.default_country)
        now = self.clock.now()
        added = await self.store.add_stops(account.id, [number], source, now)
        self.forget(account.id)
        if added:
            return StopEntry(account.id, number, source, now), True
        return await self.store.add_stop(account.id, number, source, now), False

    async def remove(self, account: Account, raw: str) -> None:
        number = to_e164(raw, account.default_country)
        removed = await self.store.remove_stop(account.id, number)
        self.forget(account.id)
        if not removed:
            raise NotFound(f"{number} is not on the STOP list", field="phoneNumber")

    async def entries(self, account: Account) -> list[StopEntry]:
        return await self.store.stop_entries(account.id)

    async def page(
        self,
        account: Account,
        *,
        limit: int = 100,
        cursor: str | None = None,
        source: str | None = None,
    ) -> tuple[list[StopEntry], str | None]:
        """A page of the account's list, newest first, and the cursor of the next page."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be 1-{MAX_PAGE}", field="limit")
        check_source(source)
        after = None if cursor is None else _decode_cursor(cursor)
        query = StopPageQuery(limit + 1, source, after)
        page = await self.store.stop_page(account.id, query)
        more = len(page) > limit
        page = page[:limit]
        return page, (_encode_cursor(page[-1]) if more and page else None)

    async def every_entry(
        self, account: Account, *, source: str | None = None
    ) -> AsyncIterator[StopEntry]:
        """The whole list, newest first, read a page at a time."""
        cursor: str | None = None
        while True:
            page, cursor = await self.page(account, limit=MAX_PAGE, cursor=cursor, source=source)
            for entry in page:
                yield entry
            if cursor is None:
                return

    async def import_numbers(
        self, account: Account, numbers: Iterable[str], *, source: str = SOURCE_IMPORT
    ) -> StopImport:
        """Add each number of `numbers` (item n is line n; blank items are skipped).

        Not all-or-nothing: an invalid line is counted and reported, and the valid ones
        are added all the same, in one transaction. More than MAX_IMPORT_LINES items is
        InvalidRequest and adds nothing.
        """
        valid: dict[str, None] = {}
        lines = invalid = 0
        refused: list[InvalidLine] = []
        for line, raw in enumerate(numbers, start=1):
            if line > MAX_IMPORT_LINES:
                raise InvalidRequest(
                    f"an import has at most {MAX_IMPORT_LINES} lines", field="file"
                )
            raw = raw.strip()
            if not raw:
                continue
            lines += 1
            reason = _refusal(raw, account.default_country, valid)
            if reason is not None:
                invalid += 1
                if len(refused) < MAX_REPORTED_INVALID:
                    refused.append(InvalidLine(line, _shown(raw), reason))
        added = 0
        if valid:
            added = await self.store.add_stops(account.id, list(valid), source, self.clock.now())
            self.forget(account.id)
        return StopImport(added, lines - invalid - added, invalid, tuple(refused))

    async def blocked(self, account_id: int, numbers: Iterable[str]) -> set[str]:
        """The E.164 `numbers` that the account must not text."""
        now = self.clock.now()
        hit = self._cache.get(account_id)
        if hit is None or hit[0] <= now:
            entries = await self.store.stop_entries(account_id)
            known = frozenset(e.number for e in entries) if len(entries) <= CACHED_MAX else None
            hit = (now + CACHE_SECONDS, known)
            self._cache[account_id] = hit
        if hit[1] is None:
            return await self.store.stopped_numbers(account_id, numbers)
        return {n for n in numbers if n in hit[1]}


def csv_numbers(lines: Iterable[str]) -> Iterator[str]:
    """The number column of a STOP list CSV, one item per line: the first column of
    each line (later columns are ignored; quotes around it are dropped), "" for a blank
    line and for a first line that is the header `number`. A number has no comma, so
    a line is cut at its first one and never joined to the next."""
    for index, line in enumerate(lines):
        first = line.rstrip("\r\n").partition(",")[0].strip().strip('"').strip()
        yield "" if index == 0 and first.lower() == "number" else first


def csv_row(entry: StopEntry) -> str:
    """The export's line of an entry: number,source,created_at (ISO 8601, UTC)."""
    at = datetime.fromtimestamp(entry.created_at, UTC).isoformat(timespec="seconds")
    return f"{entry.number},{entry.source},{at}\n"


def check_source(source: str | None) -> None:
    """InvalidRequest naming `source` unless it is None or could be a source."""
    if source is not None and not _SOURCE.fullmatch(source):
        raise InvalidRequest("source must be 1-32 letters a-z or '_'", field="source")


def _refusal(raw: str, country: str, valid: dict[str, None]) -> str | None:
    """Why `raw` cannot be added, or None after adding its E.164 form to `valid`."""
    if len(raw) > NUMBER_MAX:
        return f"longer than {NUMBER_MAX} characters"
    if not storable(raw):
        return "contains characters that cannot be stored"
    try:
        number = to_e164(raw, country)
    except InvalidRecipient:
        return "not a valid phone number"
    valid[number] = None
    return None


def _shown(raw: str) -> str:
    return raw if len(raw) <= NUMBER_MAX else raw[:NUMBER_MAX] + "…"


def _encode_cursor(entry: StopEntry) -> str:
    token = f"{entry.created_at!r} {entry.number}".encode()
    return base64.urlsafe_b64encode(token).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, _, number = base64.urlsafe_b64decode(padded.encode("ascii")).decode().partition(" ")
        after = float(at)
        if not math.isfinite(after) or not number or not storable(number):
            raise ValueError(cursor)
        return after, number
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidRequest("cursor is not a cursor this list gave", field="cursor") from exc
