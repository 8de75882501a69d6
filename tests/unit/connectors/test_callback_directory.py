"""Which handler an operator's HTTP callback reaches: by the connector's definition and
its type's routes, built again when the definition changes, none once it is removed."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.connectors.callbacks import CallbackDirectory, Routes
from smsgate.services.clock import SystemClock
from smsgate.services.connectors import ConnectorDefinition
from smsgate.services.inbound import InboundService
from smsgate.services.ports import (
    CallbackReply,
    CallbackRequest,
    Clock,
    MoSink,
    ReceiptSink,
    ReceiptUpdate,
)
from smsgate.store import MemoryStore


def definition(name: str, type_: str, **settings: str) -> ConnectorDefinition:
    return ConnectorDefinition(name, type_, settings, True, 0.0, 0.0)


def echo_routes(
    defined: ConnectorDefinition, receipts: ReceiptSink, mo: MoSink, clock: Clock
) -> Routes:
    async def answer(request: CallbackRequest) -> CallbackReply:
        return CallbackReply(body=str(defined.settings["answer"]).encode())

    return {("POST", "receipt"): answer}


async def test_callbacks_follow_the_connectors_definition() -> None:
    defined = {"hook": definition("hook", "echo", answer="one"), "tim": definition("tim", "smpp")}

    async def lookup(name: str) -> ConnectorDefinition | None:
        return defined.get(name)

    async def receipts(updates: Sequence[ReceiptUpdate]) -> None:
        pass

    clock = SystemClock()
    mo = InboundService(MemoryStore(), clock)
    directory = CallbackDirectory(lookup, {"echo": echo_routes}, receipts, mo, clock)
    request = CallbackRequest("hook", "POST", "receipt", {}, {}, b"")

    handler = await directory.handler("hook", "POST", "receipt")
    assert handler is not None and (await handler(request)).body == b"one"
    assert await directory.handler("hook", "GET", "receipt") is None
    assert await directory.handler("tim", "POST", "receipt") is None  # a type without callbacks
    assert await directory.handler("nobody", "POST", "receipt") is None

    defined["hook"] = definition("hook", "echo", answer="two")
    handler = await directory.handler("hook", "POST", "receipt")
    assert handler is not None and (await handler(request)).body == b"two"
    del defined["hook"]
    assert await directory.handler("hook", "POST", "receipt") is None
