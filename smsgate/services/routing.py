"""The route table use case: add, list and remove routes, and route messages by them.

`Router` is the Dispatcher's `RouteChoice`: it chooses on an in-memory snapshot of the table
(refreshed with the connector supervisor), so routing a message touches no store.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from smsgate.core.errors import InvalidRequest, NotFound
from smsgate.core.messages import Message
from smsgate.core.routing import Route, choose_connector, normalize_prefix
from smsgate.services.changes import ROUTES, Changes
from smsgate.services.ports import Upstream


@runtime_checkable
class RouteStore(Protocol):
    async def add_route(
        self, *, prefix: str, connector: str, account_id: int | None, priority: int, now: float
    ) -> Route: ...

    async def routes(self) -> list[Route]:
        """Every route, by id."""
        ...

    async def remove_route(self, route_id: int) -> bool: ...


@dataclass(eq=False, slots=True)
class RouteService:
    """Routes; each change is announced (`changes.ROUTES`) to every process."""

    store: RouteStore
    now: Callable[[], float]
    changes: Changes = field(default_factory=Changes)

    async def add(
        self, prefix: str, connector: str, *, account_id: int | None = None, priority: int = 0
    ) -> Route:
        if not connector:
            raise InvalidRequest("a route needs a connector", field="connector")
        route = await self.store.add_route(
            prefix=normalize_prefix(prefix),
            connector=connector,
            account_id=account_id,
            priority=priority,
            now=self.now(),
        )
        self.changes.announce(ROUTES)
        return route

    async def list(self) -> list[Route]:
        return await self.store.routes()

    async def remove(self, route_id: int) -> None:
        if not await self.store.remove_route(route_id):
            raise NotFound(f"no route {route_id}")
        self.changes.announce(ROUTES)


class Router:
    """Chooses the upstream of a message: the best route whose connector is bound, else
    the best one whose connector runs (the message waits for its bind), else the default.

    So a route of lower priority takes over while the operator of a better one has no
    bind, and gives the traffic back once it binds again. A connector bound only on
    another node (`elsewhere`, services.ownership) counts as bound: its messages wait
    for that node instead of failing over.
    """

    def __init__(
        self,
        upstreams: Callable[[], Mapping[str, Upstream]],
        default: str,
        elsewhere: Callable[[str], bool] | None = None,
    ) -> None:
        self._upstreams = upstreams
        self._default = default
        self._elsewhere = elsewhere or (lambda name: False)
        self._routes: tuple[Route, ...] = ()
        self._version = 0

    def replace_routes(self, routes: Sequence[Route]) -> None:
        if tuple(routes) != self._routes:
            self._routes = tuple(routes)
            self._version += 1

    def all_ready(self) -> bool:
        return all(upstream.ready() for upstream in self._upstreams().values())

    def upstreams(self) -> Collection[Upstream]:
        return self._upstreams().values()

    def state(self) -> Hashable:
        """Changes whenever a message's route could: new routes, or another set of bound
        upstreams."""
        elsewhere = self._elsewhere
        bound = frozenset(
            name for name, up in self._upstreams().items() if up.ready() or elsewhere(name)
        )
        return self._version, bound

    def __call__(self, message: Message) -> Upstream | None:
        running = self._upstreams()

        def ready(name: str) -> bool:
            upstream = running.get(name)
            return upstream is not None and (upstream.ready() or self._elsewhere(name))

        to, account_id = message.to, message.account_id
        name = choose_connector(self._routes, to, account_id, ready)
        if name is None:
            name = choose_connector(self._routes, to, account_id, running.__contains__)
        return running.get(name if name is not None else self._default)
