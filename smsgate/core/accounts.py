"""Accounts and their tree: who pays for a sub-account, who may act on whom.

An account either keeps its own balance or shares its parent's; a debit hits the
nearest account up the tree (itself included) that keeps its own balance.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from smsgate.core.errors import Forbidden, InvalidRequest


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    parent_id: int | None
    own_balance: bool
    balance: int
    currency: str
    status: AccountStatus
    default_country: str
    max_parts: int
    created_at: float

    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE


NAME_MAX = 16
# Account ids are 32-bit columns (INTEGER on PostgreSQL): a larger id names no account.
ID_MAX = 2**31 - 1


def check_account_name(name: str) -> str:
    """Account names double as usernames (HTTP Basic, SMPP system_id: 16 octets)."""
    if (
        not name
        or len(name) > NAME_MAX
        or not all((c.isascii() and c.isalnum()) or c in "-_." for c in name)
    ):
        raise InvalidRequest(
            f"account name must be 1-{NAME_MAX} letters, digits, '-', '_' or '.'", field="name"
        )
    return name


def funding_account(chain: Sequence[Account]) -> Account:
    """Return the account that pays for chain[0]; `chain` runs from the account to the root."""
    for account in chain:
        if account.own_balance:
            return account
    raise InvalidRequest("no account in the tree keeps a balance")


def check_active(chain: Sequence[Account]) -> None:
    """An account acts only while it and every ancestor are active."""
    for account in chain:
        if not account.is_active:
            who = "account" if account is chain[0] else f"parent account {account.name!r}"
            raise Forbidden(f"{who} is suspended")


def is_ancestor(ancestor_id: int, chain: Sequence[Account]) -> bool:
    """True when `ancestor_id` is strictly above chain[0] in the tree."""
    return any(account.id == ancestor_id for account in chain[1:])
