"""The SMPP listener (SMSC side): sessions and connections here, every policy in a handler.

`SmppServer` accepts TCP (optionally TLS) connections and runs each as a Session whose
requests go to an `SmppServerHandler` concurrently (up to the window).
"""

import asyncio
import itertools
import logging
import ssl
from collections.abc import Awaitable
from dataclasses import KW_ONLY, dataclass, field
from typing import Protocol

from smsgate.smpp import tlv
from smsgate.smpp.codec import make_response, response_class
from smsgate.smpp.connection import Connection
from smsgate.smpp.constants import INTERFACE_VERSION, CommandStatus
from smsgate.smpp.errors import PduError
from smsgate.smpp.events import BindState, Role
from smsgate.smpp.pdu import (
    BindPdu,
    BindRespPdu,
    CancelSm,
    DataSm,
    DataSmResp,
    DeliverSm,
    Pdu,
    QuerySm,
    QuerySmResp,
    ReplaceSm,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
)
from smsgate.smpp.proxy import Network, ProxyHeaderError, is_trusted, read_header
from smsgate.smpp.session import Session, SessionConfig

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class ServerSession:
    """What a handler sees of one ESME connection; use it to push deliver_sm."""

    def __init__(self, connection: Connection) -> None:
        self.id = next(_ids)
        self.system_id = ""
        self.system_type = ""
        self._connection = connection

    @property
    def peer(self) -> tuple[str, int] | None:
        return self._connection.peer

    @property
    def bind_state(self) -> BindState:
        return self._connection.session.state

    @property
    def closed(self) -> bool:
        return self._connection.closed

    @property
    def can_receive(self) -> bool:
        return not self._connection.closed and self.bind_state.can_receive

    async def deliver(self, pdu: DeliverSm | DataSm) -> Pdu:
        """Send deliver_sm/data_sm to this RX/TRX bind and return the ESME's response."""
        return await self._connection.request(pdu)

    async def unbind(self, grace: float = 5.0) -> None:
        await self._connection.unbind(grace)

    def close(self) -> None:
        self._connection.close()

    def abort(self) -> None:
        """Drop the TCP connection without an unbind (for fault injection)."""
        self._connection.abort()

    def __repr__(self) -> str:
        return f"<ServerSession {self.id} {self.system_id!r} {self.bind_state.value} {self.peer}>"


class SmppServerHandler(Protocol):
    """The policy of an SMPP server. Return command_status values; 0 is ESME_ROK.

    A method that raises answers ESME_RSYSERR. Handlers run concurrently per session.
    """

    async def on_bind(self, session: ServerSession, pdu: BindPdu) -> int: ...

    async def on_submit(self, session: ServerSession, pdu: SubmitSm) -> tuple[int, str]:
        """Return (command_status, message_id)."""
        ...

    async def on_data_sm(self, session: ServerSession, pdu: DataSm) -> tuple[int, str]: ...

    async def on_submit_multi(
        self, session: ServerSession, pdu: SubmitMulti
    ) -> SubmitMultiResp: ...

    async def on_query(self, session: ServerSession, pdu: QuerySm) -> QuerySmResp: ...

    async def on_cancel(self, session: ServerSession, pdu: CancelSm) -> int: ...

    async def on_replace(self, session: ServerSession, pdu: ReplaceSm) -> int: ...

    async def on_unbind(self, session: ServerSession) -> None: ...

    async def on_close(self, session: ServerSession) -> None: ...


class BaseServerHandler:
    """Refuses everything; subclass and override what the server supports."""

    async def on_bind(self, session: ServerSession, pdu: BindPdu) -> int:
        return CommandStatus.ESME_RBINDFAIL

    async def on_submit(self, session: ServerSession, pdu: SubmitSm) -> tuple[int, str]:
        return CommandStatus.ESME_RINVCMDID, ""

    async def on_data_sm(self, session: ServerSession, pdu: DataSm) -> tuple[int, str]:
        return CommandStatus.ESME_RINVCMDID, ""

    async def on_submit_multi(self, session: ServerSession, pdu: SubmitMulti) -> SubmitMultiResp:
        return SubmitMultiResp(command_status=CommandStatus.ESME_RINVCMDID)

    async def on_query(self, session: ServerSession, pdu: QuerySm) -> QuerySmResp:
        return QuerySmResp(command_status=CommandStatus.ESME_RQUERYFAIL)

    async def on_cancel(self, session: ServerSession, pdu: CancelSm) -> int:
        return CommandStatus.ESME_RCANCELFAIL

    async def on_replace(self, session: ServerSession, pdu: ReplaceSm) -> int:
        return CommandStatus.ESME_RREPLACEFAIL

    async def on_unbind(self, session: ServerSession) -> None:
        return None

    async def on_close(self, session: ServerSession) -> None:
        return None


@dataclass(eq=False, slots=True)
class SmppServer:
    """Listen on host:port; `port=0` picks a free port (read `port` after start).

    One slow submit does not hold back the next, and a malformed PDU gets an error
    response and never affects other sessions. A connection that has not bound within
    `session_init_timeout` is closed; `per_address` caps the connections open from one
    address (0: no cap; one more is closed at once). A connection from `trusted_proxies`
    (TCP load balancers) starts with a PROXY header naming the client (smpp/proxy.py),
    and the client is who the session, the cap and every check see.
    """

    handler: SmppServerHandler
    host: str = "127.0.0.1"
    port: int = 2775
    _: KW_ONLY
    system_id: str = "smsgate"
    window: int = 100
    response_timeout: float = 30.0
    enquire_link_interval: float | None = 30.0
    inactivity_timeout: float | None = 300.0
    session_init_timeout: float | None = 30.0
    ssl_context: ssl.SSLContext | None = None
    handler_grace: float = 10.0
    per_address: int = 0
    trusted_proxies: tuple[Network, ...] = ()
    sessions: set[ServerSession] = field(init=False, default_factory=set)
    _config: SessionConfig = field(init=False)
    _open_by_address: dict[str, int] = field(init=False, default_factory=dict)
    _server: asyncio.Server | None = field(init=False, default=None)
    _connections: set[asyncio.Task[None]] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._config = SessionConfig(
            role=Role.SMSC,
            window=self.window,
            response_timeout=self.response_timeout,
            enquire_link_interval=self.enquire_link_interval,
            inactivity_timeout=self.inactivity_timeout,
            session_init_timeout=self.session_init_timeout,
        )

    async def start(self) -> None:
        # A TLS handshake that never ends is a connection that never binds.
        handshake = self._config.session_init_timeout if self.ssl_context is not None else None
        self._server = await asyncio.start_server(
            self._serve,
            self.host,
            self.port,
            ssl=self.ssl_context,
            ssl_handshake_timeout=handshake,
            limit=1 << 20,
            backlog=1024,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self, grace: float = 2.0) -> None:
        """Stop listening, unbind every session (waiting at most `grace` s), and wait."""
        if self._server is not None:
            self._server.close()
        sessions = list(self.sessions)
        if sessions:
            await asyncio.gather(*(s.unbind(grace) for s in sessions))
        if self._connections:
            # Bounded: a stop must end even if a session's task is stuck on its peer.
            _, stuck = await asyncio.wait(
                set(self._connections), timeout=grace + self.handler_grace
            )
            for task in stuck:
                task.cancel()
            if stuck:
                await asyncio.wait(stuck, timeout=1.0)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client = None
        if isinstance(peer, tuple) and is_trusted(peer[0], self.trusted_proxies):
            try:
                timeout = self._config.session_init_timeout
                client = await asyncio.wait_for(read_header(reader), timeout)
            except (ProxyHeaderError, TimeoutError) as exc:
                log.info("SMPP connection from balancer %s closed: %s", peer[0], exc or "late")
                writer.close()
                return
            peer = client or peer
        address = peer[0] if isinstance(peer, tuple) and self.per_address else None
        if address is not None:
            held = self._open_by_address.get(address, 0)
            if held >= self.per_address:
                log.debug("SMPP connection from %s refused: %d open", address, held)
                writer.close()
                return
            self._open_by_address[address] = held + 1
        try:
            await self._run(reader, writer, client)
        finally:
            if address is not None:
                left = self._open_by_address.pop(address) - 1
                if left:
                    self._open_by_address[address] = left

    async def _run(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client: tuple[str, int] | None,
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        loop = asyncio.get_running_loop()
        session = Session(self._config, loop.time())
        handlers: set[asyncio.Task[None]] = set()
        server_session: ServerSession

        def on_request(pdu: Pdu) -> None:
            handler_task = loop.create_task(self._answer(server_session, connection, pdu))
            handlers.add(handler_task)
            handler_task.add_done_callback(handlers.discard)

        connection = Connection(reader, writer, session, on_request)
        if client is not None:  # named by a trusted balancer's PROXY header
            connection.peer = client
        server_session = ServerSession(connection)
        self.sessions.add(server_session)
        try:
            await connection.run()
            if connection.unbound:
                await self._call(self.handler.on_unbind(server_session), "on_unbind")
        finally:
            # Requests already being handled may be committing: let them finish (their
            # answers go nowhere) for a grace period, and only then cancel them.
            if handlers:
                _, late = await asyncio.wait(set(handlers), timeout=self.handler_grace)
                for handler_task in late:
                    handler_task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
            self.sessions.discard(server_session)
            await self._call(self.handler.on_close(server_session), "on_close")
            self._connections.discard(task)

    async def _call(self, awaitable: Awaitable[None], name: str) -> None:
        try:
            await awaitable
        except Exception:
            log.exception("SMPP handler %s failed", name)

    async def _answer(self, session: ServerSession, connection: Connection, pdu: Pdu) -> None:
        try:
            response = await self._dispatch(session, pdu)
        except Exception:
            log.exception("SMPP handler failed on %s", type(pdu).__name__)
            response = make_response(pdu, CommandStatus.ESME_RSYSERR)
        if response is None:
            return
        try:
            connection.respond(pdu, response)
        except PduError as exc:  # e.g. a message_id longer than 64 characters
            log.error("cannot send %s: %s", type(response).__name__, exc)
            connection.respond(pdu, make_response(pdu, CommandStatus.ESME_RSYSERR))

    async def _dispatch(self, session: ServerSession, pdu: Pdu) -> Pdu | None:
        handler = self.handler
        if type(pdu) is SubmitSm:
            status, message_id = await handler.on_submit(session, pdu)
            return SubmitSmResp(command_status=status, message_id=message_id if not status else "")
        if isinstance(pdu, BindPdu):
            return await self._bind(session, pdu)
        if isinstance(pdu, DataSm):
            status, message_id = await handler.on_data_sm(session, pdu)
            return DataSmResp(command_status=status, message_id=message_id if not status else "")
        if isinstance(pdu, SubmitMulti):
            return await handler.on_submit_multi(session, pdu)
        if isinstance(pdu, QuerySm):
            return await handler.on_query(session, pdu)
        if isinstance(pdu, CancelSm):
            return make_response(pdu, await handler.on_cancel(session, pdu))
        if isinstance(pdu, ReplaceSm):
            return make_response(pdu, await handler.on_replace(session, pdu))
        if response_class(pdu) is None:
            return None
        return make_response(pdu, CommandStatus.ESME_RINVCMDID)

    async def _bind(self, session: ServerSession, pdu: BindPdu) -> Pdu:
        status = await self.handler.on_bind(session, pdu)
        response = make_response(pdu, status)
        if status == 0:
            session.system_id, session.system_type = pdu.system_id, pdu.system_type
            assert isinstance(response, BindRespPdu)
            response.system_id = self.system_id
            if pdu.interface_version >= INTERFACE_VERSION:
                response.tlvs[tlv.SC_INTERFACE_VERSION.tag] = INTERFACE_VERSION
        return response
