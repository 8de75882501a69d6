"""Upstreams and a round for dispatcher tests: `Operator` is bound or not and, when bound,
answers every message with `answer` (by default: taken, as one part)."""

from __future__ import annotations

from smsgate.core.messages import Message
from smsgate.services.dispatch import Dispatcher
from smsgate.services.ports import ReceiptSink, UpstreamPart, UpstreamResult


class Operator:
    """An upstream that is bound or not, and accepts whatever it is given when bound."""

    def __init__(self, name: str = "op", *, bound: bool = True) -> None:
        self.name = name
        self.window = 100
        self.bound = bound
        self.submitted: list[str] = []

    def ready(self) -> bool:
        return self.bound

    async def start(self, sink: ReceiptSink) -> None:
        return None

    async def submit(self, message: Message) -> UpstreamResult:
        assert self.bound, "a message was handed to an upstream that is not ready"
        self.submitted.append(message.id)
        return self.answer(message)

    def answer(self, message: Message) -> UpstreamResult:
        return UpstreamResult(True, False, (UpstreamPart(1, f"up-{message.id}", None),), None)

    async def close(self) -> None:
        return None


async def one_round(dispatcher: Dispatcher) -> int:
    """A dispatch round, and the sends it started, to their recorded end."""
    handled = await dispatcher.dispatch_once()
    await dispatcher.drain()
    return handled
