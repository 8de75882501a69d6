"""The `Store` Protocol every backend (memory, SQLite, PostgreSQL) implements, its
contract, and the records it takes and returns."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from smsgate.core.accounts import Account
from smsgate.core.ledger import EntryKind, LedgerEntry
from smsgate.core.messages import Message, Part, PartStatus, Status
from smsgate.core.pricing import PriceList


@dataclass(frozen=True, slots=True)
class AccountToCreate:
    """An account `Store.create_account` inserts: active, with a zero balance."""

    name: str
    parent_id: int | None
    own_balance: bool
    currency: str
    default_country: str
    max_parts: int
    password_hash: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class AccountSearch:
    """Which accounts `Store.find_accounts` returns: at most `limit`, by name, those whose
    name contains `text` (any case), the direct children of `parent_id`, only top-level
    ones (`top_level`), with a name after `after` (the last name of the page before),
    for each one that is given."""

    limit: int
    text: str = ""
    parent_id: int | None = None
    top_level: bool = False
    after: str = ""


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """Which of an account's messages `Store.messages` returns: at most `limit`, those
    with `status`, of `batch_id`, created at or after `since`, with an id before
    `before_id` (the last id of the page before), to `to` (E.164), created before
    `until`, from `sender`, with the client `reference`, for each one that is given."""

    limit: int
    status: Status | None = None
    batch_id: str | None = None
    since: float | None = None
    before_id: str | None = None
    to: str | None = None
    until: float | None = None
    sender: str | None = None
    reference: str | None = None


# --- records written by the submit use case -------------------------------------------


@dataclass(frozen=True, slots=True)
class NewMessage:
    """One recipient's message, with the plan it is priced on and sent as: its encoding
    ("" for the submission's), concatenation method and number of parts."""

    id: str
    to: str
    parts: int
    cost: int
    encoding: str = ""
    concat: str = "udh8"


@dataclass(frozen=True, slots=True)
class Submission:
    """One accepted request: all of it is stored and charged, or none of it."""

    batch_id: str
    account_id: int
    payer_id: int
    sender: str
    text: str
    encoding: str
    currency: str
    status: Status
    reference: str | None
    callback_url: str | None
    created_at: float
    scheduled_at: float | None
    expires_at: float
    messages: tuple[NewMessage, ...]
    registered_delivery: bool = False
    tag: str | None = None
    udh: bytes | None = None
    reply_url: str | None = None  # where MO replying to these messages are POSTed

    @property
    def total_cost(self) -> int:
        return sum(m.cost for m in self.messages)


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the store kept for a submission; `replayed` when the reference existed already."""

    batch_id: str
    messages: tuple[Message, ...]
    replayed: bool


# --- records of the dispatch and delivery use cases ----------------------------------


@dataclass(frozen=True, slots=True)
class SentPart:
    seq: int
    upstream_id: str | None
    status: PartStatus
    error: str | None


@dataclass(frozen=True, slots=True)
class Replanned:
    """The plan a message was sent as when its connector's settings gave another one than
    the stored plan; the store keeps it and moves the difference in cost with a ledger
    entry (kind adjustment), which may take the payer's balance below zero."""

    encoding: str
    concat: str
    parts: int
    cost: int


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """The result of handing one message to an upstream.

    `status` is SENT, REJECTED (permanent; `refund` is returned to the payer), QUEUED
    (temporary; retried at `retry_at`) or FAILED. `refund` is computed on the plan sent:
    `replanned` when set, else the stored one.
    """

    message_id: str
    status: Status
    connector: str | None
    parts: tuple[SentPart, ...]
    error: str | None
    refund: int
    retry_at: float | None
    replanned: Replanned | None = None


@dataclass(frozen=True, slots=True)
class ReceiptUpdate:
    """A final receipt for one part, matched by the upstream's id for it."""

    connector: str
    upstream_id: str
    status: PartStatus
    error: str | None
    at: float


@dataclass(frozen=True, slots=True)
class AppliedReceipts:
    """What `Store.apply_receipts` did.

    finished: messages that became final, by status; unmatched: receipts that found no
    part (yet); repeated: receipts for parts that were already final, dropped.
    """

    finished: dict[Status, int]
    unmatched: list[ReceiptUpdate]
    repeated: int = 0


# How long an outbox row claimed for sending (a webhook, a deliver_sm) stays claimed when
# its live node does not finish it: longer than any attempt takes, waiting for a
# connection slot included (a dead node's claims are taken when its own lease runs out).
OUTBOX_LEASE = 300.0
# The node id of a claimer that was given none (one gateway on its own store).
LOCAL_NODE = "local"


@dataclass(frozen=True, slots=True)
class Notification:
    """An outbox row: a message reached a final status and its owner wants to hear it."""

    id: int
    message_id: str
    url: str
    attempts: int
    next_at: float
    message: Message | None = None  # what to announce; None if the message is gone


@dataclass(frozen=True, slots=True)
class NotificationAttempt:
    """How one POST of a notification went; `next_at` is when to try again (if not delivered)."""

    id: int
    delivered: bool
    status_code: int | None
    error: str | None
    next_at: float | None


class Store(Protocol):
    """Persistence of accounts, money and messages.

    Contract for every backend:
    - each write method is one transaction; it either happens whole or not at all;
    - a balance moves only together with a ledger entry, in that transaction;
    - `accept` is answered only after its transaction committed; concurrent callers
      may share one transaction (group commit), but one caller's failure (for
      example InsufficientCredit) never fails another;
    - a message whose status becomes final and has a callback_url gets an outbox
      row in the same transaction.
    """

    # accounts, credentials, prices
    async def create_account(self, new: AccountToCreate) -> Account:
        """Conflict when an account of that name exists."""
        ...

    async def account(self, account_id: int) -> Account | None: ...

    async def account_by_name(self, name: str) -> Account | None: ...

    async def accounts(self, parent_id: int | None = None) -> list[Account]:
        """All accounts, or the direct children of `parent_id` when it is given."""
        ...

    async def chain(self, account_id: int) -> list[Account]:
        """The account and its ancestors, nearest first, up to the root."""
        ...

    async def find_accounts(self, search: AccountSearch) -> list[Account]:
        """Accounts in the order of their names (byte order), as `search` says."""
        ...

    async def sub_accounts(self, parent_ids: Sequence[int], limit_each: int) -> list[Account]:
        """The direct children of each of `parent_ids`, the first `limit_each` of each by
        name; ordered by parent, then name."""
        ...

    async def set_status(self, account_id: int, status: str) -> None: ...

    async def set_password_hash(self, account_id: int, password_hash: str) -> None: ...

    async def password_hash(self, account_id: int) -> str | None: ...

    async def add_api_key(self, account_id: int, key_hash: str, prefix: str, now: float) -> int: ...

    async def revoke_api_key(self, account_id: int, prefix: str, now: float) -> bool: ...

    async def account_by_key_hash(self, key_hash: str) -> Account | None: ...

    async def api_keys(self, account_id: int) -> list[tuple[str, float, float | None]]:
        """(prefix, created_at, revoked_at) of every key of the account."""
        ...

    async def set_price(self, owner_id: int | None, prefix: str, price: int) -> None: ...

    async def set_prices(self, owner_id: int | None, prices: Sequence[tuple[str, int]]) -> None: ...

    async def price_lists(self, owner_ids: Sequence[int | None]) -> list[PriceList]:
        """The price lists of these owners, in the given order (empty lists kept)."""
        ...

    # money
    async def move_credit(
        self,
        *,
        movements: Sequence[tuple[int, EntryKind, int]],
        reference: str,
        now: float,
    ) -> list[LedgerEntry]:
        """Apply (account_id, kind, signed amount) together; no balance may go negative."""
        ...

    async def ledger(
        self, account_id: int, *, limit: int, before_id: int | None
    ) -> list[LedgerEntry]: ...

    # messages
    async def accept(self, submission: Submission) -> Accepted: ...

    async def message(self, message_id: str) -> Message | None: ...

    async def parts(self, message_id: str) -> list[Part]: ...

    async def messages(self, account_id: int, query: MessageQuery) -> list[Message]:
        """The account's messages that match `query`, newest first, paged by id."""
        ...

    async def cancel(self, message_id: str, now: float) -> Message:
        """Cancel a scheduled message and refund it; Conflict when it is not scheduled."""
        ...

    # dispatch and delivery
    async def claim(
        self,
        now: float,
        limit: int,
        hold: Callable[[Message], str | None] | None = None,
        node: str | None = None,
    ) -> list[Message]:
        """Due queued or scheduled messages become `sending`, claimed by `node`; returned
        by id.

        With `hold`, a message for which it names an upstream stays `queued` as it was
        (attempts too) and is held for that upstream: no claim sees it again until
        `release_held`. That happens in the claim's own transaction, so no reader ever
        sees it claimed, and what is held never stands in the way of other messages.
        """
        ...

    async def release_held(
        self, limit: int, upstream: str | None = None, *, exclude: Collection[str] = ()
    ) -> int:
        """Up to `limit` held messages (only those held for `upstream`, when given; none
        held for an upstream in `exclude`) become due again, in their old order; returns
        how many (fewer than `limit`: none is left)."""
        ...

    async def record_sends(self, outcomes: Sequence[SendOutcome], now: float) -> None: ...

    async def apply_receipts(self, receipts: Sequence[ReceiptUpdate]) -> AppliedReceipts:
        """Record final part statuses; finish messages whose parts are all final.

        A receipt may overtake the recording of its submit: those that match no part
        come back as `unmatched`, for the caller to try again a little later. A receipt
        for a part that is already final is a repeat and changes nothing.
        """
        ...

    async def open_parts(self, connector: str) -> list[tuple[str, str]]:
        """(upstream_id, recipient) of every part sent through `connector` that still
        waits for its receipt."""
        ...

    async def expire(self, now: float, limit: int) -> int:
        """Messages sent (or stuck in the queue) past their validity become `expired`."""
        ...

    async def recover_sending(
        self, older_than: float, node: str | None = None, *, orphans: bool = True
    ) -> int:
        """Messages left `sending` by a crash go back to `queued`: those claimed before
        `older_than` (by `node` or by no node, when `node` is given), and, with `orphans`,
        those claimed by another node whose lease ran out (services.nodes)."""
        ...

    async def analyze_young_tables(self, rows: int) -> bool:
        """Give the query planner statistics of the tables that grew past `rows` since it
        last counted them (PostgreSQL: ANALYZE, where this node owns them); True once
        `messages` has them, or never will from this node (SQLite, memory: at once)."""
        ...

    async def release_claim(self, claimed_at: float, node: str) -> int:
        """The messages still `sending` from the claim `node` made at `claimed_at` go back
        to `queued` as they were before it (attempts too): that claim's COMMIT was lost,
        so it may have committed without its caller knowing what it took."""
        ...

    async def due_notifications(self, now: float, limit: int) -> list[Notification]:
        """Pending notifications due by `now`, oldest first, each with its message."""
        ...

    async def claim_notifications(
        self, now: float, limit: int, node: str, lease: float
    ) -> list[Notification]:
        """Pending notifications due by `now`, oldest first, that `node` may claim, claimed
        by it for `lease` seconds on the store's clock. Claimable: held by nobody, by a
        claim whose lease ran out, or by another node whose own lease ran out
        (services.nodes); concurrent claimers never take the same row."""
        ...

    async def release_notifications(self, node: str) -> int:
        """End the claims `node` holds (it stops, or starts again after a crash)."""
        ...

    async def record_notifications(
        self, attempts: Sequence[NotificationAttempt], now: float
    ) -> None:
        """Record attempts in one transaction, each ending its row's claim; not delivered
        with `next_at` None means give up. Attempts at notifications that no longer exist
        are ignored."""
        ...

    async def queue_depth(self) -> int: ...

    async def close(self) -> None: ...
