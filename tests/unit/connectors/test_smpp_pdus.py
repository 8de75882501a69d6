"""How SmppUpstream turns a message into submit_sm PDUs, and how it checks its settings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from smsgate.connectors.smpp import SmppUpstream, describe_status
from smsgate.connectors.smpp_settings import SmppSettings, parse_settings, part_scheme
from smsgate.core.errors import InvalidRequest
from smsgate.core.messages import Message
from smsgate.services.clock import SystemClock
from smsgate.services.plans import replan
from smsgate.smpp import CommandStatus, SubmitSm, tlv
from smsgate.text import Encoding, decode, parse_udh
from tests.unit.connectors.messages import outgoing

BASE: dict[str, Any] = {"host": "127.0.0.1", "port": 2775, "system_id": "me", "password": "pw"}
LONG = "".join(f"word{i:03d} " for i in range(50))  # 400 GSM characters: 3 parts


def upstream(**settings: Any) -> SmppUpstream:
    return SmppUpstream("op", SmppSettings.from_json({**BASE, **settings}), SystemClock())


def planned_pdus(up: SmppUpstream, message: Message) -> list[SubmitSm]:
    """The PDUs of a message as the dispatcher hands it over: planned for this connector."""
    return up.submit_pdus(replan(message, part_scheme(up.settings.to_json())))


def test_the_stored_plan_is_sent_as_it_is_or_not_at_all() -> None:
    message = outgoing(LONG)  # planned with UDH8: 3 parts
    pdus = upstream(concat="udh16").submit_pdus(message)
    assert [p.short_message[0] for p in pdus] == [5, 5, 5]  # no second split with UDH16
    with pytest.raises(ValueError, match="3 parts, not the 2 planned"):
        upstream().submit_pdus(replace(message, parts=2))


def test_one_part_gsm7_with_an_alphanumeric_sender() -> None:
    (pdu,) = planned_pdus(upstream(), outgoing("Hello @ world"))
    assert (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr) == (5, 0, "smsgate")
    assert (pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr) == (1, 1, "393331234567")
    assert (pdu.data_coding, pdu.esm_class, pdu.registered_delivery) == (0, 0, 1)
    assert decode(pdu.short_message, Encoding.GSM7) == "Hello @ world"


def test_numeric_sender_and_configured_ton_npi() -> None:
    (pdu,) = planned_pdus(upstream(), outgoing(sender="+393330000000"))
    assert (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr) == (1, 1, "393330000000")
    configured = upstream(source_ton=2, source_npi=8, dest_ton=0, dest_npi=0)
    (pdu,) = planned_pdus(configured, outgoing())
    assert (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr) == (2, 8, "smsgate")
    assert (pdu.dest_addr_ton, pdu.dest_addr_npi) == (0, 0)


@pytest.mark.parametrize(("concat", "header"), [("udh8", 6), ("udh16", 7)])
def test_udh_parts_carry_one_reference_in_order(concat: str, header: int) -> None:
    pdus = planned_pdus(upstream(concat=concat), outgoing(LONG))
    assert len(pdus) == 3
    infos = [parse_udh(p.short_message).concat for p in pdus]
    assert [(i.total, i.sequence) for i in infos if i] == [(3, 1), (3, 2), (3, 3)]
    assert len({i.reference for i in infos if i}) == 1
    assert all(p.esm_class == 0x40 and p.short_message[0] == header - 1 for p in pdus)
    text = "".join(decode(parse_udh(p.short_message).payload, Encoding.GSM7) for p in pdus)
    assert text == LONG


def test_sar_parts_carry_tlvs_and_no_header() -> None:
    pdus = planned_pdus(upstream(concat="sar"), outgoing(LONG))
    assert [p.tlvs[tlv.SAR_SEGMENT_SEQNUM.tag] for p in pdus] == [1, 2, 3]
    assert {p.tlvs[tlv.SAR_TOTAL_SEGMENTS.tag] for p in pdus} == {3}
    assert all(p.esm_class == 0 for p in pdus)
    assert "".join(decode(p.short_message, Encoding.GSM7) for p in pdus) == LONG


def test_payload_sends_the_whole_text_in_one_pdu() -> None:
    (pdu,) = planned_pdus(upstream(concat="payload"), outgoing(LONG))
    assert pdu.short_message == b""
    payload = pdu.tlvs[tlv.MESSAGE_PAYLOAD.tag]
    assert isinstance(payload, bytes)
    assert decode(payload, Encoding.GSM7) == LONG


def test_latin1_alphabet_and_ucs2() -> None:
    (pdu,) = planned_pdus(upstream(default_alphabet="latin1"), outgoing("Caffè è"))
    assert (pdu.data_coding, pdu.short_message) == (3, "Caffè è".encode("latin-1"))
    # Greek capitals are GSM 7-bit but not Latin-1: such text goes out as UCS-2.
    (pdu,) = planned_pdus(upstream(default_alphabet="latin1"), outgoing("ΔΦ"))
    assert pdu.data_coding == 8
    (pdu,) = planned_pdus(upstream(), outgoing("Привет"))
    assert (pdu.data_coding, decode(pdu.short_message, Encoding.UCS2)) == (8, "Привет")


def test_a_customer_udh_goes_out_as_one_part_with_that_header() -> None:
    udh = bytes((5, 0, 3, 0x2A, 2, 1))
    (pdu,) = planned_pdus(upstream(), outgoing("first half", udh=udh))
    assert pdu.esm_class == 0x40
    assert pdu.short_message.startswith(udh)
    assert decode(pdu.short_message[len(udh) :], Encoding.GSM7) == "first half"


def test_settings_defaults_and_round_trip() -> None:
    stored = parse_settings(BASE)
    assert stored["bind"] == "trx" and stored["binds"] == 1 and stored["id_format"] == "hex"
    assert SmppSettings.from_json(stored).to_json() == stored


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"port": "2775"}, "port"),
        ({"bind": "rx"}, "bind"),
        ({"concat": "udh7"}, "concat"),
        ({"window": 0}, "window"),
        ({"throughput": -1}, "throughput"),
        ({"colour": "red"}, "colour"),
        ({"tls": 1}, "tls"),
    ],
)
def test_bad_settings_are_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_settings({**BASE, **change})
    assert caught.value.field == field


def test_missing_settings_are_refused() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_settings({"host": "h", "port": 1, "system_id": "s"})
    assert caught.value.field == "password"


def test_status_description_names_the_code() -> None:
    assert describe_status(CommandStatus.ESME_RINVDSTADR) == "ESME_RINVDSTADR (0x0000000B)"
