"""Store rules every backend applies the same way (memory and SQL alike).

Which outcomes a send may end in, which parts a receipt may still change, how
a key's display prefix names it, and which date a statistics day number is.
"""

from __future__ import annotations

from datetime import date

from smsgate.core.messages import PartStatus, Status

SEND_OUTCOMES = frozenset({Status.SENT, Status.QUEUED, Status.REJECTED, Status.FAILED})

# Parts still waiting for their receipt.
OPEN_PARTS = (PartStatus.PENDING.value, PartStatus.SENT.value)

# Open parts, and parts the expiry job gave up on: a late receipt wins over our own
# expiry (see core.messages.TRANSITIONS).
RECEIPT_MATCHABLE = (*OPEN_PARTS, PartStatus.EXPIRED.value)


def prefix_matches(stored: str, given: str) -> bool:
    """A key is named by the start of its display prefix, or by a longer start of the key."""
    return bool(given) and (stored.startswith(given) or given.startswith(stored))


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def day_of(days_since_epoch: int) -> date:
    """The date of a day counted from 1970-01-01 (statistics group by it)."""
    return date.fromordinal(_EPOCH_ORDINAL + days_since_epoch)
