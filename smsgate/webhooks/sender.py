"""The outbox sender: POSTs a message's final status to its callback_url, with retries.

Each attempt is recorded. A 2xx answer ends it; anything else is retried with
exponential back-off until `max_attempts`, then the notification is marked failed.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import msgspec

from smsgate.core.messages import Message
from smsgate.core.money import format_amount
from smsgate.services.ports import Clock, Notification, NotificationAttempt, Store
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
        concurrency: int = 20,
        idle_poll: float = 0.5,
    ) -> None:
        self._store = store
        self._clock = clock
        self._secret = secret
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._timeout = timeout
        self._concurrency = concurrency
        self._idle_poll = idle_poll

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            while True:
                try:
                    handled = await self.send_due(client)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook round failed")
                    handled = 0
                if handled == 0:
                    await asyncio.sleep(self._idle_poll)

    async def send_due(self, client: httpx.AsyncClient) -> int:
        due = await self._store.due_notifications(self._clock.now(), self._concurrency)
        await asyncio.gather(*(self._attempt(client, n) for n in due))
        return len(due)

    async def _attempt(self, client: httpx.AsyncClient, notification: Notification) -> None:
        message = await self._store.message(notification.message_id)
        status_code: int | None = None
        error: str | None = None
        if message is not None:
            body = notification_body(message)
            headers = {
                "Content-Type": "application/json",
                HEADER: sign(self._secret, body, int(self._clock.now())),
            }
            try:
                response = await client.post(notification.url, content=body, headers=headers)
                status_code = response.status_code
                if not 200 <= status_code < 300:
                    error = f"HTTP {status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:200]
        else:
            error = "message not found"
        attempts = notification.attempts + 1
        delivered = error is None
        next_at = None
        if not delivered and attempts < self._max_attempts:
            next_at = self._clock.now() + self._base_delay * 2 ** (attempts - 1)
        await self._store.record_notifications(
            [NotificationAttempt(notification.id, delivered, status_code, error, next_at)],
            self._clock.now(),
        )
