"""`PortalContext`: what the portal's pages are built from (the services they call, the
clock and the secret its sessions are signed with)."""

from __future__ import annotations

from dataclasses import dataclass

from smsgate.services.account_policy import AccountPolicies
from smsgate.services.account_webhooks import AccountWebhooks
from smsgate.services.accounts import AccountService
from smsgate.services.admins import AdminService
from smsgate.services.connector_state import ConnectorStates
from smsgate.services.connectors import ConnectorService
from smsgate.services.credentials import Authenticator
from smsgate.services.health import HealthService
from smsgate.services.inbound import InboundService
from smsgate.services.inbound_numbers import NumberService
from smsgate.services.inbound_plan import InboundSettingsService
from smsgate.services.messages import MessageService
from smsgate.services.ports import Clock
from smsgate.services.routing import RouteService
from smsgate.services.senders import SendersService
from smsgate.services.statistics import StatisticsService
from smsgate.services.stoplist import StopListService
from smsgate.services.submit import SubmitService


@dataclass(frozen=True, slots=True)
class PortalContext:
    secret: bytes
    clock: Clock
    auth: Authenticator
    policies: AccountPolicies
    accounts: AccountService
    submit: SubmitService
    messages: MessageService
    statistics: StatisticsService
    inbound: InboundService
    admins: AdminService
    senders: SendersService
    stop_list: StopListService
    inbound_settings: InboundSettingsService
    webhooks: AccountWebhooks
    connectors: ConnectorService
    routes: RouteService
    numbers: NumberService
    connector_states: ConnectorStates
    health: HealthService
