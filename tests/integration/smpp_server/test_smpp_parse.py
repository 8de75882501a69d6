"""SMPP times and segment headers as the customer server reads them."""

from __future__ import annotations

import calendar

import pytest

from smsgate.api.smpp.parse import command_of, format_smpp_time, parse_smpp_time
from smsgate.api.smpp.status import submit_status
from smsgate.core.errors import InvalidRequest
from smsgate.smpp import CommandStatus, SubmitSm, tlv

NOW = calendar.timegm((2026, 11, 23, 12, 0, 0, 0, 0, 0))


def test_absolute_times_with_zone_offsets() -> None:
    assert parse_smpp_time("261123130000000+", NOW, field="f") == NOW + 3600
    # 13:00 at UTC+01:00 is 12:00 UTC; 11:00 at UTC-01:00 too.
    assert parse_smpp_time("261123130000004+", NOW, field="f") == NOW
    assert parse_smpp_time("261123110000004-", NOW, field="f") == NOW
    assert parse_smpp_time("261123120000500+", NOW, field="f") == NOW + 0.5


def test_relative_times_and_empty() -> None:
    assert parse_smpp_time("000001020304000R", NOW, field="f") == NOW + 86400 + 7200 + 184
    assert parse_smpp_time("", NOW, field="f") is None


@pytest.mark.parametrize("value", ["tomorrow", "261323130000000+", "26112313000000+"])
def test_malformed_times_name_their_field(value: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_smpp_time(value, NOW, field="validity")
    assert caught.value.field == "validity"


def test_final_date_format() -> None:
    assert format_smpp_time(NOW) == "261123120000000+"


def test_validity_counts_from_the_schedule() -> None:
    command = command_of(
        SubmitSm(
            source_addr="ACME",
            destination_addr="393331234567",
            short_message=b"hi",
            schedule_delivery_time="000000010000000R",
            validity_period="000000030000000R",
            registered_delivery=1,
        ),
        NOW,
    )
    assert command.scheduled_at == NOW + 3600
    assert command.validity == 2 * 3600
    assert command.registered_delivery and command.udh is None


@pytest.mark.parametrize(
    ("data_coding", "data", "field"),
    [
        (8, "A\x00B".encode("utf-16-be"), "short_message"),
        (3, b"A\x00B", "short_message"),
        (8, b"\x00A\xd8\x00", "short_message"),
        (8, b"\xdc\x00\x00B", "short_message"),
    ],
)
def test_text_no_store_holds_names_its_smpp_field(
    data_coding: int, data: bytes, field: str
) -> None:
    pdu = SubmitSm(destination_addr="393331234567", data_coding=data_coding, short_message=data)
    with pytest.raises(InvalidRequest) as caught:
        command_of(pdu, NOW)
    assert caught.value.field == field
    assert submit_status(caught.value) == CommandStatus.ESME_RSUBMITFAIL


def test_text_no_store_holds_in_message_payload() -> None:
    payload: dict[int, tlv.TlvValue] = {tlv.MESSAGE_PAYLOAD.tag: b"\x00A\x00\x00"}
    pdu = SubmitSm(destination_addr="393331234567", data_coding=8, tlvs=payload)
    with pytest.raises(InvalidRequest) as caught:
        command_of(pdu, NOW)
    assert caught.value.field == "message_payload"
    assert submit_status(caught.value) == CommandStatus.ESME_RSUBMITFAIL


def test_gsm7_zero_is_an_at_sign_and_odd_ucs2_stays_a_length_error() -> None:
    assert command_of(SubmitSm(destination_addr="1", short_message=b"\x00"), NOW).text == "@"
    odd = SubmitSm(destination_addr="1", data_coding=8, short_message=b"\x00A\x00")
    with pytest.raises(InvalidRequest) as caught:
        command_of(odd, NOW)
    assert submit_status(caught.value) == CommandStatus.ESME_RINVMSGLEN
