"""The tables of `MemoryStore` (dicts of rows, made in `MemoryTables.__init__`) and the
writes several features share: a balance moved with its ledger entry, a message finished
with its webhook and SMPP receipt. Each memory_<feature>.py class part extends
`MemoryTables`; no method awaits between reading and writing, so each one is atomic.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from smsgate.core.accounts import Account
from smsgate.core.errors import InsufficientCredit, NotFound
from smsgate.core.ledger import EntryKind, LedgerEntry
from smsgate.core.messages import Message, Part, Status
from smsgate.core.routing import Route
from smsgate.services.account_policy import AccountPolicy
from smsgate.services.admins import Admin, AuditEntry
from smsgate.services.connector_state import ConnectorState
from smsgate.services.connectors import ConnectorDefinition
from smsgate.services.hourly_totals import HOUR
from smsgate.services.inbound import InboundMessage, InboundPart
from smsgate.services.inbound_numbers import InboundKeyword, InboundNumber
from smsgate.services.inbound_plan import InboundSettings
from smsgate.services.nodes import Node
from smsgate.services.numbers import country_of
from smsgate.services.ownership import Slot
from smsgate.services.senders import SenderId
from smsgate.services.statistics import PREFIX
from smsgate.services.stoplist import StopEntry

PENDING = "pending"


def hour_key(m: Message, start: int) -> tuple[int, int, str, str, str]:
    """The key of `message_hours` a message counts in, for the hour (or day) `start`."""
    return (m.account_id, start, country_of(m.to[:PREFIX]), m.status.value, m.currency)


@dataclass(slots=True)
class ApiKeyRow:
    account_id: int
    key_hash: str
    prefix: str
    created_at: float
    revoked_at: float | None = None


@dataclass(slots=True)
class BindRow:
    """A customer SMPP bind of some node, with its lease."""

    account_id: int
    node_id: str
    lease_until: float


@dataclass(slots=True)
class Queued:
    """A message plus the columns the record does not carry."""

    message: Message
    next_at: float
    claimed_at: float | None = None
    held_for: str | None = None
    claimed_by: str | None = None


@dataclass(slots=True)
class OutboxItem:
    message_id: str
    url: str
    next_at: float
    state: str = PENDING
    attempts: int = 0
    created_at: float = 0.0
    last_status: int | None = None
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_until: float | None = None


@dataclass(slots=True)
class MoOutboxRow:
    """An MO waiting for a webhook (`inbound_outbox` in SQL)."""

    inbound_id: int
    account_id: int
    source: str
    url: str
    shape: str
    next_at: float
    created_at: float
    state: str = PENDING
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_until: float | None = None


@dataclass(slots=True)
class SmppRow:
    """A receipt (`message_id` set) or an MO (`inbound_id` set) for an account's binds."""

    account_id: int
    kind: str
    message_id: str | None
    inbound_id: int | None
    state: str = PENDING
    attempts: int = 0
    delivered_at: float | None = None
    claimed_by: str | None = None
    claimed_until: float | None = None


@dataclass(slots=True)
class LoginFailures:
    failures: int
    window_start: float
    blocked_until: float = 0.0


class MemoryTables:
    def __init__(self) -> None:
        self._ids = itertools.count(1)  # accounts, API keys, webhook outbox
        self._accounts: dict[int, Account] = {}
        self._passwords: dict[int, str | None] = {}
        self._policies: dict[int, AccountPolicy] = {}
        self._keys: dict[int, ApiKeyRow] = {}
        self._ledger: list[LedgerEntry] = []
        self._prices: dict[int | None, dict[str, int]] = {}
        self._batches: dict[str, list[str]] = {}
        self._references: dict[tuple[int, str], str] = {}
        self._messages: dict[str, Queued] = {}
        self._parts: dict[str, dict[int, Part]] = {}
        self._by_upstream: dict[tuple[str, str], list[tuple[str, int]]] = {}
        self._outbox: dict[int, OutboxItem] = {}
        self._smpp_ids = itertools.count(1)
        self._smpp_outbox: dict[int, SmppRow] = {}
        self._inbound_ids = itertools.count(1)
        self._inbound: dict[int, InboundMessage] = {}
        self._inbound_parts: dict[tuple[str, str, str, int, int], dict[int, InboundPart]] = {}
        self._number_ids = itertools.count(1)
        self._numbers: dict[int, InboundNumber] = {}
        self._keyword_ids = itertools.count(1)
        self._keywords: dict[tuple[int, str], InboundKeyword] = {}
        self._inbound_settings: dict[int, InboundSettings] = {}
        self._mo_outbox_ids = itertools.count(1)
        self._mo_outbox: dict[int, MoOutboxRow] = {}
        self._connectors: dict[str, ConnectorDefinition] = {}
        self._route_ids = itertools.count(1)
        self._routes: dict[int, Route] = {}
        self._sender_ids = itertools.count(1)
        self._senders: dict[int, SenderId] = {}
        self._stop_list: dict[tuple[int, str], StopEntry] = {}
        self._login_failures: dict[str, LoginFailures] = {}
        self._nodes: dict[str, Node] = {}
        self._admin_ids = itertools.count(1)
        self._admins: dict[int, tuple[Admin, str]] = {}
        self._audit: list[AuditEntry] = []
        # retention's aggregates: (account, bucket, connector, status, currency) ->
        # [messages, parts, cost]; (account, bucket) -> MO
        self._message_aggregates: dict[tuple[int, int, str, str, str], list[int]] = {}
        # (account, hour, country, status, currency) -> [messages, parts, cost]
        self._message_hours: dict[tuple[int, int, str, str, str], list[int]] = {}
        self._hours_watermark: int | None = None
        self._inbound_aggregates: dict[tuple[int, int], int] = {}
        self._connector_states: dict[tuple[str, str], ConnectorState] = {}
        self._smpp_binds: dict[str, BindRow] = {}
        self._send_counts: dict[tuple[int, str, int], int] = {}
        self._listeners: dict[str, list[Callable[[str], None]]] = {}
        self._connector_slots: dict[tuple[str, int], Slot] = {}
        self._bind_nodes: dict[str, float] = {}

    def _chain(self, account_id: int) -> list[Account]:
        """The account and its ancestors, nearest first (as sql_accounts.chain)."""
        found: list[Account] = []
        account = self._accounts.get(account_id)
        while account is not None and len(found) <= 64:
            found.append(account)
            account = self._accounts.get(account.parent_id) if account.parent_id else None
        return found

    def _move(
        self,
        moves: Sequence[tuple[int, EntryKind, int, str]],
        now: float,
        *,
        overdraw: bool = False,
    ) -> list[LedgerEntry]:
        """Check every move first, then apply them all with their ledger entries; no
        balance goes below zero unless `overdraw`."""
        balances: dict[int, int] = {}
        for account_id, _, amount, _ in moves:
            if account_id not in self._accounts:
                raise NotFound(f"no account {account_id}")
            balance = balances.get(account_id, self._accounts[account_id].balance) + amount
            if balance < 0 and not overdraw:
                raise InsufficientCredit("insufficient credit for this request")
            balances[account_id] = balance
        entries = []
        for account_id, kind, amount, reference in moves:
            balance = self._accounts[account_id].balance + amount
            self._accounts[account_id] = replace(self._accounts[account_id], balance=balance)
            entry = LedgerEntry(
                len(self._ledger) + 1, account_id, kind, amount, balance, reference, now
            )
            self._ledger.append(entry)
            entries.append(entry)
        return entries

    def _parts_of(self, message_id: str) -> list[Part]:
        return sorted(self._parts.get(message_id, {}).values(), key=lambda p: p.seq)

    def _refund(self, row: Queued, amount: int, now: float) -> None:
        """Give `amount` back; the message's cost is what it keeps charged."""
        if amount > 0:
            message = row.message
            self._move([(message.payer_id, EntryKind.REFUND, amount, message.id)], now)
            row.message = replace(message, cost=message.cost - amount)

    def _finish(self, row: Queued, status: Status, now: float, error: str | None) -> Message:
        """The message becomes final, with the webhook and SMPP receipt it asked for."""
        message = row.message = replace(row.message, status=status, done_at=now, error=error)
        row.claimed_at = row.claimed_by = None
        if message.callback_url:
            self._outbox[next(self._ids)] = OutboxItem(
                message.id, message.callback_url, now, created_at=now
            )
        if message.registered_delivery:
            receipt = SmppRow(message.account_id, "receipt", message.id, None)
            self._smpp_outbox[next(self._smpp_ids)] = receipt
        return message

    def _take_out_hour(self, deleted: Message) -> None:
        """Retention's part: a message it deletes taken out of the hours counted."""
        if self._hours_watermark is None or deleted.created_at >= self._hours_watermark:
            return
        key = hour_key(deleted, int(deleted.created_at // HOUR) * HOUR)
        total = self._message_hours.get(key)
        if total is None:
            return
        total[0], total[1], total[2] = (
            total[0] - 1,
            total[1] - deleted.parts,
            total[2] - deleted.cost,
        )
        if total[0] <= 0:
            del self._message_hours[key]
