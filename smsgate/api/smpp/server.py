"""The SMPP server for customers: bind with the account's credentials, submit, query, cancel.

`CustomerHandler` is the policy given to `smsgate.smpp.server.SmppServer`: it parses
each request (`parse`), calls the services, and renders the answer through the one
status table (`status`). `SmppFrontend` runs the listener and the deliver_sm worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from smsgate.api.smpp.delivery import SmppDelivery
from smsgate.api.smpp.parse import command_of, format_smpp_time
from smsgate.api.smpp.status import MESSAGE_STATE, bind_status, submit_status
from smsgate.core.accounts import Account
from smsgate.core.errors import SmsgateError
from smsgate.services.account_policy import AccountPolicy
from smsgate.services.messages import MessageService
from smsgate.services.ports import Clock
from smsgate.services.smpp_customers import BindLeases, SmppCustomers
from smsgate.smpp import (
    BaseServerHandler,
    BindPdu,
    BindReceiver,
    BindTransceiver,
    CancelSm,
    CommandStatus,
    DataSm,
    QuerySm,
    QuerySmResp,
    ServerSession,
    SmppServer,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
)
from smsgate.smpp.proxy import Network

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Bound:
    account: Account
    policy: AccountPolicy
    receiver: bool


@dataclass(eq=False)
class CustomerHandler(BaseServerHandler):
    """What the SMPP server does for each customer's PDU; `on_receiver` is told the
    account of each new receiving bind."""

    customers: SmppCustomers
    messages: MessageService
    clock: Clock
    on_receiver: Callable[[int], None]
    _bound: dict[int, tuple[ServerSession, Bound]] = field(default_factory=dict, init=False)
    _bind_ids: dict[int, str] = field(default_factory=dict, init=False)

    def receivers(self, account_id: int) -> list[ServerSession]:
        """The account's open RX/TRX sessions."""
        return [
            session
            for session, bound in self._bound.values()
            if bound.account.id == account_id and bound.receiver and session.can_receive
        ]

    async def on_bind(self, session: ServerSession, pdu: BindPdu) -> int:
        """Bind, registered in the store so the account's limit counts every node."""
        peer = session.peer
        bind_id = secrets.token_hex(12)
        try:
            account, policy = await self.customers.bind(
                pdu.system_id, pdu.password, peer[0] if peer else None, bind_id
            )
        except SmsgateError as exc:
            log.info("SMPP bind of %r from %s refused: %s", pdu.system_id, peer, exc.message)
            return bind_status(exc)
        if session.id in self._bind_ids:  # a second bind sent before the first's answer
            await self.customers.unbind(bind_id)
            return CommandStatus.ESME_RALYBND
        self._bind_ids[session.id] = bind_id
        receiver = isinstance(pdu, BindReceiver | BindTransceiver)
        self._bound[session.id] = (session, Bound(account, policy, receiver))
        if receiver:
            self.on_receiver(account.id)
        return CommandStatus.ESME_ROK

    async def on_submit(self, session: ServerSession, pdu: SubmitSm) -> tuple[int, str]:
        return await self._submit(session, pdu)

    async def on_data_sm(self, session: ServerSession, pdu: DataSm) -> tuple[int, str]:
        return await self._submit(session, pdu)

    async def on_submit_multi(self, session: ServerSession, pdu: SubmitMulti) -> SubmitMultiResp:
        status, batch_id = await self._submit(session, pdu, batch=True)
        return SubmitMultiResp(command_status=status, message_id=batch_id if not status else "")

    async def _submit(
        self, session: ServerSession, pdu: SubmitSm | DataSm | SubmitMulti, *, batch: bool = False
    ) -> tuple[int, str]:
        bound = self._bound_of(session)
        if bound is None:
            return CommandStatus.ESME_RINVBNDSTS, ""
        try:
            command = command_of(pdu, self.clock.now())
            accepted = await self.customers.submit(bound.account, command)
        except SmsgateError as exc:
            return submit_status(exc), ""
        return CommandStatus.ESME_ROK, accepted.batch_id if batch else accepted.messages[0].id

    async def on_query(self, session: ServerSession, pdu: QuerySm) -> QuerySmResp:
        bound = self._bound_of(session)
        if bound is None:
            return QuerySmResp(command_status=CommandStatus.ESME_RINVBNDSTS)
        try:
            message = await self.messages.get(bound.account, pdu.message_id)
        except SmsgateError:
            return QuerySmResp(command_status=CommandStatus.ESME_RQUERYFAIL)
        return QuerySmResp(
            message_id=message.id,
            final_date=format_smpp_time(message.done_at) if message.done_at else "",
            message_state=MESSAGE_STATE[message.status],
        )

    async def on_cancel(self, session: ServerSession, pdu: CancelSm) -> int:
        bound = self._bound_of(session)
        if bound is None:
            return CommandStatus.ESME_RINVBNDSTS
        if not pdu.message_id:
            return CommandStatus.ESME_RCANCELFAIL
        try:
            await self.messages.cancel(bound.account, pdu.message_id)
        except SmsgateError:
            return CommandStatus.ESME_RCANCELFAIL
        return CommandStatus.ESME_ROK

    async def on_close(self, session: ServerSession) -> None:
        self._bound.pop(session.id, None)
        bind_id = self._bind_ids.pop(session.id, None)
        if bind_id is not None:
            try:
                await self.customers.unbind(bind_id)
            except Exception:  # the lease frees it then
                log.exception("SMPP bind %s not released", bind_id)

    def _bound_of(self, session: ServerSession) -> Bound | None:
        found = self._bound.get(session.id)
        return None if found is None else found[1]


class SmppFrontend:
    """The customer SMPP listener plus the worker that hands receipts and MO to binds."""

    def __init__(
        self,
        customers: SmppCustomers,
        messages: MessageService,
        clock: Clock,
        *,
        host: str,
        port: int,
        bind_timeout: float,
        per_address: int,
        trusted_proxies: tuple[Network, ...] = (),
        poll_interval: float = 0.2,
    ) -> None:
        self.customers = customers
        self.leases = BindLeases(customers.binds, customers.node_id)
        self._renewing: asyncio.Task[None] | None = None
        self.delivery = SmppDelivery(customers, self._receivers, poll_interval=poll_interval)
        self.handler = CustomerHandler(customers, messages, clock, self.delivery.wake)
        self.server = SmppServer(
            self.handler,
            host,
            port,
            session_init_timeout=bind_timeout,
            per_address=per_address,
            trusted_proxies=trusted_proxies,
        )

    def _receivers(self, account_id: int) -> list[ServerSession]:
        return self.handler.receivers(account_id)

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self) -> None:
        await self.leases.start()
        self._renewing = asyncio.create_task(self.leases.run(), name="smpp-bind-leases")
        await self.server.start()
        self.delivery.start()

    async def stop(self) -> None:
        await self.delivery.stop()
        await self.server.stop()
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
            self._renewing = None
            await self.leases.leave()
