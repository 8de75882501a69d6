"""The composition root: builds every part of smsgate from Settings and runs the roles.

`Gateway` owns the store, the services, the upstreams and the background jobs;
`serve` adds the HTTP server and runs until SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from smsgate.api.http import ApiContext, build_app
from smsgate.config import Settings
from smsgate.connectors.simulator import SimulatedOperator
from smsgate.core.accounts import Account
from smsgate.core.messages import Message
from smsgate.core.money import MICRO, format_amount
from smsgate.services.accounts import AccountService
from smsgate.services.catalog import Catalog
from smsgate.services.clock import SystemClock, TimeOrderedIds
from smsgate.services.credentials import Authenticator
from smsgate.services.delivery import Housekeeper, ReceiptRecorder
from smsgate.services.dispatch import Dispatcher
from smsgate.services.messages import MessageService
from smsgate.services.ports import Store, Upstream
from smsgate.services.stats import Stats
from smsgate.services.submit import SubmitService
from smsgate.services.throttle import RateLimiter
from smsgate.store import open_store
from smsgate.webhooks.sender import WebhookSender

log = logging.getLogger(__name__)

DEMO_ACCOUNT = "demo"
DEMO_CREDIT = 10 * MICRO
DEMO_PRICE = 50_000


@dataclass(slots=True)
class Gateway:
    """Everything one smsgate process runs, wired together."""

    settings: Settings
    store: Store
    clock: SystemClock
    stats: Stats
    auth: Authenticator
    accounts: AccountService
    submit: SubmitService
    messages: MessageService
    receipts: ReceiptRecorder
    dispatcher: Dispatcher
    housekeeper: Housekeeper
    webhooks: WebhookSender
    upstreams: dict[str, Upstream]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: Settings) -> Gateway:
        secret = prepare_data_dir(settings)
        store = await open_store(
            settings.database(), sqlite_synchronous=settings.sqlite_synchronous
        )
        clock, ids, stats = SystemClock(), TimeOrderedIds(), Stats()
        catalog = Catalog(store, clock)
        auth = Authenticator(store)
        simulator = SimulatedOperator(
            clock,
            delay_ms=settings.simulator_delay_ms,
            pending=lambda: store.open_parts("simulator"),
        )
        upstreams: dict[str, Upstream] = {simulator.name: simulator}

        def route(message: Message) -> Upstream | None:
            return simulator

        dispatcher = Dispatcher(store, route, clock, stats, batch_size=settings.dispatch_batch)
        receipts = ReceiptRecorder(store, clock, stats)

        def accepted(count: int) -> None:
            stats.accepted += count
            dispatcher.wake()

        return cls(
            settings=settings,
            store=store,
            clock=clock,
            stats=stats,
            auth=auth,
            accounts=AccountService(store, catalog, auth, clock),
            submit=SubmitService(
                store,
                catalog,
                clock,
                ids,
                default_validity=settings.default_validity,
                on_accepted=accepted,
                limiter=RateLimiter(clock, settings.account_rate_limit),
            ),
            messages=MessageService(store, clock),
            receipts=receipts,
            dispatcher=dispatcher,
            housekeeper=Housekeeper(
                store, receipts, clock, stats, interval=settings.housekeeping_interval
            ),
            webhooks=WebhookSender(
                store,
                clock,
                secret,
                max_attempts=settings.webhook_max_attempts,
                base_delay=settings.webhook_base_delay,
            ),
            upstreams=upstreams,
        )

    async def start(self) -> None:
        """Recover what a previous process left behind, then start the background roles."""
        recovered = await self.housekeeper.recover()
        if recovered:
            log.warning("requeued %d messages left in flight by a previous process", recovered)
        for upstream in self.upstreams.values():
            await upstream.start(self.receipts.record)
        for job in (self.dispatcher.run, self.housekeeper.run, self.webhooks.run):
            self.tasks.append(asyncio.create_task(job(), name=job.__qualname__))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for upstream in self.upstreams.values():
            await upstream.close()
        await self.store.close()

    def api_context(self) -> ApiContext:
        async def healthy() -> bool:
            await self.store.queue_depth()
            return True

        return ApiContext(
            auth=self.auth,
            submit=self.submit,
            messages=self.messages,
            accounts=self.accounts,
            stats=self.stats,
            queue_depth=self.store.queue_depth,
            health=healthy,
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


async def ensure_demo(gateway: Gateway, say: Callable[[str], None]) -> None:
    """On an empty database: a demo account with credit, a default price, and how to use it."""
    if await gateway.store.accounts():
        return
    await gateway.accounts.set_price(None, "*", DEMO_PRICE)
    created = await gateway.accounts.create(DEMO_ACCOUNT, credit=DEMO_CREDIT, password="demo123")
    say(demo_banner(gateway.settings, created.account, created.api_key))


def demo_banner(settings: Settings, account: Account, api_key: str) -> str:
    base = f"http://{settings.http_host}:{settings.http_port}"
    return f"""
smsgate: created the demo account {account.name!r} with {format_amount(account.balance)} \
{account.currency} credit; every part costs {format_amount(DEMO_PRICE)} by default.
  API key (shown once): {api_key}
  username/password:    {account.name} / demo123

Send a message:
  curl -s -X POST {base}/api/v1/messages -H 'Authorization: Bearer {api_key}' \\
       -H 'Content-Type: application/json' \\
       -d '{{"to": "+393331234567", "from": "smsgate", "text": "Hello from smsgate"}}'

Read its status (use the id from the answer):
  curl -s {base}/api/v1/messages/MESSAGE_ID -H 'Authorization: Bearer {api_key}'
"""


async def serve(settings: Settings, *, say: Callable[[str], None] = print) -> None:
    """Run the gateway with its HTTP server until SIGINT or SIGTERM."""
    gateway = await Gateway.open(settings)
    try:
        if settings.demo:
            await ensure_demo(gateway, say)
        await gateway.start()
        config = uvicorn.Config(
            build_app(gateway.api_context()),
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        server = uvicorn.Server(config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        serving = asyncio.create_task(server.serve())
        # uvicorn exposes only a `started` flag, no event to wait on.
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if serving.done():
            await serving
            raise RuntimeError(f"HTTP server could not start on port {settings.http_port}")
        say(f"smsgate: HTTP API on http://{settings.http_host}:{settings.http_port} (ready)")
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({stopping, serving}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        stopping.cancel()
        await serving
    finally:
        await gateway.close()
