"""The sans-IO session: two Session objects talking through byte buffers, time as numbers."""

import struct

import pytest

from smsgate.smpp import (
    BindReceiver,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    CommandStatus,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    GenericNack,
    Pdu,
    SessionError,
    SubmitSm,
    SubmitSmResp,
    WindowFull,
    decode,
    encode,
    make_response,
    split_frames,
)
from smsgate.smpp.constants import MAX_SEQUENCE_NUMBER
from smsgate.smpp.events import (
    BindState,
    Event,
    InactivityTimeout,
    PduReceived,
    ProtocolError,
    ResponseReceived,
    ResponseTimedOut,
    Role,
    SessionInitTimeout,
    Unbound,
)
from smsgate.smpp.session import Session, SessionConfig


def esme(**kwargs: object) -> Session:
    return Session(SessionConfig(role=Role.ESME, **kwargs), now=0.0)  # type: ignore[arg-type]


def smsc(**kwargs: object) -> Session:
    return Session(SessionConfig(role=Role.SMSC, **kwargs), now=0.0)  # type: ignore[arg-type]


def pump(src: Session, dst: Session, now: float = 0.0) -> list[Event]:
    return dst.receive_data(src.data_to_send(), now)


def sent(session: Session) -> list[Pdu]:
    return [decode(frame) for frame in split_frames(bytearray(session.data_to_send()))]


def bound_pair(bind: Pdu | None = None) -> tuple[Session, Session]:
    client, server = esme(), smsc()
    client.send_request(bind or BindTransceiver(system_id="u", password="p"), 0.0)
    (event,) = pump(client, server)
    assert isinstance(event, PduReceived)
    server.send_response(event.pdu, make_response(event.pdu))
    events = pump(server, client)
    assert isinstance(events[0], ResponseReceived)
    return client, server


def test_bind_handshake() -> None:
    client, server = bound_pair()
    assert client.state is BindState.BOUND_TRX
    assert server.state is BindState.BOUND_TRX


@pytest.mark.parametrize(
    ("bind", "state"),
    [(BindTransmitter(), BindState.BOUND_TX), (BindReceiver(), BindState.BOUND_RX)],
)
def test_bind_kinds(bind: Pdu, state: BindState) -> None:
    client, server = bound_pair(bind)
    assert client.state is server.state is state


def test_refused_bind_stays_open() -> None:
    client, server = esme(), smsc()
    client.send_request(BindTransmitter(password="bad"), 0.0)
    (event,) = pump(client, server)
    assert isinstance(event, PduReceived)
    server.send_response(event.pdu, make_response(event.pdu, CommandStatus.ESME_RINVPASWD))
    (reply,) = pump(server, client)
    assert isinstance(reply, ResponseReceived)
    assert reply.response.command_status == CommandStatus.ESME_RINVPASWD
    assert client.state is server.state is BindState.OPEN


def test_submit_and_response() -> None:
    client, server = bound_pair()
    request = client.send_request(SubmitSm(short_message=b"hi"), 1.0)
    assert request.sequence_number == 2
    assert client.outstanding == 1
    (event,) = pump(client, server)
    assert isinstance(event, PduReceived)
    assert server.inbound_outstanding == 1
    server.send_response(event.pdu, SubmitSmResp(message_id="abc"))
    assert server.inbound_outstanding == 0
    (reply,) = pump(server, client)
    assert isinstance(reply, ResponseReceived)
    assert reply.request is request
    assert isinstance(reply.response, SubmitSmResp)
    assert reply.response.message_id == "abc"
    assert client.outstanding == 0


def test_nothing_but_bind_before_binding() -> None:
    with pytest.raises(SessionError):
        esme().send_request(SubmitSm(), 0.0)


def test_peer_submit_before_bind_gets_invbndsts() -> None:
    server = smsc()
    assert server.receive_data(encode(SubmitSm(sequence_number=4)), 0.0) == []
    (resp,) = sent(server)
    assert isinstance(resp, SubmitSmResp)
    assert (resp.command_status, resp.sequence_number) == (CommandStatus.ESME_RINVBNDSTS, 4)


def test_receiver_cannot_submit() -> None:
    client, server = bound_pair(BindReceiver())
    with pytest.raises(SessionError):
        client.send_request(SubmitSm(), 0.0)
    assert server.receive_data(encode(SubmitSm(sequence_number=9)), 0.0) == []
    (resp,) = sent(server)
    assert resp.command_status == CommandStatus.ESME_RINVBNDSTS


def test_transmitter_cannot_receive_deliver_sm() -> None:
    client, server = bound_pair(BindTransmitter())
    with pytest.raises(SessionError):
        server.send_request(DeliverSm(), 0.0)
    assert client.receive_data(encode(DeliverSm(sequence_number=3)), 0.0) == []
    (resp,) = sent(client)
    assert isinstance(resp, DeliverSmResp)
    assert resp.command_status == CommandStatus.ESME_RINVBNDSTS


def test_second_bind_gets_already_bound() -> None:
    _client, server = bound_pair()
    server.receive_data(encode(BindTransmitter(sequence_number=7)), 0.0)
    (resp,) = sent(server)
    assert resp.command_status == CommandStatus.ESME_RALYBND


def test_deliver_sm_to_receiver() -> None:
    client, server = bound_pair(BindReceiver())
    server.send_request(DeliverSm(short_message=b"MO"), 0.0)
    (event,) = pump(server, client)
    assert isinstance(event, PduReceived)
    client.send_response(event.pdu, DeliverSmResp())
    (reply,) = pump(client, server)
    assert isinstance(reply, ResponseReceived)


def test_window_full_and_control_bypass() -> None:
    client, server = esme(window=2), smsc()
    client.send_request(BindTransceiver(), 0.0)
    (bind,) = pump(client, server)
    assert isinstance(bind, PduReceived)
    server.send_response(bind.pdu, BindTransceiverResp())
    pump(server, client)
    client.send_request(SubmitSm(), 0.0)
    client.send_request(SubmitSm(), 0.0)
    assert client.window_free == 0
    with pytest.raises(WindowFull):
        client.send_request(SubmitSm(), 0.0)
    client.send_request(EnquireLink(), 0.0)
    assert client.outstanding == 2


def test_sequence_numbers_wrap() -> None:
    client, _ = bound_pair()
    client._next_seq = MAX_SEQUENCE_NUMBER
    assert client.send_request(SubmitSm(), 0.0).sequence_number == MAX_SEQUENCE_NUMBER
    assert client.send_request(SubmitSm(), 0.0).sequence_number == 1


def test_sequence_skips_numbers_still_pending() -> None:
    client, _ = bound_pair()
    first = client.send_request(SubmitSm(), 0.0).sequence_number
    client._next_seq = first
    assert client.send_request(SubmitSm(), 0.0).sequence_number == first + 1


def test_response_timeout_frees_the_window() -> None:
    client, _ = bound_pair()
    request = client.send_request(SubmitSm(), 10.0)
    assert client.next_deadline() == 30.0
    assert client.tick(39.9) == []
    assert client.tick(40.0) == [ResponseTimedOut(request)]
    assert client.outstanding == 0


def test_enquire_link_sent_when_idle_and_answered_silently() -> None:
    client, server = bound_pair()
    client.data_to_send()
    assert client.next_deadline() == 30.0
    assert client.tick(29.0) == []
    assert client.data_to_send() == b""
    assert client.tick(30.0) == []
    assert pump(client, server, 30.0) == []
    assert pump(server, client, 30.1) == []
    # The answer resets the idle clock: the next one is due 30 s after it.
    assert client.next_deadline() == pytest.approx(60.1)


def test_unanswered_enquire_link_times_out() -> None:
    client, _ = bound_pair()
    client.tick(30.0)
    (event,) = client.tick(60.0)
    assert isinstance(event, ResponseTimedOut)
    assert isinstance(event.request, EnquireLink)


def test_enquire_link_answered_in_any_state() -> None:
    server = smsc()
    assert server.receive_data(encode(EnquireLink(sequence_number=5)), 0.0) == []
    (resp,) = sent(server)
    assert resp.sequence_number == 5


def test_inactivity_timeout_fires_once_until_data() -> None:
    client, server = bound_pair()
    server_config = SessionConfig(
        role=Role.SMSC, inactivity_timeout=100, enquire_link_interval=None
    )
    server.config = server_config
    assert server.tick(99.0) == []
    assert server.tick(100.0) == [InactivityTimeout()]
    assert server.tick(150.0) == []
    client.send_request(EnquireLink(), 150.0)
    pump(client, server, 150.0)
    assert server.tick(250.0) == [InactivityTimeout()]


def test_session_init_timeout() -> None:
    server = smsc(session_init_timeout=5.0)
    assert server.next_deadline() == 5.0
    assert server.tick(4.0) == []
    assert server.tick(5.0) == [SessionInitTimeout()]
    assert server.tick(6.0) == []


def test_peer_unbind() -> None:
    client, server = bound_pair()
    client.send_request(SubmitSm(), 0.0)
    server.receive_data(encode(SubmitSm()), 0.0)
    client.request_unbind(1.0)
    with pytest.raises(SessionError):
        client.send_request(SubmitSm(), 1.0)
    events = pump(client, server)
    assert Unbound() in events
    assert server.state is BindState.UNBOUND
    events = pump(server, client)
    assert isinstance(events[-1], Unbound)
    assert client.state is BindState.UNBOUND
    with pytest.raises(SessionError):
        client.send_request(EnquireLink(), 2.0)


def test_unknown_command_id_gets_generic_nack() -> None:
    server = smsc()
    (event,) = server.receive_data(struct.pack(">IIII", 16, 0x77, 0, 12), 0.0)
    assert isinstance(event, ProtocolError)
    assert not event.fatal
    (nack,) = sent(server)
    assert isinstance(nack, GenericNack)
    assert (nack.command_status, nack.sequence_number) == (CommandStatus.ESME_RINVCMDID, 12)


def test_bad_body_gets_the_matching_error_response() -> None:
    _client, server = bound_pair()
    wire = bytearray(encode(SubmitSm(source_addr="x" * 20, sequence_number=8)))
    wire[16 + 1 + 2 + 20] = ord("x")  # overwrite source_addr's NUL
    (event,) = server.receive_data(bytes(wire), 0.0)
    assert isinstance(event, ProtocolError)
    (resp,) = sent(server)
    assert isinstance(resp, SubmitSmResp)
    assert (resp.command_status, resp.sequence_number) == (CommandStatus.ESME_RINVSRCADR, 8)
    assert server.state is BindState.BOUND_TRX


def test_framing_error_is_fatal() -> None:
    _, server = bound_pair()
    (event,) = server.receive_data(struct.pack(">IIII", 8, 4, 0, 1), 0.0)
    assert isinstance(event, ProtocolError)
    assert event.fatal
    assert server.state is BindState.CLOSED
    (nack,) = sent(server)
    assert nack.command_status == CommandStatus.ESME_RINVCMDLEN
    assert server.receive_data(encode(EnquireLink()), 0.0) == []


def test_frames_before_a_framing_error_are_processed() -> None:
    _, server = bound_pair()
    data = encode(SubmitSm(sequence_number=3)) + struct.pack(">I", 3)
    events = server.receive_data(data, 0.0)
    assert isinstance(events[0], PduReceived)
    assert isinstance(events[1], ProtocolError)
    assert events[1].fatal


def test_malformed_response_fails_its_request() -> None:
    client, _ = bound_pair()
    request = client.send_request(SubmitSm(), 0.0)
    client.data_to_send()
    bad = struct.pack(">IIII", 19, 0x80000004, 0, request.sequence_number) + b"abc"
    (event,) = client.receive_data(bad, 0.0)
    assert isinstance(event, ProtocolError)
    assert event.request is request
    assert client.outstanding == 0
    assert client.data_to_send() == b""


def test_response_to_unknown_sequence() -> None:
    client, _ = bound_pair()
    (event,) = client.receive_data(encode(SubmitSmResp(sequence_number=999)), 0.0)
    assert isinstance(event, ProtocolError)
    assert not event.fatal


def test_generic_nack_answers_a_request() -> None:
    client, _ = bound_pair()
    request = client.send_request(SubmitSm(), 0.0)
    nack = GenericNack(
        command_status=CommandStatus.ESME_RINVCMDLEN, sequence_number=request.sequence_number
    )
    (event,) = client.receive_data(encode(nack), 0.0)
    assert event == ResponseReceived(request, nack)


def test_close_returns_pending_requests() -> None:
    client, _ = bound_pair()
    request = client.send_request(SubmitSm(), 0.0)
    assert client.close() == [request]
    assert client.state is BindState.CLOSED
    with pytest.raises(SessionError):
        client.send_request(SubmitSm(), 0.0)
    with pytest.raises(SessionError):
        client.send_response(DeliverSm(), DeliverSmResp())
    assert client.receive_data(b"anything", 0.0) == []


def test_byte_at_a_time_delivery() -> None:
    client, server = bound_pair()
    client.send_request(SubmitSm(short_message=b"abc"), 0.0)
    client.send_request(SubmitSm(short_message=b"def"), 0.0)
    events: list[Event] = []
    for octet in client.data_to_send():
        events += server.receive_data(bytes((octet,)), 0.0)
    assert [type(e) for e in events] == [PduReceived, PduReceived]
