"""The outbox sender: POSTs what a webhook queue has due (a message's final status to its
callback_url, an MO to its webhook), with retries. A 2xx answer (with the body the shape
asks for, if any) ends a POST; anything else is retried with exponential back-off until
`max_attempts`, then it is marked failed. A queue's rows are claimed by this gateway
node before they are POSTed, so several nodes on one database POST each row once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Protocol

from smsgate.services.mo_webhooks import MoOutboxStore
from smsgate.services.ports import LOCAL_NODE, OUTBOX_LEASE, Clock, NotificationAttempt, Store
from smsgate.webhooks.bodies import JSON, mo_body, notification_body
from smsgate.webhooks.client import WebhookClient, WebhookError
from smsgate.webhooks.signing import HEADER, sign

log = logging.getLogger(__name__)
ANSWER_KEPT = 64  # answer body bytes read when a shape expects one


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One POST a queue's row asks for: `body` (None: nothing to announce, it fails with
    `error`) as `content_type`; delivered by a 2xx answer whose body, stripped, is
    `expect` when that is given."""

    id: int
    url: str
    attempts: int
    body: bytes | None
    content_type: str = JSON
    expect: bytes | None = None
    error: str = ""


class WebhookQueue(Protocol):
    async def claim(self, now: float, limit: int) -> Sequence[Outgoing]:
        """Rows due by `now` that no other node holds, claimed by this one."""
        ...

    async def record(self, attempts: Sequence[NotificationAttempt], now: float) -> None:
        """Record finished attempts, ending their rows' claims."""
        ...

    async def release(self) -> None:
        """End this node's claims: it stops, or starts again after a crash."""
        ...


@dataclass(eq=False, slots=True)
class ReceiptQueue:
    """Messages' final statuses for their callback_url (the store's `outbox`), claimed by
    gateway node `node`."""

    store: Store
    node: str = LOCAL_NODE
    lease: float = OUTBOX_LEASE

    async def claim(self, now: float, limit: int) -> Sequence[Outgoing]:
        return [
            Outgoing(n.id, n.url, n.attempts, None, error="message not found")
            if n.message is None
            else Outgoing(n.id, n.url, n.attempts, notification_body(n.message))
            for n in await self.store.claim_notifications(now, limit, self.node, self.lease)
        ]

    async def record(self, attempts: Sequence[NotificationAttempt], now: float) -> None:
        await self.store.record_notifications(attempts, now)

    async def release(self) -> None:
        await self.store.release_notifications(self.node)


@dataclass(eq=False, slots=True)
class MoQueue:
    """MO for their webhooks (the store's `inbound_outbox`), in order per sender and URL,
    claimed by gateway node `node`."""

    store: MoOutboxStore
    node: str = LOCAL_NODE
    lease: float = OUTBOX_LEASE

    async def claim(self, now: float, limit: int) -> Sequence[Outgoing]:
        due = []
        for d in await self.store.claim_mo_webhooks(now, limit, self.node, self.lease):
            body = mo_body(d)
            unknown = f"unknown shape {d.shape!r}"
            due.append(
                Outgoing(d.id, d.url, d.attempts, None, error=unknown)
                if body is None
                else Outgoing(d.id, d.url, d.attempts, *body)
            )
        return due

    async def record(self, attempts: Sequence[NotificationAttempt], now: float) -> None:
        await self.store.record_mo_webhooks(attempts, now)

    async def release(self) -> None:
        await self.store.release_mo_webhooks(self.node)


@dataclass(eq=False, slots=True)
class WebhookSender:
    """Due POSTs of one queue are taken in batches, made concurrently over kept-alive
    connections, and the attempts that finished are recorded in one transaction per round.

    A round waits for its POSTs for `round_wait` at most: a slow receiver's POSTs stay in
    flight (and are not started again) while the next rounds go on for everyone else, and
    are recorded in the round they finish in. A POST still in flight when the gateway
    stops is made again after the restart (by any node: the claims are released).
    """

    queue: WebhookQueue
    clock: Clock
    secret: str = field(repr=False)
    _: KW_ONLY
    max_attempts: int = 6
    base_delay: float = 5.0
    timeout: float = 10.0
    batch: int = 500
    concurrency: int = 100
    idle_poll: float = 0.1
    round_wait: float = 1.0
    _slots: asyncio.Semaphore = field(init=False)
    _in_flight: dict[int, asyncio.Task[NotificationAttempt]] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.concurrency)

    def new_client(self) -> WebhookClient:
        """A client that keeps as many idle connections to a receiver as this sender has
        requests in flight, so a busy receiver's connections are reused batch after
        batch instead of reopened."""
        return WebhookClient(timeout=self.timeout, max_idle_per_origin=self.concurrency)

    async def run(self) -> None:
        await self._release()  # rows this node claimed before a crash
        client = self.new_client()
        try:
            while True:
                try:
                    handled = await self.send_due(client)
                except Exception:
                    log.exception("webhook round failed")
                    handled = 0
                if not handled:
                    await asyncio.sleep(self.idle_poll)
        finally:
            for task in self._in_flight.values():
                task.cancel()
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
            self._in_flight.clear()
            await client.close()
            await self._release()

    async def _release(self) -> None:
        try:
            await self.queue.release()
        except Exception:
            log.exception("webhook claims not released")

    async def send_due(self, client: WebhookClient) -> int:
        """Claim the due notifications and start POSTing them, wait for them
        (`round_wait` at most), and record every attempt that has finished, earlier
        rounds' too; returns how many were started."""
        in_flight = self._in_flight
        room = min(self.batch, self.batch + self.concurrency - len(in_flight))
        started: list[asyncio.Task[NotificationAttempt]] = []
        if room > 0:
            # a row in flight here is claimed by this node: it comes back only if the
            # claim's lease ran out, and is not started twice
            due = await self.queue.claim(self.clock.now(), room)
            for outgoing in [o for o in due if o.id not in in_flight]:
                task = asyncio.create_task(self._attempt(client, outgoing))
                in_flight[outgoing.id] = task
                started.append(task)
        if started:
            await asyncio.wait(started, timeout=self.round_wait)
        attempts: list[NotificationAttempt] = []
        for key in [key for key, task in in_flight.items() if task.done()]:
            attempt = _outcome(in_flight.pop(key))
            if attempt is not None:
                attempts.append(attempt)
        if attempts:
            await self.queue.record(attempts, self.clock.now())
        return len(started)

    async def _attempt(self, client: WebhookClient, outgoing: Outgoing) -> NotificationAttempt:
        body = outgoing.body
        if body is None:
            return self._failed(outgoing, None, outgoing.error)
        headers = {
            "Content-Type": outgoing.content_type,
            HEADER: sign(self.secret, body, int(self.clock.now())),
        }
        expect = outgoing.expect
        keep = 0 if expect is None else ANSWER_KEPT
        async with self._slots:
            try:
                status, answer = await client.post_read(outgoing.url, body, headers, keep=keep)
            except WebhookError as exc:
                return self._failed(outgoing, None, str(exc)[:200])
        if not 200 <= status < 300:
            return self._failed(outgoing, status, f"HTTP {status}")
        if expect is not None and answer.strip() != expect:
            return self._failed(outgoing, status, f"HTTP {status}, not {expect.decode()}")
        return NotificationAttempt(outgoing.id, True, status, None, None)

    def _failed(self, outgoing: Outgoing, status: int | None, error: str) -> NotificationAttempt:
        attempts = outgoing.attempts + 1
        next_at = None
        if attempts < self.max_attempts:
            next_at = self.clock.now() + self.base_delay * 2 ** (attempts - 1)
        return NotificationAttempt(outgoing.id, False, status, error, next_at)


def _outcome(task: asyncio.Task[NotificationAttempt]) -> NotificationAttempt | None:
    """A finished POST's attempt; None (it stays due) if the attempt itself failed."""
    if task.cancelled():
        return None
    error = task.exception()
    if error is not None:
        log.error("webhook attempt failed", exc_info=error)
        return None
    return task.result()
