"""Conversions between database rows and the core records (Account, Message, Part, ...).

Rows come back from SQLAlchemy untyped; these functions are where they get their types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.ledger import EntryKind, LedgerEntry
from smsgate.core.messages import Message, Part, PartStatus, Status
from smsgate.services.ports import Notification, Submission

Row = Mapping[Any, Any]
if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


def opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def record_from_row(record: type[R], row: Row) -> R:
    """A record (a dataclass) made of the columns of `row` named like its fields; for
    records whose fields all have their columns' Python types."""
    return record(**{field.name: row[field.name] for field in fields(record)})


def account_from_row(row: Row) -> Account:
    return Account(
        id=int(row["id"]),
        name=str(row["name"]),
        parent_id=None if row["parent_id"] is None else int(row["parent_id"]),
        own_balance=bool(row["own_balance"]),
        balance=int(row["balance"]),
        currency=str(row["currency"]),
        status=AccountStatus(row["status"]),
        default_country=str(row["default_country"]),
        max_parts=int(row["max_parts"]),
        created_at=float(row["created_at"]),
    )


def ledger_from_row(row: Row) -> LedgerEntry:
    return LedgerEntry(
        id=int(row["id"]),
        account_id=int(row["account_id"]),
        kind=EntryKind(row["kind"]),
        amount=int(row["amount"]),
        balance_after=int(row["balance_after"]),
        reference=str(row["reference"]),
        created_at=float(row["created_at"]),
    )


def message_from_row(row: Row) -> Message:
    return Message(
        id=str(row["id"]),
        batch_id=str(row["batch_id"]),
        account_id=int(row["account_id"]),
        payer_id=int(row["payer_id"]),
        to=str(row["to"]),
        sender=str(row["sender"]),
        text=str(row["text"]),
        encoding=str(row["encoding"]),
        parts=int(row["parts"]),
        cost=int(row["cost"]),
        currency=str(row["currency"]),
        status=Status(row["status"]),
        error=opt_str(row["error"]),
        reference=opt_str(row["reference"]),
        callback_url=opt_str(row["callback_url"]),
        created_at=float(row["created_at"]),
        scheduled_at=opt_float(row["scheduled_at"]),
        expires_at=float(row["expires_at"]),
        sent_at=opt_float(row["sent_at"]),
        done_at=opt_float(row["done_at"]),
        attempts=int(row["attempts"]),
        registered_delivery=bool(row["registered_delivery"]),
        tag=opt_str(row["tag"]),
        udh=None if row["udh"] is None else bytes.fromhex(row["udh"]),
        concat=str(row["concat"]),
        reply_url=opt_str(row["reply_url"]),
    )


# A message's columns in the order of its fields: a statement that returns these (the
# dispatcher's claim, hundreds of rows a round under the write lock) builds its messages
# with `message_from_values`.
MESSAGE_FIELDS = tuple(f.name for f in fields(Message))
_STATUSES = {status.value: status for status in Status}
_STATUS, _REGISTERED, _UDH = (
    MESSAGE_FIELDS.index(name) for name in ("status", "registered_delivery", "udh")
)


def message_from_values(values: Sequence[Any]) -> Message:
    """`message_from_row` of MESSAGE_FIELDS' values as the driver returns them, in their
    Python types but the status, the flag (an integer on SQLite) and the UDH (hex)."""
    v = list(values)
    v[_STATUS] = _STATUSES[v[_STATUS]]
    v[_REGISTERED] = bool(v[_REGISTERED])
    if v[_UDH] is not None:
        v[_UDH] = bytes.fromhex(v[_UDH])
    return Message(*v)


def part_from_row(row: Row) -> Part:
    return Part(
        message_id=str(row["message_id"]),
        seq=int(row["seq"]),
        status=PartStatus(row["status"]),
        upstream_id=opt_str(row["upstream_id"]),
        connector=opt_str(row["connector"]),
        error=opt_str(row["error"]),
    )


def notification_from_row(row: Row) -> Notification:
    return Notification(
        id=int(row["id"]),
        message_id=str(row["message_id"]),
        url=str(row["url"]),
        attempts=int(row["attempts"]),
        next_at=float(row["next_at"]),
    )


MESSAGE_COLUMNS = (
    "id",
    "batch_id",
    "account_id",
    "payer_id",
    "to",
    "sender",
    "text",
    "encoding",
    "parts",
    "cost",
    "currency",
    "status",
    "error",
    "reference",
    "callback_url",
    "created_at",
    "scheduled_at",
    "next_at",
    "expires_at",
    "sent_at",
    "done_at",
    "attempts",
    "claimed_at",
    "registered_delivery",
    "tag",
    "udh",
    "concat",
    "reply_url",
)


def message_values(message: Message) -> tuple[Any, ...]:
    """The `messages` row of a just-created message, in MESSAGE_COLUMNS order (the
    inverse of `message_from_row`). A tuple: a bulk request writes a thousand of them."""
    m = message
    return (
        m.id,
        m.batch_id,
        m.account_id,
        m.payer_id,
        m.to,
        m.sender,
        m.text,
        m.encoding,
        m.parts,
        m.cost,
        m.currency,
        m.status.value,
        m.error,
        m.reference,
        m.callback_url,
        m.created_at,
        m.scheduled_at,
        m.scheduled_at if m.scheduled_at is not None else m.created_at,  # next_at
        m.expires_at,
        m.sent_at,
        m.done_at,
        m.attempts,
        None,  # claimed_at
        m.registered_delivery,
        m.tag,
        None if m.udh is None else m.udh.hex(),
        m.concat,
        m.reply_url,
    )


def new_messages(submission: Submission) -> tuple[Message, ...]:
    """The messages a submission creates, as they are stored before anything happens."""
    s = submission
    return tuple(
        Message(
            id=m.id,
            batch_id=s.batch_id,
            account_id=s.account_id,
            payer_id=s.payer_id,
            to=m.to,
            sender=s.sender,
            text=s.text,
            encoding=m.encoding or s.encoding,
            parts=m.parts,
            cost=m.cost,
            currency=s.currency,
            status=s.status,
            error=None,
            reference=s.reference,
            callback_url=s.callback_url,
            created_at=s.created_at,
            scheduled_at=s.scheduled_at,
            expires_at=s.expires_at,
            sent_at=None,
            done_at=None,
            attempts=0,
            registered_delivery=s.registered_delivery,
            tag=s.tag,
            udh=s.udh,
            concat=m.concat,
            reply_url=s.reply_url,
        )
        for m in s.messages
    )
