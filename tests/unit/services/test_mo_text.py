"""services.inbound.mo_text: what an MO's bytes are stored as, the same on every backend."""

from __future__ import annotations

import pytest

from smsgate.services.inbound import mo_text
from smsgate.text import Encoding


def test_text_that_decodes_is_kept_as_text() -> None:
    assert mo_text("Ciao è".encode("utf-16-be"), Encoding.UCS2) == ("Ciao è", "ucs2")


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        ("A\x00B".encode("utf-16-be"), Encoding.UCS2),
        (b"A\x00B", Encoding.LATIN1),
        (b"\x00A\xd8\x00", Encoding.UCS2),
        (b"\x01\x02", Encoding.BINARY),
    ],
)
def test_text_no_store_holds_is_kept_as_hex(body: bytes, encoding: Encoding) -> None:
    assert mo_text(body, encoding) == (body.hex(), "binary")
