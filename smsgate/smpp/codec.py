"""The codec entry points: encode a PDU, decode one frame, split a byte stream into frames.

Decoding raises nothing but PduError, with the sequence number and command id attached
whenever the header could be read, so the session can answer the right request.
"""

import struct

from smsgate.smpp.constants import HEADER_LENGTH, RESPONSE_BIT, CommandStatus
from smsgate.smpp.errors import PduError
from smsgate.smpp.layout import HEADER
from smsgate.smpp.pdu import DECODERS, ENCODERS, PDU_CLASSES, GenericNack, Pdu

DEFAULT_MAX_LENGTH = 64 * 1024
_STRUCT_ERRORS = (struct.error, IndexError)
_LENGTH = struct.Struct(">I")


def encode(pdu: Pdu) -> bytes:
    """The wire form of `pdu`; raises PduError for values that do not fit the layout."""
    try:
        return ENCODERS[type(pdu)](pdu)
    except PduError as exc:
        exc.sequence_number, exc.command_id = pdu.sequence_number, pdu.command_id
        raise
    except (struct.error, ValueError, TypeError, AttributeError, KeyError) as exc:
        raise PduError(
            CommandStatus.ESME_RSYSERR,
            f"cannot encode {type(pdu).__name__}: {exc}",
            sequence_number=pdu.sequence_number,
            command_id=getattr(pdu, "command_id", None),
        ) from None


def decode(buf: bytes) -> Pdu:
    """Decode exactly one PDU; `buf` must be as long as its command_length says."""
    if len(buf) < HEADER_LENGTH:
        raise PduError(CommandStatus.ESME_RINVCMDLEN, f"{len(buf)} octets cannot hold a PDU header")
    length, command_id, status, seq = HEADER.unpack_from(buf)
    if length != len(buf):
        raise PduError(
            CommandStatus.ESME_RINVCMDLEN,
            f"command_length {length} but {len(buf)} octets",
            sequence_number=seq,
            command_id=command_id,
        )
    decoder = DECODERS.get(command_id)
    if decoder is None:
        raise PduError(
            CommandStatus.ESME_RINVCMDID,
            f"unknown command_id 0x{command_id:08X}",
            sequence_number=seq,
            command_id=command_id,
        )
    if length == HEADER_LENGTH and status and command_id & RESPONSE_BIT:
        # SMPP 3.4 omits the body of a failed response: fill the defaults.
        empty: Pdu = PDU_CLASSES[command_id](command_status=status, sequence_number=seq)
        return empty
    try:
        pdu: Pdu = decoder(buf, status, seq)
    except PduError as exc:
        exc.sequence_number, exc.command_id = seq, command_id
        raise
    except _STRUCT_ERRORS:
        raise PduError(
            CommandStatus.ESME_RINVCMDLEN,
            "body shorter than its mandatory fields",
            sequence_number=seq,
            command_id=command_id,
        ) from None
    return pdu


def split_frames(buf: bytearray, max_length: int = DEFAULT_MAX_LENGTH) -> list[bytes]:
    """Remove every complete PDU from the front of `buf` and return them.

    A command_length below 16 or above `max_length` at the front raises
    PduError(ESME_RINVCMDLEN): the stream cannot be resynchronised after that, so the caller
    should close the connection. Complete frames before such a header are returned first.
    """
    frames: list[bytes] = []
    pos = 0
    available = len(buf)
    while available - pos >= 4:
        (length,) = _LENGTH.unpack_from(buf, pos)
        if length < HEADER_LENGTH or length > max_length:
            if frames:
                break  # hand over the good frames first; the next call raises
            seq = _LENGTH.unpack_from(buf, 12)[0] if available >= 16 else None
            raise PduError(
                CommandStatus.ESME_RINVCMDLEN,
                f"command_length {length} outside {HEADER_LENGTH}..{max_length}",
                sequence_number=seq,
            )
        if available - pos < length:
            break
        frames.append(bytes(buf[pos : pos + length]))
        pos += length
    if pos:
        del buf[:pos]
    return frames


def response_class(request: type[Pdu] | Pdu) -> type[Pdu] | None:
    """The response type that answers `request`, or None when it takes no response."""
    return (
        PDU_CLASSES.get(request.command_id | RESPONSE_BIT)
        if not request.command_id & RESPONSE_BIT
        else None
    )


def make_response(request: Pdu, command_status: int = 0) -> Pdu:
    """A default response to `request` (generic_nack when it has no response type)."""
    cls = response_class(request) or GenericNack
    return cls(command_status=command_status, sequence_number=request.sequence_number)
