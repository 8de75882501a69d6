"""Hands pending smpp_outbox rows (receipts and MO) to customers' receiver binds as deliver_sm.

A row is marked delivered only after the ESME answered deliver_sm_resp with status 0;
rows of an account without a receiver bind wait in the store. The worker wakes when a
receiver binds and otherwise polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from smsgate.api.smpp.status import MESSAGE_STATE
from smsgate.core.messages import Message, Status
from smsgate.services.smpp_customers import InboundSms, SmppCustomers, SmppOutboxItem
from smsgate.smpp import (
    DeliverSm,
    PduError,
    Receipt,
    ServerSession,
    SessionError,
    SmppError,
    Ton,
    receipt_pdu,
    tlv,
)
from smsgate.text import Encoding, data_coding_for, encode, is_gsm7

log = logging.getLogger(__name__)

BATCH = 100
SHORT_MESSAGE_MAX = 254
Address = tuple[int, int, str]


class SmppDelivery:
    """The worker that hands each account's pending rows to its receiver binds."""

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

    def wake(self, account_id: int | None = None) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="smpp-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        while True:
            # Not wait_for: on 3.11 it drops a cancel that comes with a wake.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                for account_id in await self._customers.waiting_accounts():
                    await self.drain(account_id)
            except Exception:
                log.exception("SMPP delivery round failed")

    async def drain(self, account_id: int) -> int:
        """Send the account's pending rows to its receiver binds; return how many were taken."""
        taken = 0
        while sessions := self._receivers(account_id):
            items = await self._customers.pending(account_id, BATCH)
            if not items:
                break
            answers = await asyncio.gather(
                *(self._send(sessions[i % len(sessions)], item) for i, item in enumerate(items))
            )
            delivered = [item.id for item, ok in zip(items, answers, strict=True) if ok]
            refused = [item.id for item, ok in zip(items, answers, strict=True) if not ok]
            await self._customers.handed_over(delivered, refused)
            taken += len(delivered)
            if refused:
                break  # try again on the next round rather than spin on a refusing ESME
        return taken

    async def _send(self, session: ServerSession, item: SmppOutboxItem) -> bool:
        pdu = build_deliver_sm(item)
        if pdu is None:
            return False
        try:
            response = await session.deliver(pdu)
        except (SmppError, SessionError, PduError, OSError) as exc:
            log.info("deliver_sm to %r failed: %s", session, exc)
            return False
        return response.command_status == 0


def build_deliver_sm(item: SmppOutboxItem) -> DeliverSm | None:
    if item.message is not None:
        return receipt_deliver_sm(item.message)
    if item.inbound is not None:
        return mo_deliver_sm(item.inbound)
    return None


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


def mo_deliver_sm(mo: InboundSms) -> DeliverSm:
    encoding = Encoding.GSM7 if is_gsm7(mo.text) else Encoding.UCS2
    data = encode(mo.text, encoding)
    pdu = DeliverSm(data_coding=data_coding_for(encoding))
    pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr = smpp_address(mo.source)
    pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr = smpp_address(mo.destination)
    if len(data) > SHORT_MESSAGE_MAX:
        pdu.tlvs[tlv.MESSAGE_PAYLOAD.tag] = data
    else:
        pdu.short_message = data
    return pdu


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
