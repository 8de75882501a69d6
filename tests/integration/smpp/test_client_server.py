"""Our SmppClient against our SmppServer over 127.0.0.1."""

import asyncio
import shutil
import socket
import ssl
import struct
import subprocess
import time
from pathlib import Path

import pytest

from smsgate.smpp import (
    BindError,
    BindPdu,
    BindTransmitter,
    CommandStatus,
    ConnectionLost,
    DataSm,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    GenericNack,
    QuerySm,
    QuerySmResp,
    SmppError,
    SubmitSm,
    SubmitSmResp,
    decode,
    encode,
    split_frames,
    tlv,
)
from smsgate.smpp.client import SmppClient, connect
from smsgate.smpp.events import BindState
from smsgate.smpp.server import ServerSession, SmppServer

from .conftest import RecordingHandler

pytestmark = pytest.mark.timeout(30)


async def test_bind_submit_unbind(server: SmppServer, handler: RecordingHandler) -> None:
    client = await connect("127.0.0.1", server.port, system_id="alice", password="secret")
    response = await client.submit(SubmitSm(destination_addr="393331234567", short_message=b"hi"))
    assert (response.command_status, response.message_id) == (0, "m1")
    assert handler.submits[0].short_message == b"hi"
    assert handler.sessions[0].system_id == "alice"
    await client.close()
    await asyncio.sleep(0.05)
    assert handler.unbound == handler.sessions
    assert handler.closed == handler.sessions


@pytest.mark.parametrize(
    ("system_id", "password", "status"),
    [
        ("alice", "wrong", CommandStatus.ESME_RINVPASWD),
        ("mallory", "x", CommandStatus.ESME_RINVSYSID),
    ],
)
async def test_refused_bind_raises(
    server: SmppServer, system_id: str, password: str, status: int
) -> None:
    with pytest.raises(BindError) as info:
        await connect("127.0.0.1", server.port, system_id=system_id, password=password)
    assert info.value.command_status == status


async def test_connection_refused_raises_os_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError):
        await connect("127.0.0.1", port, system_id="a", password="b")


async def test_pipelined_submits_run_concurrently(
    server: SmppServer, handler: RecordingHandler
) -> None:
    handler.delay = 0.2
    async with SmppClient(
        "127.0.0.1", server.port, system_id="alice", password="secret", window=10
    ) as client:
        started = time.monotonic()
        texts = [f"text {i}".encode() for i in range(10)]
        responses = await asyncio.gather(
            *(client.submit(SubmitSm(destination_addr="1", short_message=t)) for t in texts)
        )
        elapsed = time.monotonic() - started
    assert elapsed < 1.0  # sequential handling would take 2 s
    assert handler.max_concurrent == 10
    # Each response went back under its own request's sequence number.
    by_id = {s.short_message: i + 1 for i, s in enumerate(handler.submits)}
    assert [r.message_id for r in responses] == [f"m{by_id[t]}" for t in texts]


async def test_client_window_limits_outstanding(
    server: SmppServer, handler: RecordingHandler
) -> None:
    handler.delay = 0.05
    async with SmppClient(
        "127.0.0.1", server.port, system_id="alice", password="secret", window=3
    ) as client:
        await asyncio.gather(*(client.submit(SubmitSm(destination_addr="1")) for _ in range(12)))
    assert handler.max_concurrent == 3


async def test_handler_exception_answers_syserr(server: SmppServer) -> None:
    async with SmppClient("127.0.0.1", server.port, system_id="alice", password="secret") as c:
        response = await c.submit(SubmitSm(destination_addr="boom"))
        assert response.command_status == CommandStatus.ESME_RSYSERR
        unsendable = await c.submit(SubmitSm(destination_addr="longid"))
        assert unsendable.command_status == CommandStatus.ESME_RSYSERR
        # The session survives the failure.
        assert (await c.submit(SubmitSm(destination_addr="1"))).command_status == 0


async def test_unsupported_operations(server: SmppServer) -> None:
    async with SmppClient("127.0.0.1", server.port, system_id="alice", password="secret") as c:
        query = await c.request(QuerySm(message_id="m1"))
        assert isinstance(query, QuerySmResp)
        assert query.message_state == 2
        data = await c.request(DataSm(destination_addr="1"))
        assert data.command_status == 0
        from smsgate.smpp import CancelSm, ReplaceSm, SubmitMulti

        assert (
            await c.request(CancelSm(message_id="x"))
        ).command_status == CommandStatus.ESME_RCANCELFAIL
        assert (
            await c.request(ReplaceSm(message_id="x"))
        ).command_status == CommandStatus.ESME_RREPLACEFAIL
        assert (await c.request(SubmitMulti())).command_status == CommandStatus.ESME_RINVCMDID


async def test_deliver_sm_resp_waits_for_the_callback(
    server: SmppServer, handler: RecordingHandler
) -> None:
    release = asyncio.Event()
    received: list[DeliverSm | DataSm] = []

    async def on_message(pdu: DeliverSm | DataSm) -> int | None:
        received.append(pdu)
        await release.wait()
        later = isinstance(pdu, DeliverSm) and pdu.short_message == b"later"
        return CommandStatus.ESME_RX_T_APPN if later else None

    async with SmppClient(
        "127.0.0.1", server.port, system_id="alice", password="secret", on_message=on_message
    ):
        session = handler.sessions[0]
        assert session.can_receive
        delivery = asyncio.ensure_future(session.deliver(DeliverSm(short_message=b"MO")))
        await asyncio.sleep(0.2)
        assert received and not delivery.done()
        release.set()
        response = await delivery
        assert isinstance(response, DeliverSmResp)
        assert response.command_status == 0
        retry = await session.deliver(DeliverSm(short_message=b"later"))
        assert retry.command_status == CommandStatus.ESME_RX_T_APPN


async def test_inbound_handler_error_answers_temporary_failure(
    server: SmppServer, handler: RecordingHandler
) -> None:
    async def on_message(pdu: DeliverSm | DataSm) -> int | None:
        raise RuntimeError("database down")

    async with SmppClient(
        "127.0.0.1", server.port, system_id="alice", password="secret", on_message=on_message
    ):
        response = await handler.sessions[0].deliver(DeliverSm())
        assert response.command_status == CommandStatus.ESME_RX_T_APPN


async def test_transmitter_bind_gets_no_deliveries(
    server: SmppServer, handler: RecordingHandler
) -> None:
    async with SmppClient(
        "127.0.0.1", server.port, system_id="alice", password="secret", bind="tx"
    ):
        session = handler.sessions[0]
        assert session.bind_state is BindState.BOUND_TX
        assert not session.can_receive


async def test_server_stop_unbinds_clients(handler: RecordingHandler) -> None:
    server = SmppServer(handler, "127.0.0.1", 0)
    await server.start()
    client = await connect(
        "127.0.0.1", server.port, system_id="alice", password="secret", reconnect=False
    )
    await server.stop()
    assert not client.bound
    with pytest.raises(ConnectionLost):
        async with asyncio.timeout(1):
            await client.submit(SubmitSm())
    await client.close()


async def test_client_reconnects_after_a_drop(
    server: SmppServer, handler: RecordingHandler
) -> None:
    client = SmppClient(
        "127.0.0.1", server.port, system_id="alice", password="secret", reconnect_delay=0.05
    )
    await client.start()
    handler.sessions[0].abort()
    await asyncio.sleep(0.01)
    async with asyncio.timeout(5):
        response = await client.submit(SubmitSm(destination_addr="1"))
    assert response.command_status == 0
    assert client.binds == 2
    await client.close()


async def test_refused_rebind_waits_longer(server: SmppServer, handler: RecordingHandler) -> None:
    client = SmppClient(
        "127.0.0.1",
        server.port,
        system_id="alice",
        password="secret",
        reconnect_delay=0.01,
        bind_failure_delay=0.6,
    )
    await client.start()
    attempts: list[float] = []

    async def refuse(session: ServerSession, pdu: BindPdu) -> int:
        attempts.append(time.monotonic())
        return CommandStatus.ESME_RBINDFAIL

    handler.on_bind = refuse  # type: ignore[method-assign]
    handler.sessions[0].abort()
    async with asyncio.timeout(5):
        while len(attempts) < 2:
            await asyncio.sleep(0.02)
    assert attempts[1] - attempts[0] >= 0.55
    assert not client.bound
    await client.close()


async def test_in_flight_request_fails_with_connection_lost(
    server: SmppServer, handler: RecordingHandler
) -> None:
    handler.delay = 0.3
    client = await connect("127.0.0.1", server.port, system_id="alice", password="secret")
    pending = asyncio.ensure_future(client.submit(SubmitSm(short_message=b"in flight")))
    await asyncio.sleep(0.1)
    handler.sessions[0].abort()
    with pytest.raises(ConnectionLost):
        await pending
    # The server lets the handler finish (it may be committing) though nobody gets the answer.
    await asyncio.sleep(0.4)
    assert [s.short_message for s in handler.submits] == [b"in flight"]
    await client.close()


async def test_handlers_past_the_grace_period_are_cancelled(handler: RecordingHandler) -> None:
    server = SmppServer(handler, "127.0.0.1", 0, handler_grace=0.1)
    await server.start()
    handler.delay = 30
    client = await connect("127.0.0.1", server.port, system_id="alice", password="secret")
    pending = asyncio.ensure_future(client.submit(SubmitSm()))
    await asyncio.sleep(0.1)
    await client.close()
    with pytest.raises(SmppError):
        await pending
    async with asyncio.timeout(2):
        await server.stop()
    assert handler.submits == []


class RawPeer:
    """A hand-driven TCP peer for malformed input."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.buf = bytearray()

    @classmethod
    async def open(cls, port: int) -> "RawPeer":
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def receive(self) -> list[object]:
        async with asyncio.timeout(5):
            while True:
                frames = split_frames(self.buf)
                if frames:
                    return [decode(f) for f in frames]
                data = await self.reader.read(65536)
                if not data:
                    return []
                self.buf += data

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def test_malformed_pdus_do_not_hurt_other_sessions(server: SmppServer) -> None:
    good = await connect("127.0.0.1", server.port, system_id="alice", password="secret")
    raw = await RawPeer.open(server.port)
    await raw.send(encode(BindTransmitter(system_id="bob", password="hunter2", sequence_number=1)))
    assert (await raw.receive())[0].command_status == 0  # type: ignore[attr-defined]
    await raw.send(struct.pack(">IIII", 16, 0x1234, 0, 2))
    (nack,) = await raw.receive()
    assert isinstance(nack, GenericNack)
    assert (nack.command_status, nack.sequence_number) == (CommandStatus.ESME_RINVCMDID, 2)
    bad_submit = bytearray(encode(SubmitSm(sequence_number=3, short_message=b"abc")))
    bad_submit[-4] = 200  # sm_length overruns the PDU
    await raw.send(bytes(bad_submit))
    (resp,) = await raw.receive()
    assert isinstance(resp, SubmitSmResp)
    assert (resp.command_status, resp.sequence_number) == (CommandStatus.ESME_RINVMSGLEN, 3)
    await raw.send(encode(EnquireLink(sequence_number=4)))
    (link,) = await raw.receive()
    assert link.sequence_number == 4  # type: ignore[attr-defined]
    # A framing error closes that connection only.
    await raw.send(struct.pack(">IIII", 3, 4, 0, 5))
    (fatal,) = await raw.receive()
    assert isinstance(fatal, GenericNack)
    assert fatal.command_status == CommandStatus.ESME_RINVCMDLEN
    assert await raw.receive() == []
    await raw.close()
    assert (await good.submit(SubmitSm(destination_addr="1"))).command_status == 0
    await good.close()


async def test_session_init_timeout_closes_idle_connections(handler: RecordingHandler) -> None:
    server = SmppServer(handler, "127.0.0.1", 0, session_init_timeout=0.2)
    await server.start()
    raw = await RawPeer.open(server.port)
    assert await raw.receive() == []
    await raw.close()
    await server.stop()


async def test_enquire_link_keeps_an_idle_bind_alive(handler: RecordingHandler) -> None:
    server = SmppServer(handler, "127.0.0.1", 0, inactivity_timeout=0.5)
    await server.start()
    async with SmppClient(
        "127.0.0.1",
        server.port,
        system_id="alice",
        password="secret",
        enquire_link_interval=0.1,
    ) as client:
        await asyncio.sleep(1.0)
        assert client.binds == 1
        assert (await client.submit(SubmitSm(destination_addr="1"))).command_status == 0
    await server.stop()


async def test_inactive_client_is_unbound(handler: RecordingHandler) -> None:
    server = SmppServer(handler, "127.0.0.1", 0, inactivity_timeout=0.2)
    await server.start()
    client = SmppClient(
        "127.0.0.1",
        server.port,
        system_id="alice",
        password="secret",
        enquire_link_interval=None,
        reconnect=False,
    )
    await client.start()
    await asyncio.sleep(0.6)
    assert not client.bound
    assert handler.unbound
    await client.close()
    await server.stop()


async def test_bind_resp_carries_interface_version(server: SmppServer) -> None:
    raw = await RawPeer.open(server.port)
    await raw.send(encode(BindTransmitter(system_id="alice", password="secret", sequence_number=1)))
    (resp,) = await raw.receive()
    assert resp.system_id == "testsmsc"  # type: ignore[attr-defined]
    assert tlv.SC_INTERFACE_VERSION.get(resp.tlvs) == 0x34  # type: ignore[attr-defined]
    await raw.close()


@pytest.fixture
def tls_contexts(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    return server_context, client_context


async def test_tls(
    handler: RecordingHandler, tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_context, client_context = tls_contexts
    server = SmppServer(handler, "127.0.0.1", 0, ssl_context=server_context)
    await server.start()
    async with SmppClient(
        "127.0.0.1",
        server.port,
        system_id="alice",
        password="secret",
        ssl_context=client_context,
    ) as client:
        response = await client.submit(SubmitSm(destination_addr="1", short_message=b"tls"))
        assert response.command_status == 0
    assert handler.submits[0].short_message == b"tls"
    await server.stop()
