"""The plan a message is priced on and sent as, from the settings of the connector it takes.

`plan_for` is the one planner (encoding and parts under a connector's `PartScheme`);
`RoutePlans` knows each recipient's first route and its connector's scheme; `replan`
re-plans a stored message for another connector.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Any

from smsgate.core.messages import Message
from smsgate.core.routing import Route, candidate_routes
from smsgate.services.changes import ROUTES, Changes
from smsgate.services.connectors import BUILTIN_CONNECTORS, ConnectorDefinition
from smsgate.services.ports import Clock
from smsgate.text import Concat, Encoding, MessagePlan, TextError, UnencodableText, plan


@dataclass(frozen=True, slots=True)
class PartScheme:
    """What decides a message's parts on a connector: how parts are concatenated, and
    whether GSM 7-bit text goes out in Latin-1 (else UCS-2 when Latin-1 lacks a character)."""

    concat: Concat = Concat.UDH8
    latin1: bool = False


DEFAULT_SCHEME = PartScheme()

# A connector type's scheme from its stored settings (owned by the connector adapters).
SchemeOf = Callable[[Mapping[str, Any]], PartScheme]


def plan_for(
    text: str,
    scheme: PartScheme,
    *,
    encoding: Encoding = Encoding.AUTO,
    max_parts: int = 10,
    transliterate: bool = False,
) -> MessagePlan:
    """Plan `text` as a connector with `scheme` sends it (raises the text layer's errors)."""
    planned = plan(
        text,
        encoding=encoding,
        concat=scheme.concat,
        max_parts=max_parts,
        transliterate=transliterate,
    )
    if not scheme.latin1 or planned.encoding is not Encoding.GSM7:
        return planned
    try:
        return plan(
            planned.text, encoding=Encoding.LATIN1, concat=scheme.concat, max_parts=max_parts
        )
    except UnencodableText:
        return plan(planned.text, encoding=Encoding.UCS2, concat=scheme.concat, max_parts=max_parts)


def replan(message: Message, scheme: PartScheme) -> Message:
    """`message` as a connector with `scheme` sends it: the same when the scheme gives the
    stored plan, else with the new encoding, concatenation, parts and cost (same price
    per part). The encoding only moves from GSM 7-bit to Latin-1 (or UCS-2) for a
    connector that prefers Latin-1, never back; a customer's own segment (udh), and a text
    the scheme cannot carry in 255 parts, stay as they are."""
    if message.udh is not None or message.parts < 1 or message.encoding not in _TEXT_ENCODINGS:
        return message
    # Same text, encoding and concatenation: the same parts, so nothing to plan.
    if message.concat == scheme.concat.value and not (
        scheme.latin1 and message.encoding == Encoding.GSM7.value
    ):
        return message
    try:
        planned = plan_for(message.text, scheme, encoding=Encoding(message.encoding), max_parts=255)
    except (TextError, ValueError):  # not plannable there: it goes out as stored
        return message
    encoding, concat = planned.encoding.value, scheme.concat.value
    if (encoding, concat, planned.sms_count) == (message.encoding, message.concat, message.parts):
        return message
    cost = message.cost // message.parts * planned.sms_count
    return replace(message, encoding=encoding, concat=concat, parts=planned.sms_count, cost=cost)


_TEXT_ENCODINGS = frozenset({Encoding.GSM7.value, Encoding.UCS2.value, Encoding.LATIN1.value})


@dataclass(eq=False, slots=True)
class RoutePlans:
    """The scheme of each recipient's first route, from a snapshot of the route table and
    the connector definitions that is re-read at most every `ttl` seconds."""

    routes: Callable[[], Awaitable[list[Route]]]
    connectors: Callable[[], Awaitable[list[ConnectorDefinition]]]
    schemes: Mapping[str, SchemeOf]
    clock: Clock
    _: KW_ONLY
    ttl: float = 2.0
    _route_table: tuple[Route, ...] = field(init=False, default=())
    _by_connector: dict[str, PartScheme] = field(
        init=False, default_factory=lambda: dict.fromkeys(BUILTIN_CONNECTORS, DEFAULT_SCHEME)
    )
    _until: float = field(init=False, default=float("-inf"))
    _loading: asyncio.Future[None] | None = field(init=False, default=None)

    async def fresh(self) -> None:
        """Read the routes and connectors again if the snapshot is older than `ttl`."""
        if self._until > self.clock.now():
            return
        if self._loading is None:
            self._loading = asyncio.ensure_future(self._load())
            self._loading.add_done_callback(lambda _: setattr(self, "_loading", None))
        await asyncio.shield(self._loading)

    async def _load(self) -> None:
        routes = await self.routes()
        definitions = await self.connectors()
        by_connector = dict.fromkeys(BUILTIN_CONNECTORS, DEFAULT_SCHEME)
        for d in definitions:
            if d.enabled and d.name not in BUILTIN_CONNECTORS:
                scheme_of = self.schemes.get(d.type)
                by_connector[d.name] = (
                    DEFAULT_SCHEME if scheme_of is None else scheme_of(d.settings)
                )
        self._route_table, self._by_connector = tuple(routes), by_connector
        self._until = self.clock.now() + self.ttl

    def forget(self, _key: str = "") -> None:
        """Read the routes and connectors again next time."""
        self._until = float("-inf")

    def follow(self, changes: Changes) -> None:
        changes.on(ROUTES, self.forget)

    def of_connector(self, name: str) -> PartScheme:
        """The scheme of a connector (the default for the simulator and unknown ones)."""
        return self._by_connector.get(name, DEFAULT_SCHEME)

    def of_recipient(self, number: str, account_id: int) -> PartScheme:
        """The scheme of the connector of the recipient's first route whose connector is
        enabled (or built in); the default when there is none (the simulated operator)."""
        if not self._route_table:
            return DEFAULT_SCHEME
        for route in candidate_routes(self._route_table, number, account_id):
            scheme = self._by_connector.get(route.connector)
            if scheme is not None:
                return scheme
        return DEFAULT_SCHEME
