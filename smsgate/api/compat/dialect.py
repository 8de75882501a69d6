"""What every dialect is given and what it gives back: `DialectServices` in, routes out.

A dialect sub-package exposes `Api`, built from one `DialectServices`; the composition
root registers each listed in `DIALECTS` (app.py) the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from starlette.routing import BaseRoute

from smsgate.services.account_policy import AccountPolicies
from smsgate.services.accounts import AccountService
from smsgate.services.credentials import Authenticator
from smsgate.services.inbound import InboundService
from smsgate.services.lookup import NumberLookup
from smsgate.services.messages import MessageService
from smsgate.services.ports import Clock
from smsgate.services.senders import SendersService
from smsgate.services.statistics import StatisticsService
from smsgate.services.stoplist import StopListService
from smsgate.services.submit import SubmitService


@dataclass(frozen=True, slots=True)
class DialectServices:
    """The services a dialect may call, and the request body limit; each uses some."""

    auth: Authenticator
    policies: AccountPolicies
    submit: SubmitService
    messages: MessageService
    accounts: AccountService
    stop_list: StopListService
    statistics: StatisticsService
    senders: SendersService
    lookup: NumberLookup
    inbound: InboundService
    clock: Clock
    max_body_bytes: int


class Dialect(Protocol):
    """A dialect's `Api`: its Starlette routes, in the order they are matched."""

    def routes(self) -> list[BaseRoute]: ...
