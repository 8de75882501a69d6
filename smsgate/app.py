"""The composition root: builds every part of smsgate from Settings and runs the roles.

`Gateway` owns the store, the services, the upstreams and the background jobs;
`smsgate.serving` runs it with its HTTP server, in one process or several.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import string
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smsgate.api.callbacks import callback_routes
from smsgate.api.compat import agiletelecom, smsc, smspartner
from smsgate.api.compat.dialect import Dialect, DialectServices
from smsgate.api.context import ApiContext
from smsgate.api.smpp.server import SmppFrontend
from smsgate.config import Settings
from smsgate.connectors.callbacks import CallbackDirectory
from smsgate.connectors.registry import CALLBACKS, FACTORIES, PARSERS, SCHEMES
from smsgate.connectors.simulated_operator import AUTO_REPLY_NUMBER, SimulatedOperator
from smsgate.connectors.supervisor import ConnectorSupervisor
from smsgate.core.accounts import Account
from smsgate.core.errors import Conflict
from smsgate.core.money import MICRO, format_amount
from smsgate.services.account_policy import AccountPolicies
from smsgate.services.accounts import AccountService
from smsgate.services.catalog import Catalog
from smsgate.services.clock import SystemClock, TimeOrderedIds
from smsgate.services.connectors import ConnectorDefinition, ConnectorService
from smsgate.services.conversations import ConversationService
from smsgate.services.counters import Counters
from smsgate.services.credentials import Authenticator
from smsgate.services.delivery import Housekeeper, ReceiptRecorder
from smsgate.services.dispatch import Dispatcher
from smsgate.services.inbound import InboundService
from smsgate.services.inbound_numbers import NumberService
from smsgate.services.inbound_plan import InboundSettingsService
from smsgate.services.lockout import Lockout, LockoutPolicy
from smsgate.services.lookup import NumberLookup
from smsgate.services.messages import MessageService
from smsgate.services.nodes import DUE, Announcer, NodeService, default_node_id
from smsgate.services.ownership import HELD, BindOwnership
from smsgate.services.plans import RoutePlans
from smsgate.services.ports import Upstream
from smsgate.services.routing import Router, RouteService
from smsgate.services.senders import SendersService
from smsgate.services.smpp_customers import SmppCustomers
from smsgate.services.statistics import StatisticsService
from smsgate.services.stoplist import StopListService
from smsgate.services.submit import SubmitService
from smsgate.store import CommitBell, open_store
from smsgate.store.memory import MemoryStore
from smsgate.store.sql import SqlStore
from smsgate.web.context import PortalContext
from smsgate.web.routes import portal_routes
from smsgate.webhooks.sender import MoQueue, ReceiptQueue, WebhookQueue, WebhookSender

log = logging.getLogger(__name__)

DEMO_ACCOUNT = "demo"
DEMO_CREDIT = 10 * MICRO
DEMO_PASSWORD_ALPHABET = string.ascii_letters + string.digits
DEMO_PRICE = 50_000
DEMO_NUMBER = "3000"  # a shared short code whose default account is the demo account

# The HTTP dialects served next to the native API, each built from `DialectServices`.
DIALECTS: tuple[Callable[[DialectServices], Dialect], ...] = (
    agiletelecom.Api,
    smspartner.Api,
    smsc.Api,
)


@dataclass(slots=True)
class Gateway:
    """Everything one smsgate process runs, wired together."""

    settings: Settings
    store: SqlStore | MemoryStore
    clock: SystemClock
    stats: Counters
    auth: Authenticator
    accounts: AccountService
    policies: AccountPolicies
    submit: SubmitService
    messages: MessageService
    receipts: ReceiptRecorder
    dispatcher: Dispatcher
    housekeeper: Housekeeper
    webhooks: WebhookSender
    connectors: ConnectorService
    routes: RouteService
    supervisor: ConnectorSupervisor
    callbacks: CallbackDirectory
    smpp: SmppFrontend
    stop_list: StopListService
    statistics: StatisticsService
    senders: SendersService
    inbound: InboundService
    numbers: NumberService
    inbound_settings: InboundSettingsService
    node: NodeService
    ownership: BindOwnership  # this node's share of the connectors' binds (SQL stores)
    # what accepted messages call (and the HTTP workers' wake-ups, through the core)
    wake: Callable[[], None]
    mo_webhooks: WebhookSender  # MO to their webhooks, as `webhooks` does receipts
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        stats: Counters | None = None,
        nudge: Callable[[], None] | None = None,
        migrate: bool = True,
        bell: CommitBell | None = None,
        rate_share: float = 1.0,
    ) -> Gateway:
        """Build a gateway; `stats` and `bell` shared with other processes, `nudge`
        called after messages were accepted when the dispatcher runs in another process,
        `rate_share` the fraction of each account's send rate this process enforces."""
        secret = prepare_data_dir(settings)
        store = await open_store(
            settings.database(),
            sqlite_synchronous=settings.sqlite_synchronous,
            migrate=migrate,
            bell=bell,
        )
        clock, ids = SystemClock(), TimeOrderedIds()
        stats = stats or Counters()
        catalog = Catalog(store, clock)
        policy = LockoutPolicy(
            per_address=settings.login_failures_per_address,
            per_name=settings.login_failures_per_name,
            window=settings.login_failure_window,
            block=settings.login_block_seconds,
        )
        auth = Authenticator(
            store, clock, lockout=Lockout(store, clock, policy), threads=settings.password_threads
        )
        node = NodeService(store, settings.node_id or default_node_id(settings.data_dir))
        stop_list = StopListService(store, clock)
        numbers = NumberService(store, clock)
        inbound_settings = InboundSettingsService(store, clock)
        inbound = InboundService(
            store,
            clock,
            numbers=numbers,
            settings=inbound_settings,
            stop_list=stop_list,
            stats=stats,
        )
        simulator = SimulatedOperator(
            clock,
            delay_ms=settings.simulator_delay_ms,
            pending=lambda: store.open_parts("simulator"),
            mo_sink=inbound,
        )
        connectors = ConnectorService(store, PARSERS, clock.now)
        routes = RouteService(store, clock.now)

        def build(definition: ConnectorDefinition) -> Upstream:
            return FACTORIES[definition.type](definition, clock, inbound)

        async def refresh_routes() -> None:
            router.replace_routes(await routes.list())

        owned = isinstance(store, SqlStore)  # nodes may share it: each binds only its slots
        builtin = {simulator.name: simulator}
        supervisor = ConnectorSupervisor(
            connectors.list, build, builtin=builtin, on_sync=refresh_routes, owned=owned
        )
        ownership = BindOwnership(store, node.node_id, lambda: supervisor.upstreams)
        router = Router(lambda: supervisor.upstreams, simulator.name, ownership.bound_elsewhere)
        plans = RoutePlans(routes.list, connectors.list, SCHEMES, clock)
        dispatcher = Dispatcher(
            store,
            router,
            clock,
            stats,
            batch_size=settings.dispatch_batch,
            plans=plans,
            node=node.node_id,
            announce_held=Announcer(store, HELD) if owned else None,
        )
        ownership.on_shared = dispatcher.held_elsewhere
        receipts = ReceiptRecorder(store, clock, stats)

        # Accepted messages wake this node's dispatcher, or the nodes that dispatch.
        wake = dispatcher.wake if settings.runs("dispatch") else Announcer(store, DUE)

        def accepted(count: int) -> None:
            stats.add("accepted", count)
            (nudge or wake)()

        policies = AccountPolicies(
            store, clock, default_rate=settings.account_rate_limit, share=rate_share
        )
        submit = SubmitService(
            store,
            catalog,
            clock,
            ids,
            default_validity=settings.default_validity,
            on_accepted=accepted,
            policies=policies,
            stop_list=stop_list,
            plans=plans,
        )
        inbound.submit = submit  # STOP/START confirmations; submit needs the routes first
        messages = MessageService(store, clock)
        smpp = SmppFrontend(
            SmppCustomers(store, auth, catalog, submit, clock, policies, settings=inbound_settings),
            messages,
            clock,
            host=settings.smpp_host,
            port=settings.smpp_port,
            bind_timeout=settings.smpp_bind_timeout,
            per_address=settings.connections_per_address,
        )
        statistics, senders = StatisticsService(store), SendersService(store, clock)

        def webhook_sender(queue: WebhookQueue) -> WebhookSender:
            return WebhookSender(
                queue,
                clock,
                secret,
                max_attempts=settings.webhook_max_attempts,
                base_delay=settings.webhook_base_delay,
            )

        return cls(
            settings=settings,
            store=store,
            clock=clock,
            stats=stats,
            auth=auth,
            accounts=AccountService(store, catalog, auth, clock),
            policies=policies,
            submit=submit,
            messages=messages,
            receipts=receipts,
            dispatcher=dispatcher,
            housekeeper=Housekeeper(
                store,
                receipts,
                clock,
                stats,
                interval=settings.housekeeping_interval,
                node=node.node_id,
            ),
            webhooks=webhook_sender(ReceiptQueue(store)),
            connectors=connectors,
            routes=routes,
            supervisor=supervisor,
            callbacks=CallbackDirectory(
                store.connector, CALLBACKS, receipts.record, inbound, clock
            ),
            smpp=smpp,
            stop_list=stop_list,
            statistics=statistics,
            senders=senders,
            inbound=inbound,
            numbers=numbers,
            inbound_settings=inbound_settings,
            node=node,
            ownership=ownership,
            wake=wake,
            mo_webhooks=webhook_sender(MoQueue(store)),
        )

    async def start(self, *, smpp: bool = True) -> None:
        """Recover what a previous process left behind, then start the background roles
        this node runs (with the SMPP server unless an ingress worker runs it). The node's
        id is taken first: Conflict when a live process holds it."""
        await self.node.register()
        runs = self.settings.runs
        jobs: list[Callable[[], Coroutine[Any, Any, None]]] = [self.node.run]
        if runs("dispatch"):
            await self.store.listen(DUE, self.dispatcher.wake)
            recovered = await self.housekeeper.recover()
            if recovered:
                log.warning("requeued %d messages left in flight by a previous process", recovered)
            await self.supervisor.start(self.receipts.record)
            jobs += [self.dispatcher.run, self.housekeeper.run, self.supervisor.run]
            if isinstance(self.store, SqlStore):
                await self.store.listen(HELD, self.dispatcher.held_elsewhere)
                jobs.append(self.ownership.run)
        if smpp and runs("smpp"):
            await self.smpp.start()
        if runs("webhooks"):
            jobs += [self.webhooks.run, self.mo_webhooks.run]
        for job in jobs:
            self.tasks.append(asyncio.create_task(job(), name=job.__qualname__))

    async def close(self) -> None:
        await self.smpp.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.supervisor.close()
        if self.tasks:
            if self.settings.runs("dispatch"):
                await self.ownership.leave()  # after the binds closed
            await self.node.leave()
        await self.store.close()
        self.auth.close()

    def api_context(self) -> ApiContext:
        async def healthy() -> bool:
            await self.store.queue_depth()
            return True

        services = self.dialect_services()
        return ApiContext(
            auth=self.auth,
            policies=self.policies,
            submit=self.submit,
            messages=self.messages,
            accounts=self.accounts,
            stop_list=self.stop_list,
            inbound=self.inbound,
            conversations=ConversationService(self.store, self.inbound),
            numbers=self.numbers,
            inbound_settings=self.inbound_settings,
            statistics=self.statistics,
            stats=self.stats,
            queue_depth=self.store.queue_depth,
            held_messages=self.connectors.held,
            health=healthy,
            max_body_bytes=self.settings.max_body_bytes,
            extra_routes=[
                *callback_routes(
                    self.callbacks.handler, max_body_bytes=self.settings.max_body_bytes
                ),
                *(route for dialect in DIALECTS for route in dialect(services).routes()),
                *portal_routes(self.portal_context()),
            ],
        )

    def portal_context(self) -> PortalContext:
        return PortalContext(
            secret=portal_secret(self.settings),
            clock=self.clock,
            auth=self.auth,
            policies=self.policies,
            accounts=self.accounts,
            submit=self.submit,
            messages=self.messages,
            statistics=self.statistics,
            inbound=self.inbound,
        )

    def dialect_services(self) -> DialectServices:
        return DialectServices(
            auth=self.auth,
            policies=self.policies,
            submit=self.submit,
            messages=self.messages,
            accounts=self.accounts,
            stop_list=self.stop_list,
            statistics=self.statistics,
            senders=self.senders,
            lookup=NumberLookup(),
            inbound=self.inbound,
            clock=self.clock,
            max_body_bytes=self.settings.max_body_bytes,
        )


def prepare_data_dir(settings: Settings) -> str:
    """Create the data directory; return the webhook secret: the configured one, else
    one generated once and kept there."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    if settings.webhook_secret:
        return settings.webhook_secret
    path = Path(settings.data_dir) / "webhook.secret"
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_hex(32)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret


def portal_secret(settings: Settings) -> bytes:
    """The key portal sessions are signed with: generated once into the data directory,
    so every process (and every restart) accepts the same cookies."""
    path = Path(settings.data_dir) / "portal.secret"
    if not path.exists():
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f"portal.secret.{secrets.token_hex(8)}")
        fresh.write_text(secrets.token_hex(32) + "\n")
        fresh.chmod(0o600)
        # A link never replaces a file: of two processes starting at once, one key wins.
        with contextlib.suppress(FileExistsError):
            os.link(fresh, path)
        fresh.unlink()
    return bytes.fromhex(path.read_text().strip())


async def ensure_demo(gateway: Gateway, say: Callable[[str], None]) -> None:
    """On a database without accounts: a demo account with credit, a random password, a
    default price, and how to use it (the key and password are shown this once)."""
    if await gateway.store.accounts():
        return
    await gateway.accounts.set_price(None, "*", DEMO_PRICE)
    # 8 letters and digits (47 bits): SMPP carries no more, and no shell reads it as an option
    password = "".join(secrets.choice(DEMO_PASSWORD_ALPHABET) for _ in range(8))
    created = await gateway.accounts.create(DEMO_ACCOUNT, credit=DEMO_CREDIT, password=password)
    with contextlib.suppress(Conflict):  # the number is someone else's already
        await gateway.numbers.add(DEMO_NUMBER, default_account=created.account)
    say(demo_banner(gateway.settings, created.account, created.api_key, password))


def demo_banner(settings: Settings, account: Account, api_key: str, password: str) -> str:
    base = f"http://{settings.http_host}:{settings.http_port}"
    auth = f"-H 'Authorization: Bearer {api_key}'"
    return f"""
smsgate: created the demo account {account.name!r} with {format_amount(account.balance)} \
{account.currency} credit; every part costs {format_amount(DEMO_PRICE)} by default.
  API key (shown once):  {api_key}
  password (shown once): {password}   (HTTP Basic, SMPP and the dialects, as {account.name!r})

Log in to the web portal as {account.name!r} with that password: {base}/

Send a message:
  curl -s -X POST {base}/api/v1/messages -H 'Authorization: Bearer {api_key}' \\
       -H 'Content-Type: application/json' \\
       -d '{{"to": "+393331234567", "from": "smsgate", "text": "Hello from smsgate"}}'

Read its status (use the id from the answer):
  curl -s {base}/api/v1/messages/MESSAGE_ID -H 'Authorization: Bearer {api_key}'

Two-way SMS: MO to the short code {DEMO_NUMBER} go to {account.name!r}. \
Have the simulated operator deliver one, then read it:
  .venv/bin/smsgate simulator mo --from +393331234567 --to {DEMO_NUMBER} --text "INFO"
  curl -s {base}/api/v1/inbound {auth}
The test number {AUTO_REPLY_NUMBER} answers every message with "Auto-reply: <its text>":
  curl -s -X POST {base}/api/v1/messages {auth} -H 'Content-Type: application/json' \\
       -d '{{"to": "{AUTO_REPLY_NUMBER}", "from": "{DEMO_NUMBER}", "text": "Hello"}}'
"""
