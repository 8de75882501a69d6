"""The outbox sender: POSTs a message's final status to its callback_url, with retries.

A 2xx answer ends a notification; anything else is retried with exponential back-off
until `max_attempts`, then it is marked failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import KW_ONLY, dataclass, field

import msgspec

from smsgate.core.messages import Message
from smsgate.core.money import format_amount
from smsgate.services.ports import Clock, Notification, NotificationAttempt, Store
from smsgate.webhooks.client import WebhookClient, WebhookError
from smsgate.webhooks.signing import HEADER, sign

log = logging.getLogger(__name__)


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


def notification_body(message: Message) -> bytes:
    return msgspec.json.encode(
        {
            "event": "message.status",
            "id": message.id,
            "batch_id": message.batch_id,
            "reference": message.reference,
            "to": message.to,
            "from": message.sender,
            "status": message.status.value,
            "error": message.error,
            "parts": message.parts,
            "cost": format_amount(message.cost),
            "currency": message.currency,
            "created_at": _iso(message.created_at),
            "sent_at": _iso(message.sent_at),
            "done_at": _iso(message.done_at),
        }
    )


@dataclass(eq=False, slots=True)
class WebhookSender:
    """Due notifications are taken in batches, POSTed concurrently over kept-alive
    connections, and the attempts that finished are recorded in one transaction per round.

    A round waits for its POSTs for `round_wait` at most: a slow receiver's POSTs stay in
    flight (and are not started again) while the next rounds go on for everyone else, and
    are recorded in the round they finish in. A POST still in flight when the gateway
    stops is made again after the restart.
    """

    store: Store
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
        client = self.new_client()
        try:
            while True:
                try:
                    handled = await self.send_due(client)
                except Exception:
                    log.exception("webhook round failed")
                    handled = 0
                if handled < self.batch:
                    await asyncio.sleep(self.idle_poll)
        finally:
            for task in self._in_flight.values():
                task.cancel()
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
            self._in_flight.clear()
            await client.close()

    async def send_due(self, client: WebhookClient) -> int:
        """Start POSTing the due notifications not in flight yet, wait for them
        (`round_wait` at most), and record every attempt that has finished, earlier
        rounds' too; returns how many were started."""
        in_flight = self._in_flight
        room = min(self.batch, self.batch + self.concurrency - len(in_flight))
        started: list[asyncio.Task[NotificationAttempt]] = []
        if room > 0:
            due = await self.store.due_notifications(self.clock.now(), room + len(in_flight))
            for notification in [n for n in due if n.id not in in_flight][:room]:
                task = asyncio.create_task(self._attempt(client, notification))
                in_flight[notification.id] = task
                started.append(task)
        if started:
            await asyncio.wait(started, timeout=self.round_wait)
        attempts: list[NotificationAttempt] = []
        for key in [key for key, task in in_flight.items() if task.done()]:
            attempt = _outcome(in_flight.pop(key))
            if attempt is not None:
                attempts.append(attempt)
        if attempts:
            await self.store.record_notifications(attempts, self.clock.now())
        return len(started)

    async def _attempt(
        self, client: WebhookClient, notification: Notification
    ) -> NotificationAttempt:
        if notification.message is None:
            return self._failed(notification, None, "message not found")
        body = notification_body(notification.message)
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(self.secret, body, int(self.clock.now())),
        }
        async with self._slots:
            try:
                status = await client.post(notification.url, body, headers)
            except WebhookError as exc:
                return self._failed(notification, None, str(exc)[:200])
        if 200 <= status < 300:
            return NotificationAttempt(notification.id, True, status, None, None)
        return self._failed(notification, status, f"HTTP {status}")

    def _failed(
        self, notification: Notification, status: int | None, error: str
    ) -> NotificationAttempt:
        attempts = notification.attempts + 1
        next_at = None
        if attempts < self.max_attempts:
            next_at = self.clock.now() + self.base_delay * 2 ** (attempts - 1)
        return NotificationAttempt(notification.id, False, status, error, next_at)


def _outcome(task: asyncio.Task[NotificationAttempt]) -> NotificationAttempt | None:
    """A finished POST's attempt; None (it stays due) if the attempt itself failed."""
    if task.cancelled():
        return None
    error = task.exception()
    if error is not None:
        log.error("webhook attempt failed", exc_info=error)
        return None
    return task.result()
