"""`ApiContext`: what the HTTP app is built from (the services its native endpoints call,
the metrics' sources, the body limit, the routes served next to the native API), and
`Endpoints`, the base of each group of native operations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from starlette.routing import BaseRoute

from smsgate.api.auth import RequestAuthenticator
from smsgate.services.account_policy import AccountPolicies
from smsgate.services.accounts import AccountService
from smsgate.services.conversations import ConversationService
from smsgate.services.counters import Counters
from smsgate.services.credentials import Authenticator
from smsgate.services.inbound import InboundService
from smsgate.services.inbound_numbers import NumberService
from smsgate.services.inbound_plan import InboundSettingsService
from smsgate.services.messages import MessageService
from smsgate.services.statistics import StatisticsService
from smsgate.services.stoplist import StopListService
from smsgate.services.submit import SubmitService


@dataclass(frozen=True, slots=True)
class ApiContext:
    auth: Authenticator
    policies: AccountPolicies
    submit: SubmitService
    messages: MessageService
    accounts: AccountService
    stop_list: StopListService
    inbound: InboundService
    conversations: ConversationService
    numbers: NumberService
    inbound_settings: InboundSettingsService
    statistics: StatisticsService
    stats: Counters
    queue_depth: Callable[[], Awaitable[int]]
    held_messages: Callable[[], Awaitable[Mapping[str, int]]]
    health: Callable[[], Awaitable[bool]]
    max_body_bytes: int = 1_048_576
    extra_routes: Sequence[BaseRoute] = ()


@dataclass(frozen=True, slots=True)
class Endpoints:
    """A group of native operations: who asks (`who`) and what they call (`ctx`)."""

    who: RequestAuthenticator
    ctx: ApiContext
