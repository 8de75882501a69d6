"""Exceptions of the SMPP library.

PduError is the only exception the codec raises: it carries the command_status to answer
with, and the sequence number and command id when the header could be read. The others
belong to the session and its asyncio shell.
"""

from smsgate.smpp.constants import status_name


class PduError(Exception):
    """A PDU that cannot be encoded or decoded; answer the peer with `command_status`."""

    def __init__(
        self,
        command_status: int,
        message: str,
        *,
        sequence_number: int | None = None,
        command_id: int | None = None,
    ) -> None:
        super().__init__(f"{status_name(command_status)}: {message}")
        self.command_status = command_status
        self.sequence_number = sequence_number
        self.command_id = command_id


class SessionError(Exception):
    """An operation the session state does not allow (e.g. submit_sm before bind)."""


class WindowFull(SessionError):
    """Every slot of the request window is taken; wait for a response first."""


class SmppError(Exception):
    """Base of the errors an asyncio caller of the client or server sees."""


class ConnectionLost(SmppError):
    """The connection closed while the request was outstanding: its outcome is unknown."""


class ResponseTimeout(SmppError):
    """No response arrived within the response timeout: the outcome is unknown."""


class BindError(SmppError):
    """The peer refused the bind; `command_status` says why (e.g. ESME_RINVPASWD)."""

    def __init__(self, command_status: int) -> None:
        super().__init__(f"bind refused: {status_name(command_status)}")
        self.command_status = command_status
