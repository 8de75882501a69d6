"""Loopback fixtures for the SMPP tests: a recording server handler and the SMSC simulator."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from smsgate.smpp import (
    BindPdu,
    CommandStatus,
    DataSm,
    QuerySm,
    QuerySmResp,
    SubmitSm,
)
from smsgate.smpp.server import BaseServerHandler, ServerSession, SmppServer
from smsgate.smpp.smsc_simulator import SmscSimulator

PASSWORDS = {"alice": "secret", "bob": "hunter2"}


class RecordingHandler(BaseServerHandler):
    """Accepts alice/bob, records submits, answers ids "m<n>"; can be slowed down."""

    def __init__(self) -> None:
        self.submits: list[SubmitSm] = []
        self.sessions: list[ServerSession] = []
        self.delay = 0.0
        self.concurrent = 0
        self.max_concurrent = 0
        self.unbound: list[ServerSession] = []
        self.closed: list[ServerSession] = []
        self.bound = asyncio.Event()

    async def on_bind(self, session: ServerSession, pdu: BindPdu) -> int:
        expected = PASSWORDS.get(pdu.system_id)
        if expected is None:
            return CommandStatus.ESME_RINVSYSID
        if pdu.password != expected:
            return CommandStatus.ESME_RINVPASWD
        self.sessions.append(session)
        self.bound.set()
        return CommandStatus.ESME_ROK

    async def on_submit(self, session: ServerSession, pdu: SubmitSm) -> tuple[int, str]:
        self.concurrent += 1
        self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if pdu.destination_addr == "boom":
                raise RuntimeError("handler bug")
            if pdu.destination_addr == "longid":
                return CommandStatus.ESME_ROK, "x" * 70  # does not fit message_id
            self.submits.append(pdu)
            return CommandStatus.ESME_ROK, f"m{len(self.submits)}"
        finally:
            self.concurrent -= 1

    async def on_data_sm(self, session: ServerSession, pdu: DataSm) -> tuple[int, str]:
        return CommandStatus.ESME_ROK, "d1"

    async def on_query(self, session: ServerSession, pdu: QuerySm) -> QuerySmResp:
        return QuerySmResp(message_id=pdu.message_id, message_state=2)

    async def on_unbind(self, session: ServerSession) -> None:
        self.unbound.append(session)

    async def on_close(self, session: ServerSession) -> None:
        self.closed.append(session)


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
async def server(handler: RecordingHandler) -> AsyncIterator[SmppServer]:
    server = SmppServer(handler, "127.0.0.1", 0, system_id="testsmsc", window=20)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def simulator() -> AsyncIterator[SmscSimulator]:
    simulator = SmscSimulator("127.0.0.1", 0, credentials=PASSWORDS, receipt_delay=0.05, seed=1)
    await simulator.start()
    yield simulator
    await simulator.stop()
