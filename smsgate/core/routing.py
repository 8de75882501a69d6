"""Route choice: which connector carries a message, from the route table alone.

Pure: the routes and the set of usable connectors are arguments. Account-specific routes
beat general ones, then the longest matching prefix, then the lowest priority number;
a route to a connector that is not usable is skipped, so the next candidate takes over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from smsgate.core.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class Route:
    """One row of the route table; `account_id` None serves every account."""

    id: int
    prefix: str
    connector: str
    account_id: int | None
    priority: int


def normalize_prefix(prefix: str) -> str:
    """The digits of a route prefix: "+39" and "39" are alike; "*" or "" matches everything."""
    raw = prefix.strip()
    if raw in ("", "*"):
        return ""
    digits = raw.removeprefix("+")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidRequest(f"a route prefix is digits, +digits or *, not {prefix!r}")
    return digits


def _rank(route: Route) -> tuple[int, int, int, int]:
    return (0 if route.account_id is not None else 1, -len(route.prefix), route.priority, route.id)


def candidate_routes(routes: Iterable[Route], number: str, account_id: int) -> list[Route]:
    """Routes that match `number` (E.164, with or without '+') for this account, best first."""
    digits = number.removeprefix("+")
    matching = (
        r for r in routes if digits.startswith(r.prefix) and r.account_id in (None, account_id)
    )
    return sorted(matching, key=_rank)


def choose_connector(
    routes: Iterable[Route],
    number: str,
    account_id: int,
    usable: Callable[[str], bool],
) -> str | None:
    """The connector of the best matching route whose connector is usable, or None."""
    for route in candidate_routes(routes, number, account_id):
        if usable(route.connector):
            return route.connector
    return None
