"""Hands pending smpp_outbox rows (receipts and MO) to customers' receiver binds as
deliver_sm, marked delivered only once the ESME answered each with status 0. Rows are
claimed by this node first, so a customer bound to several nodes gets each from one of
them; claims left by a stop or a crash are released. An account without a receiver bind
waits in the store; the worker wakes when one binds and otherwise polls."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable

from smsgate.api.smpp.mo import mo_pdus
from smsgate.api.smpp.status import MESSAGE_STATE
from smsgate.core.messages import Message, Status
from smsgate.services.inbound_plan import UDH
from smsgate.services.smpp_customers import SmppCustomers, SmppOutboxItem
from smsgate.smpp import (
    DeliverSm,
    PduError,
    Receipt,
    ServerSession,
    SessionError,
    SmppError,
    Ton,
    receipt_pdu,
)

log = logging.getLogger(__name__)

BATCH = 100
MAX_BACKOFF = 30.0
Address = tuple[int, int, str]


class SmppDelivery:
    """The worker that hands each account's pending rows to its receiver binds.

    Each account drains in a task of its own, so a customer that is slow to answer holds
    up only its own rows; one that refused a row is left alone for a back-off (doubling
    from `poll_interval` up to MAX_BACKOFF, reset when it binds again).
    """

    def __init__(
        self,
        customers: SmppCustomers,
        receivers: Callable[[int], list[ServerSession]],
        *,
        poll_interval: float = 1.0,
    ) -> None:
        self._customers = customers
        self._receivers = receivers
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._draining: dict[int, asyncio.Task[None]] = {}
        self._backoff: dict[int, tuple[float, float]] = {}  # account: (delay, not before)

    def wake(self, account_id: int | None = None) -> None:
        """Look for work now; `account_id` (a new receiver bind) is tried at once."""
        if account_id is not None:
            self._backoff.pop(account_id, None)
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="smpp-delivery")

    async def stop(self) -> None:
        tasks = [self._task] if self._task is not None else []
        tasks += self._draining.values()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self._draining.clear()
        if tasks:
            await self._release()

    async def _release(self) -> None:
        try:
            await self._customers.release()
        except Exception:
            log.exception("SMPP delivery claims not released")

    async def run(self) -> None:
        await self._release()  # rows this node claimed before a crash
        while True:
            # Not wait_for: on 3.11 it drops a cancel that comes with a wake.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                accounts = await self._customers.waiting_accounts()
            except Exception:
                log.exception("SMPP delivery round failed")
                continue
            now = asyncio.get_running_loop().time()
            for account_id in accounts:
                backoff = self._backoff.get(account_id)
                if account_id in self._draining or (backoff and backoff[1] > now):
                    continue
                if not self._receivers(account_id):
                    continue
                task = asyncio.create_task(self._drain_once(account_id))
                self._draining[account_id] = task
                task.add_done_callback(functools.partial(self._drained, account_id))

    def _drained(self, account_id: int, _task: asyncio.Task[None]) -> None:
        self._draining.pop(account_id, None)

    async def _drain_once(self, account_id: int) -> None:
        try:
            await self.drain(account_id)
        except Exception:
            log.exception("SMPP delivery to account %d failed", account_id)

    async def drain(self, account_id: int) -> int:
        """Send the account's pending rows no other node holds to its receiver binds,
        oldest first; return how many were delivered. A row is delivered when each of its
        PDUs was answered 0."""
        taken = 0
        while sessions := self._receivers(account_id):
            items = await self._customers.claim(account_id, BATCH)
            if not items:
                break
            long = await self._customers.long_mo(account_id)
            answers = await asyncio.gather(
                *(
                    self._send(sessions[i % len(sessions)], item, long)
                    for i, item in enumerate(items)
                )
            )
            delivered = [item.id for item, ok in zip(items, answers, strict=True) if ok]
            refused = [item.id for item, ok in zip(items, answers, strict=True) if not ok]
            await self._customers.handed_over(delivered, refused)
            taken += len(delivered)
            if refused:
                self._back_off(account_id)
                break  # try again after a back-off rather than spin on a refusing ESME
            self._backoff.pop(account_id, None)
        return taken

    def _back_off(self, account_id: int) -> None:
        previous = self._backoff.get(account_id)
        delay = min(previous[0] * 2, MAX_BACKOFF) if previous else self.poll_interval
        self._backoff[account_id] = (delay, asyncio.get_running_loop().time() + delay)

    async def _send(self, session: ServerSession, item: SmppOutboxItem, long: str) -> bool:
        """Whether every PDU of the row was answered 0, sent one after the other."""
        for pdu in build_deliver_sm(item, long):
            try:
                response = await session.deliver(pdu)
            except (SmppError, SessionError, PduError, OSError) as exc:
                log.info("deliver_sm to %r failed: %s", session, exc)
                return False
            if response.command_status != 0:
                log.info("deliver_sm to %r refused: 0x%08X", session, response.command_status)
                return False
        return True


def build_deliver_sm(item: SmppOutboxItem, long: str = UDH) -> list[DeliverSm]:
    """The PDUs of one row: a receipt's one, an MO's parts (`long`: inbound_plan.UDH or
    PAYLOAD); none for a row whose message or MO is gone (it is never delivered)."""
    if item.message is not None:
        return [receipt_deliver_sm(item.message)]
    if item.inbound is not None:
        return mo_pdus(item.inbound, long)
    return []


def receipt_deliver_sm(message: Message) -> DeliverSm:
    """The receipt of a final message, text and TLVs carrying our message id."""
    delivered = message.status is Status.DELIVERED
    receipt = Receipt(
        message_id=message.id,
        state=MESSAGE_STATE[message.status],
        submitted=1,
        delivered=1 if delivered else 0,
        submit_date=_receipt_date(message.created_at),
        done_date=_receipt_date(message.done_at or message.created_at),
        error=_error_code(message.error) if not delivered else "000",
        text=message.text,
    )
    return receipt_pdu(
        receipt, source=smpp_address(message.to), destination=smpp_address(message.sender)
    )


def smpp_address(value: str) -> Address:
    """(ton, npi, address) of an E.164 number, a short code or an alphanumeric sender."""
    if value.startswith("+") and value[1:].isdigit():
        return Ton.INTERNATIONAL, 1, value[1:]
    if value.isdigit():
        return Ton.UNKNOWN, 1, value
    return Ton.ALPHANUMERIC, 0, value


def _receipt_date(at: float) -> str:
    return time.strftime("%y%m%d%H%M", time.gmtime(at))


def _error_code(error: str | None) -> str:
    digits = "".join(c for c in error or "" if c.isdigit())
    return digits[-3:].rjust(3, "0") if digits else "001"
