"""Our client against smpp34's (Rust) server playing a fake upstream SMSC."""

import asyncio
import contextlib
import socket

import pytest
import smpp34

from smsgate.smpp import CommandStatus, DataSm, DeliverSm, SubmitSm, receipt_from_pdu, tlv
from smsgate.smpp.client import SmppClient

pytestmark = pytest.mark.timeout(30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def play_upstream(server: smpp34.Server, pushed: list[int]) -> None:
    """Accept submits (refuse destinations ending in 9), push one receipt per bind."""
    while True:
        event = await server.next()
        if isinstance(event, smpp34.SubmitSmEvent):
            if event.destination_addr.endswith("9"):
                event.reject(CommandStatus.ESME_RTHROTTLED)
            else:
                event.accept(f"up-{event.destination_addr}")
        elif isinstance(event, smpp34.Esme):
            response = await event.deliver_sm(
                "smsgate",
                b"id:up-1 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
                b" stat:DELIVRD err:000",
                source_addr="393331234567",
                esm_class=4,
                tlvs=[
                    smpp34.Tlv(tlv.RECEIPTED_MESSAGE_ID.tag, b"up-1\0"),
                    smpp34.Tlv(tlv.MESSAGE_STATE.tag, b"\x02"),
                ],
            )
            pushed.append(response.command_status)


async def test_client_against_smpp34_server() -> None:
    port = free_port()
    server = smpp34.Server("127.0.0.1", port, system_id="rustsmsc")
    await server.start()
    pushed: list[int] = []
    upstream = asyncio.create_task(play_upstream(server, pushed))
    received: list[DeliverSm | DataSm] = []

    async def on_message(pdu: DeliverSm | DataSm) -> int | None:
        received.append(pdu)
        return None

    try:
        async with SmppClient(
            "127.0.0.1", port, system_id="any", password="any", on_message=on_message
        ) as client:
            accepted = await client.submit(SubmitSm(destination_addr="1"))
            assert (accepted.command_status, accepted.message_id) == (0, "up-1")
            refused = await client.submit(SubmitSm(destination_addr="9"))
            assert refused.command_status == CommandStatus.ESME_RTHROTTLED
            async with asyncio.timeout(5):
                while not pushed:
                    await asyncio.sleep(0.01)
        assert pushed == [0]
        receipt = receipt_from_pdu(received[0])
        assert (receipt.message_id, receipt.stat) == ("up-1", "DELIVRD")
    finally:
        upstream.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await upstream
        await server.stop()
