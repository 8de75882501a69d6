"""What an upstream receipt means for a part: SMPP `stat` words to part statuses.

ACCEPTD and ENROUTE are not final; UNKNOWN, DELETED and REJECTD are undelivered.
"""

from __future__ import annotations

from smsgate.core.messages import PartStatus

_BY_STAT: dict[str, PartStatus | None] = {
    "DELIVRD": PartStatus.DELIVERED,
    "UNDELIV": PartStatus.UNDELIVERED,
    "REJECTD": PartStatus.UNDELIVERED,
    "DELETED": PartStatus.UNDELIVERED,
    "UNKNOWN": PartStatus.UNDELIVERED,
    "EXPIRED": PartStatus.EXPIRED,
    "ACCEPTD": None,
    "ENROUTE": None,
}


def part_status_for_stat(stat: str) -> PartStatus | None:
    """The final part status a receipt reports, or None for an intermediate one."""
    return _BY_STAT.get(stat.strip().upper(), PartStatus.UNDELIVERED)
