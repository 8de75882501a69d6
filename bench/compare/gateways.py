"""What the comparison needs from a gateway under test, whichever it is.

Each gateway (smsgate, Jasmin, Kannel) is an adapter with this shape. The runner
installs it once, then for every repetition starts it against the common SMPP sink,
sends pre-built HTTP requests (or binds over SMPP), and stops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Sink:
    """Where every gateway sends its traffic: the common SMPP sink on loopback."""

    host: str
    port: int
    system_id: str = "bench"
    password: str = "bench"


@dataclass(frozen=True, slots=True)
class SmppEndpoint:
    """A customer bind into a gateway's own SMPP server (workload 4)."""

    host: str
    port: int
    system_id: str
    password: str


class Gateway(Protocol):
    """One gateway under test.

    `message_request` and `bulk_request` return complete HTTP/1.1 request bytes
    (keep-alive) that the load generator writes as they are; every message text is
    the `text` given, which carries a tag and sequence number the sink counts.
    """

    name: str
    version: str
    settings: str  # what was raised from the defaults, in one line, for the report

    def install(self, work: Path) -> None:
        """Make the gateway runnable under `work` (idempotent; may take minutes once)."""

    def start(self, work: Path, sink: Sink, callback_url: str | None) -> None:
        """Start a fresh gateway (empty state) sending to `sink`; block until it accepts
        HTTP. With `callback_url`, every message asks for a receipt delivered there."""

    def stop(self) -> None:
        """Stop every process `start` launched and wait for them."""

    def http_address(self) -> tuple[str, int]:
        """Host and port of the HTTP API the requests go to."""

    def message_request(self, to: str, text: str, receipt: bool) -> bytes:
        """One single-message HTTP request."""

    def bulk_request(self, to: list[str], text: str) -> bytes | None:
        """One request for many recipients, or None when the gateway has no bulk API."""

    def accepted(self, status: int, body: bytes) -> int:
        """How many messages a response accepted (0 on an error answer)."""

    def smpp_endpoint(self) -> SmppEndpoint | None:
        """The customer SMPP bind (with receipts), or None when the gateway has none."""

    def pids(self) -> dict[str, int]:
        """Process name -> PID of every process the gateway runs (for CPU per process)."""
