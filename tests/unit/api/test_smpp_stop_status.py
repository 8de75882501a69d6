"""A submit refused for a recipient on the STOP list answers SMPP as a bad destination."""

from __future__ import annotations

from smsgate.api.smpp.status import submit_status
from smsgate.core.errors import StopListed
from smsgate.smpp import CommandStatus


def test_a_stop_listed_recipient_is_an_invalid_destination() -> None:
    refused = StopListed("on the STOP list: +393331234567", field="to")
    assert submit_status(refused) == CommandStatus.ESME_RINVDSTADR
