"""Ledger rules: every movement of money is an entry; a balance never goes below zero.

The store writes an entry in the same transaction as the balance it moves, so a
balance always equals the sum of its entries.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smsgate.core.errors import InsufficientCredit, InvalidRequest


class EntryKind(enum.StrEnum):
    TOPUP = "topup"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    CHARGE = "charge"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    account_id: int
    kind: EntryKind
    amount: int
    balance_after: int
    reference: str
    created_at: float


def debit(balance: int, amount: int) -> int:
    """The balance after taking `amount`; refuses to go below zero."""
    if amount < 0:
        raise InvalidRequest("a debit is never negative")
    if amount > balance:
        raise InsufficientCredit("insufficient credit for this request")
    return balance - amount


def credit(balance: int, amount: int) -> int:
    """The balance after adding `amount` (a refund, top-up or incoming transfer)."""
    if amount < 0:
        raise InvalidRequest("a credit is never negative")
    return balance + amount


def check_topup(amount: int) -> int:
    if amount == 0:
        raise InvalidRequest("amount must not be zero", field="amount")
    return amount
