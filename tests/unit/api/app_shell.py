"""An app over a store that must not be reached, for tests of what needs no data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import httpx
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from smsgate.api.context import ApiContext
from smsgate.api.http import FixedPaths, build_app
from smsgate.services.account_policy import AccountPolicies, AccountPolicyStore
from smsgate.services.accounts import AccountService
from smsgate.services.catalog import Catalog
from smsgate.services.clock import SystemClock, TimeOrderedIds
from smsgate.services.conversations import ConversationService
from smsgate.services.counters import Counters
from smsgate.services.credentials import Authenticator
from smsgate.services.inbound import InboundService, InboundStore
from smsgate.services.inbound_numbers import NumberService, NumberStore
from smsgate.services.inbound_plan import InboundSettingsService, InboundSettingsStore
from smsgate.services.messages import MessageService
from smsgate.services.ports import Store
from smsgate.services.statistics import StatisticsService, StatisticsStore
from smsgate.services.stoplist import StopListService, StopListStore
from smsgate.services.submit import SubmitService


class ExplodingStore:
    """Every store call fails the way a broken database would."""

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        async def fail(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"secret database detail in {name}")

        return fail


async def _seven() -> int:
    return 7


async def _healthy() -> bool:
    return True


async def _three_held() -> dict[str, int]:
    return {"op": 3}


def shell_app(
    *,
    stats: Counters | None = None,
    health: Callable[[], Awaitable[bool]] = _healthy,
    queue_depth: Callable[[], Awaitable[int]] = _seven,
    extra_routes: Sequence[BaseRoute] = (),
) -> FixedPaths:
    store = cast(Store, ExplodingStore())
    clock = SystemClock()
    catalog = Catalog(store, clock)
    auth = Authenticator(store, clock)
    ctx = ApiContext(
        auth=auth,
        policies=AccountPolicies(cast(AccountPolicyStore, store), clock),
        submit=SubmitService(store, catalog, clock, TimeOrderedIds()),
        messages=MessageService(store, clock),
        accounts=AccountService(store, catalog, auth, clock),
        stop_list=StopListService(cast(StopListStore, store), clock),
        inbound=(inbound := InboundService(cast(InboundStore, store), clock)),
        conversations=ConversationService(store, inbound),
        numbers=NumberService(cast(NumberStore, store), clock),
        inbound_settings=InboundSettingsService(cast(InboundSettingsStore, store), clock),
        statistics=StatisticsService(cast(StatisticsStore, store)),
        stats=stats or Counters(),
        queue_depth=queue_depth,
        held_messages=_three_held,
        health=health,
        extra_routes=extra_routes,
    )
    return build_app(ctx)


def client(app: ASGIApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test")
