"""Running a gateway with its HTTP API until SIGINT or SIGTERM.

With `http_workers` = 0 (or a memory store, which cannot be shared) one process does
everything; otherwise this process is the core and that many worker processes serve
the HTTP API, the first of them also the SMPP server (`smsgate.processes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import uvicorn
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from smsgate.api.front.server import LeanServer
from smsgate.api.http import build_app
from smsgate.api.http_limits import ConnectionLimits, guarded_protocol
from smsgate.app import Gateway
from smsgate.config import Settings
from smsgate.demo import ensure_demo
from smsgate.processes import (
    HttpWorkers,
    Nudger,
    WorkerLink,
    ensure_free,
    listen_for_wakeups,
    listening_socket,
    map_counters,
    raise_open_files_limit,
    ready_line,
)
from smsgate.smpp.proxy import parse_networks
from smsgate.store import MEMORY_URL, CommitBell

log = logging.getLogger(__name__)

COUNTERS_FILE = "counters"


async def serve(settings: Settings, *, say: Callable[[str], None] = print) -> None:
    """Run the gateway, with its HTTP workers if configured, until SIGINT or SIGTERM.

    Raises PortInUse before anything starts when the HTTP or SMPP port is taken.
    """
    raise_open_files_limit()
    await ensure_free(settings.http_host, settings.http_port, "SMSGATE_HTTP_PORT or --port")
    await ensure_free(settings.smpp_host, settings.smpp_port, "SMSGATE_SMPP_PORT")
    log_event_loop()
    if not settings.runs("api"):
        await _serve_without_http(settings, say)
        return
    workers = 0 if settings.database().startswith(MEMORY_URL) else settings.http_workers
    if not workers:
        await _serve_one_process(settings, say)
        return
    counters = Path(settings.data_dir) / COUNTERS_FILE
    counters.parent.mkdir(parents=True, exist_ok=True)
    stats = map_counters(counters, row=0, rows=workers + 1)
    with contextlib.closing(CommitBell.pipe()) as bell:
        gateway = await Gateway.open(settings, stats=stats, bell=bell)
        try:
            stop = await _start(gateway, say, smpp=False)
            await _serve_with_workers(gateway, workers, counters, bell, stop, say)
        finally:
            await gateway.close()


async def _serve_one_process(settings: Settings, say: Callable[[str], None]) -> None:
    gateway = await Gateway.open(settings)
    try:
        stop = await _start(gateway, say, smpp=True)
        await _serve_in_process(gateway, stop, say)
    finally:
        await gateway.close()


async def _serve_without_http(settings: Settings, say: Callable[[str], None]) -> None:
    """A node without the `api` role: its other roles in one process."""
    gateway = await Gateway.open(settings)
    try:
        stop = await _start(gateway, say, smpp=True)
        if settings.runs("smpp"):
            say(f"smsgate: SMPP on {settings.smpp_host}:{gateway.smpp.port}")
        say(f"smsgate: running {settings.roles} (ready)")
        await stop.wait()
    finally:
        await gateway.close()


async def _start(gateway: Gateway, say: Callable[[str], None], *, smpp: bool) -> asyncio.Event:
    """Start the background roles; the event is set on SIGINT or SIGTERM."""
    if gateway.settings.demo:
        await ensure_demo(gateway, say)
    await gateway.start(smpp=smpp)
    settle_heap()
    return _stop_on_signals()


async def serve_http_worker(settings: Settings, link: WorkerLink) -> None:
    """One HTTP worker: the API on the core's socket, until told to stop or the core is gone."""
    raise_open_files_limit()
    log_event_loop()
    stats = map_counters(Path(link.counters), row=link.index)
    with (
        contextlib.closing(Nudger(link.wake_port)) as nudge,
        contextlib.closing(link.bell()) as bell,
    ):
        # Send rates are per account over the whole gateway: each worker takes its share.
        gateway = await Gateway.open(
            settings,
            stats=stats,
            nudge=nudge,
            migrate=False,
            bell=bell,
            rate_share=1 / link.workers,
        )
        try:
            await _serve_worker(gateway, link)
        finally:
            await gateway.close()


async def _serve_worker(gateway: Gateway, link: WorkerLink) -> None:
    settings = gateway.settings
    loop = asyncio.get_running_loop()
    stop = _stop_on_signals()
    # Nobody writes to the lifeline: it becomes readable (EOF) when the core is gone.
    loop.add_reader(link.lifeline_fd, stop.set)
    try:
        server = http_server(gateway)
        serving = asyncio.create_task(server.serve(sockets=[socket.socket(fileno=link.listen_fd)]))
        await _until_started(server, serving, settings.http_port)
        smpp_port = None
        if link.smpp:
            await gateway.smpp.start()
            smpp_port = gateway.smpp.port
        settle_heap()
        os.write(link.ready_fd, ready_line(smpp_port))
        os.close(link.ready_fd)
        await _until(stop, serving)
        server.should_exit = True
        await serving
    finally:
        loop.remove_reader(link.lifeline_fd)


async def _serve_in_process(
    gateway: Gateway, stop: asyncio.Event, say: Callable[[str], None]
) -> None:
    server = http_server(gateway)
    serving = asyncio.create_task(server.serve())
    await _until_started(server, serving, gateway.settings.http_port)
    _announce(gateway, say, gateway.smpp.port, gateway.settings.http_port)
    await _until(stop, serving)
    server.should_exit = True
    await serving


async def _serve_with_workers(
    gateway: Gateway,
    count: int,
    counters: Path,
    bell: CommitBell,
    stop: asyncio.Event,
    say: Callable[[str], None],
) -> None:
    settings = gateway.settings
    try:
        listen = await listening_socket(settings.http_host, settings.http_port)
    except OSError as exc:
        raise RuntimeError(f"HTTP server could not start on port {settings.http_port}") from exc
    transport, wake_port = await listen_for_wakeups(gateway.wake)
    workers = HttpWorkers(count, listen, wake_port, counters, bell, smpp=settings.runs("smpp"))
    try:
        await workers.start()
        port = listen.getsockname()[1]
        detail = f" ({count} worker processes)" if count > 1 else ""
        _announce(gateway, say, workers.smpp_port or settings.smpp_port, port, detail)
        await stop.wait()
    finally:
        await workers.stop()
        transport.close()
        listen.close()


def log_event_loop() -> None:
    """Say which event loop this process runs on (config `event_loop`)."""
    loop = asyncio.get_running_loop()
    log.info("event loop: %s", type(loop).__module__.split(".")[0])


def settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's sight.

    Modules, metadata tables and the gateway's objects live as long as the process, so
    full collections need not scan them (docs/architecture.md, "Where the time goes").
    """
    gc.collect()
    gc.freeze()


def http_server(gateway: Gateway) -> uvicorn.Server | LeanServer:
    """The configured server (`http_server`) serving the API under the connection limits
    of docs/security.md."""
    settings = gateway.settings
    app: ASGIApp = build_app(gateway.api_context())
    if settings.http_server != "lean":
        return uvicorn.Server(http_config(settings, app))
    proxies = parse_networks(settings.trusted_proxies)
    if proxies:
        # X-Forwarded-For is read from the trusted proxies only, as under uvicorn
        app = cast(ASGIApp, ProxyHeadersMiddleware(cast(Any, app), [str(n) for n in proxies]))
    return LeanServer(
        app,
        connection_limits(settings),
        host=settings.http_host,
        port=settings.http_port,
        keepalive=settings.http_keepalive_timeout,
    )


def connection_limits(settings: Settings) -> ConnectionLimits:
    return ConnectionLimits(
        header_timeout=settings.http_header_timeout,
        body_timeout=settings.http_body_timeout,
        per_address=settings.connections_per_address,
        exempt=parse_networks(settings.trusted_proxies),
    )


def http_config(settings: Settings, app: ASGIApp) -> uvicorn.Config:
    """uvicorn's configuration for `app` on the settings' address and limits."""
    limits = connection_limits(settings)
    proxies = limits.exempt
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        http=guarded_protocol(limits),
        # X-Forwarded-For is read from the trusted proxies only, and from nobody by default
        proxy_headers=bool(proxies),
        forwarded_allow_ips=[str(network) for network in proxies],
        ws="none",
        timeout_keep_alive=settings.http_keepalive_timeout,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _until_started(
    server: uvicorn.Server | LeanServer, serving: asyncio.Task[None], port: int
) -> None:
    # uvicorn exposes only a `started` flag, no event to wait on.
    while not server.started and not serving.done():  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    if serving.done():
        await serving
        raise RuntimeError(f"HTTP server could not start on port {port}")


async def _until(stop: asyncio.Event, serving: asyncio.Task[None]) -> None:
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({stopping, serving}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stopping


def _announce(
    gateway: Gateway, say: Callable[[str], None], smpp_port: int, port: int, detail: str = ""
) -> None:
    settings = gateway.settings
    if settings.runs("smpp"):
        say(f"smsgate: SMPP on {settings.smpp_host}:{smpp_port}")
    say(f"smsgate: HTTP API on http://{settings.http_host}:{port}{detail} (ready)")
