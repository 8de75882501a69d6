"""The outbox sender: POSTs a message's final status to its callback_url, with retries.

Due notifications are taken in batches, POSTed concurrently over kept-alive
connections, and the attempts of a batch are recorded in one transaction. A 2xx answer
ends a notification; anything else is retried with exponential back-off until
`max_attempts`, then it is marked failed.
"""

from __future__ import annotations

import asyncio
import logging
import time

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


class WebhookSender:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        secret: str,
        *,
        max_attempts: int = 6,
        base_delay: float = 5.0,
        timeout: float = 10.0,
        batch: int = 500,
        concurrency: int = 100,
        idle_poll: float = 0.1,
    ) -> None:
        self._store = store
        self._clock = clock
        self._secret = secret
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._timeout = timeout
        self._batch = batch
        self._concurrency = concurrency
        self._idle_poll = idle_poll

    def new_client(self) -> WebhookClient:
        """A client that keeps as many idle connections to a receiver as this sender has
        requests in flight, so a busy receiver's connections are reused batch after
        batch instead of reopened."""
        return WebhookClient(timeout=self._timeout, max_idle_per_origin=self._concurrency)

    async def run(self) -> None:
        client = self.new_client()
        try:
            while True:
                try:
                    handled = await self.send_due(client)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook round failed")
                    handled = 0
                if handled < self._batch:
                    await asyncio.sleep(self._idle_poll)
        finally:
            await client.close()

    async def send_due(self, client: WebhookClient) -> int:
        """POST one batch of due notifications and record how each went; returns how many."""
        due = await self._store.due_notifications(self._clock.now(), self._batch)
        if not due:
            return 0
        limit = asyncio.Semaphore(self._concurrency)
        attempts = await asyncio.gather(*(self._attempt(client, n, limit) for n in due))
        await self._store.record_notifications(attempts, self._clock.now())
        return len(due)

    async def _attempt(
        self, client: WebhookClient, notification: Notification, limit: asyncio.Semaphore
    ) -> NotificationAttempt:
        if notification.message is None:
            return self._failed(notification, None, "message not found")
        body = notification_body(notification.message)
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(self._secret, body, int(self._clock.now())),
        }
        async with limit:
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
        if attempts < self._max_attempts:
            next_at = self._clock.now() + self._base_delay * 2 ** (attempts - 1)
        return NotificationAttempt(notification.id, False, status, error, next_at)
