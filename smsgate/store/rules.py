"""Store rules every backend applies the same way (memory and SQL alike).

Which outcomes a send may end in, which parts a receipt may still change, and how
a key's display prefix names it.
"""

from __future__ import annotations

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
