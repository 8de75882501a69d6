"""SmppUpstream against smpp34's server as an independent fake operator: ids, receipts, UDH MO."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest
import smpp34

from smsgate.connectors.smpp import SmppUpstream
from smsgate.connectors.smpp_settings import SmppSettings
from smsgate.core.messages import PartStatus
from smsgate.services.clock import SystemClock
from smsgate.smpp import CommandStatus, tlv
from smsgate.text import Encoding, encode
from tests.integration.connectors.test_smpp_upstream import Collected
from tests.unit.connectors.messages import outgoing

pytestmark = pytest.mark.timeout(30)
LONG = "".join(f"word{i:03d} " for i in range(50))  # 3 parts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Operator:
    """Accepts submits with ids "UP-<n>" (refusing destinations ending in 9), keeps them and
    the first bind that can receive."""

    def __init__(self, server: smpp34.Server) -> None:
        self.server = server
        self.submits: list[smpp34.SubmitSmEvent] = []
        self.esme: smpp34.Esme | None = None

    async def play(self) -> None:
        while True:
            event = await self.server.next()
            if isinstance(event, smpp34.SubmitSmEvent):
                self.submits.append(event)
                if event.destination_addr.endswith("9"):
                    event.reject(CommandStatus.ESME_RINVDSTADR)
                else:
                    event.accept(f"UP-{len(self.submits):04d}")
            elif isinstance(event, smpp34.Esme) and event.can_receive:
                self.esme = event

    async def receiver(self) -> smpp34.Esme:
        async with asyncio.timeout(5):
            while self.esme is None:
                await asyncio.sleep(0.01)
        return self.esme


async def test_against_smpp34() -> None:
    port = free_port()
    server = smpp34.Server("127.0.0.1", port, system_id="rustsmsc")
    await server.start()
    operator = Operator(server)
    playing = asyncio.create_task(operator.play())
    collected = Collected()
    settings = SmppSettings.from_json(
        {"host": "127.0.0.1", "port": port, "system_id": "gw", "password": "pw", "id_format": "str"}
    )
    upstream = SmppUpstream("rust", settings, SystemClock(), collected.inbound)
    await upstream.start(collected.sink)
    try:
        result = await upstream.submit(outgoing(LONG))
        assert result.accepted
        assert [p.upstream_id for p in result.parts] == ["up-0001", "up-0002", "up-0003"]
        assert [e.esm_class for e in operator.submits] == [0x40, 0x40, 0x40]
        assert {e.registered_delivery for e in operator.submits} == {1}

        refused = await upstream.submit(outgoing("Hi", to="+393330000009"))
        assert (refused.accepted, refused.temporary) == (False, False)
        assert refused.error == "ESME_RINVDSTADR (0x0000000B)"

        esme = await operator.receiver()
        response = await esme.deliver_sm(
            "gw",
            b"id:UP-0002 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201"
            b" stat:UNDELIV err:012",
            source_addr="393331234567",
            esm_class=4,
        )
        assert response.command_status == 0
        (receipt,) = collected.receipts
        assert (receipt.connector, receipt.upstream_id) == ("rust", "up-0002")
        assert (receipt.status, receipt.error) == (PartStatus.UNDELIVERED, "UNDELIV err:012")

        pieces = ["Ciao, ", "come stai?"]
        for sequence, piece in enumerate(pieces, start=1):
            udh = bytes((5, 0, 3, 0x11, 2, sequence))
            response = await esme.deliver_sm(
                "4000",
                udh + encode(piece, Encoding.GSM7),
                source_addr="393331234567",
                esm_class=0x40,
            )
            assert response.command_status == 0
        assert collected.mo == [("rust", "393331234567", "4000", "Ciao, come stai?", "gsm7", 2)]

        # A header longer than the message: kept whole, as hex, and acknowledged.
        raw = bytes((9, 0, 3, 1)) + b"x"
        broken = await esme.deliver_sm("4000", raw, source_addr="393331234567", esm_class=0x40)
        assert broken.command_status == 0
        assert collected.mo[-1] == ("rust", "393331234567", "4000", raw.hex(), "binary", 1)
        assert collected.store.flags[-1] == "bad_udh"

        payload = encode("Grazie", Encoding.UCS2)
        await esme.deliver_sm(
            "4000",
            b"",
            source_addr="393331234567",
            data_coding=8,
            tlvs=[smpp34.Tlv(tlv.MESSAGE_PAYLOAD.tag, payload)],
        )
        assert collected.mo[-1][3:] == ("Grazie", "ucs2", 1)
    finally:
        await upstream.close()
        playing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await playing
        await server.stop()
