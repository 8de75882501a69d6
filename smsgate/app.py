"""The composition root: builds every part of smsgate from Settings and runs the roles.

`Gateway` owns the store, the services, the upstreams and the background jobs;
`smsgate.serving` runs it with its HTTP server, in one process or several.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from smsgate.api.callbacks import callback_routes
from smsgate.api.compat import agiletelecom, smsc, smspartner
from smsgate.api.compat.dialect import Dialect, DialectServices
from smsgate.api.context import ApiContext
from smsgate.api.smpp.server import SmppFrontend
from smsgate.config import Settings
from smsgate.connectors.callbacks import CallbackDirectory
from smsgate.connectors.registry import CALLBACKS, FACTORIES, PARSERS, SCHEMES
from smsgate.connectors.simulated_operator import SimulatedOperator
from smsgate.connectors.supervisor import ConnectorSupervisor
from smsgate.data_dir import portal_secret, prepare_data_dir
from smsgate.services.account_policy import AccountPolicies
from smsgate.services.account_webhooks import AccountWebhooks
from smsgate.services.accounts import AccountService
from smsgate.services.admins import AdminService
from smsgate.services.catalog import Catalog
from smsgate.services.changes import ROUTES, Changes
from smsgate.services.clock import SystemClock, TimeOrderedIds
from smsgate.services.connector_state import ConnectorStates
from smsgate.services.connectors import ConnectorDefinition, ConnectorService
from smsgate.services.conversations import ConversationService
from smsgate.services.counters import Counters
from smsgate.services.credentials import Authenticator
from smsgate.services.delivery import Housekeeper, ReceiptRecorder
from smsgate.services.dispatch import Dispatcher
from smsgate.services.health import HealthService
from smsgate.services.hourly_totals import HourlyTotalsService
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
from smsgate.services.retention import RetentionService
from smsgate.services.routing import Router, RouteService
from smsgate.services.senders import SendersService
from smsgate.services.smpp_customers import SmppCustomers
from smsgate.services.statistics import StatisticsService
from smsgate.services.stoplist import StopListService
from smsgate.services.submit import SubmitService
from smsgate.smpp.proxy import parse_networks
from smsgate.store import CommitBell, open_store
from smsgate.store.memory import MemoryStore
from smsgate.store.sql import SqlStore
from smsgate.web.context import PortalContext
from smsgate.web.routes import portal_routes
from smsgate.webhooks.probe import WebhookProber
from smsgate.webhooks.sender import MoQueue, ReceiptQueue, WebhookQueue, WebhookSender

log = logging.getLogger(__name__)


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
    catalog: Catalog  # account chains and price lists, cached
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
    changes: Changes  # cache invalidation across processes and nodes
    ownership: BindOwnership  # this node's share of the connectors' binds (SQL stores)
    # what accepted messages call (and the HTTP workers' wake-ups, through the core)
    wake: Callable[[], None]
    mo_webhooks: WebhookSender  # MO to their webhooks, as `webhooks` does receipts
    admins: AdminService
    retention: RetentionService
    connector_states: ConnectorStates  # published by the node that runs the connectors
    health: HealthService
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
        sync, stats = settings.sqlite_synchronous, stats or Counters()
        store = await open_store(
            settings.database(), sqlite_synchronous=sync, migrate=migrate, bell=bell, stats=stats
        )
        clock, ids = SystemClock(), TimeOrderedIds()
        catalog, changes = Catalog(store, clock), Changes(store)
        policy = LockoutPolicy(
            per_address=settings.login_failures_per_address,
            per_name=settings.login_failures_per_name,
            window=settings.login_failure_window,
            block=settings.login_block_seconds,
        )
        lockout = Lockout(store, clock, policy)
        auth = Authenticator(store, clock, lockout=lockout, threads=settings.password_threads)
        node = NodeService(store, settings.node_id or default_node_id(settings.data_dir))
        stop_list = StopListService(store, clock, changes)
        numbers = NumberService(store, clock)
        inbound_settings = InboundSettingsService(store, clock, changes)
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
        connectors = ConnectorService(store, PARSERS, clock.now, changes)
        routes = RouteService(store, clock.now, changes)

        def build(definition: ConnectorDefinition) -> Upstream:
            return FACTORIES[definition.type](definition, clock, inbound)

        async def refresh_routes() -> None:
            # The state published is stamped before the routes are read: a state newer
            # than a change to the routes means the router has that change.
            started = clock.now()
            router.replace_routes(await routes.list())
            await states.publish(started)

        owned = isinstance(store, SqlStore)  # nodes may share it: each binds only its slots
        builtin = {simulator.name: simulator}
        supervisor = ConnectorSupervisor(
            connectors.list, build, builtin=builtin, on_sync=refresh_routes, owned=owned
        )
        ownership = BindOwnership(store, node.node_id, lambda: supervisor.upstreams)
        router = Router(lambda: supervisor.upstreams, simulator.name, ownership.bound_elsewhere)
        states = ConnectorStates(store, clock, node.node_id, lambda: supervisor.upstreams)
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

        postgres = isinstance(store, SqlStore) and store.connections.dialect == "postgresql"
        # Accepted messages wake this node's dispatcher, or the nodes that dispatch (on
        # SQLite those poll: a signal row per accept would cost a write).
        wake: Callable[[], None] = dispatcher.wake
        if not settings.runs("dispatch"):
            wake = Announcer(store, DUE) if postgres else _no_wake

        def accepted(count: int) -> None:
            stats.add("accepted", count)
            (nudge or wake)()

        # On PostgreSQL every process counts what all nodes accepted: each enforces it all.
        policies = AccountPolicies(
            store,
            clock,
            default_rate=settings.account_rate_limit,
            share=1.0 if postgres else rate_share,
            changes=changes,
            shared=store if postgres else None,
            holder=f"{node.node_id}:{os.getpid()}",
        )
        for cache in (catalog, auth, policies, inbound_settings, stop_list, plans):
            cache.follow(changes)
        if settings.runs("dispatch"):  # the dispatcher's routes follow at once
            changes.on(ROUTES, lambda _: changes.spawn(refresh_routes()))
        await changes.listen()
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
        customers = SmppCustomers(
            store,
            auth,
            catalog,
            submit,
            clock,
            policies,
            settings=inbound_settings,
            node_id=node.node_id,
        )
        smpp = SmppFrontend(
            customers,
            messages,
            clock,
            host=settings.smpp_host,
            port=settings.smpp_port,
            bind_timeout=settings.smpp_bind_timeout,
            per_address=settings.connections_per_address,
            trusted_proxies=parse_networks(settings.trusted_proxies),
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
            catalog=catalog,
            auth=auth,
            accounts=AccountService(store, catalog, auth, clock, changes),
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
                steady=node.steady,
            ),
            webhooks=webhook_sender(ReceiptQueue(store, node.node_id)),
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
            changes=changes,
            ownership=ownership,
            wake=wake,
            mo_webhooks=webhook_sender(MoQueue(store, node.node_id)),
            admins=AdminService(store, clock, auth, lockout),
            retention=RetentionService(store, clock, settings.retention_days),
            connector_states=states,
            health=HealthService(store, clock, clock.now()),
        )

    async def start(self, *, smpp: bool = True) -> None:
        """Recover what a previous process left behind, then start the background roles
        this node runs (with the SMPP server unless an ingress worker runs it). The node's
        id is taken first: Conflict when a live process holds it."""
        await self.node.register()
        runs = self.settings.runs
        jobs: list[Callable[[], Coroutine[Any, Any, None]]] = [self.node.run]
        if runs("dispatch"):
            await self.store.listen(DUE, lambda _: self.dispatcher.wake())
            recovered = await self.housekeeper.recover()
            if recovered:
                log.warning("requeued %d messages left in flight by a previous process", recovered)
            await self.supervisor.start(self.receipts.record)
            jobs += [self.dispatcher.run, self.housekeeper.run, self.supervisor.run]
            every = self.settings.hourly_totals_interval  # the portal's totals
            jobs.append(HourlyTotalsService(self.store, self.clock, every).run)
            if self.settings.retention_days:
                jobs.append(self.retention.run)
            if isinstance(self.store, SqlStore):
                await self.store.listen(HELD, lambda _: self.dispatcher.held_elsewhere())
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
        if self.tasks and self.settings.runs("dispatch"):
            with contextlib.suppress(Exception):
                await self.connector_states.leave()
        if self.tasks:
            if self.settings.runs("dispatch"):
                await self.ownership.leave()  # after the binds closed
            await self.node.leave()
        await self.changes.flush()
        await self.policies.close()
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
            admins=self.admins,
            senders=self.senders,
            stop_list=self.stop_list,
            inbound_settings=self.inbound_settings,
            webhooks=AccountWebhooks(
                self.store,
                self.inbound_settings,
                self.numbers,
                WebhookProber(self.webhooks.secret),
                self.clock,
            ),
            connectors=self.connectors,
            routes=self.routes,
            numbers=self.numbers,
            connector_states=self.connector_states,
            health=self.health,
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


def _no_wake() -> None:
    return None
