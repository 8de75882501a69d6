"""Mandatory-field layouts of PDU bodies as data, compiled into encode/decode functions.

A layout is a sequence of (field name, kind). `compile_codec` turns it into straight-line
Python source once at import (as `dataclasses` does for `__init__`): runs of integers
become one `struct.Struct`, and decoding first tries one regular expression.
"""

import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from smsgate.smpp.constants import HEADER_LENGTH, CommandStatus
from smsgate.smpp.errors import PduError
from smsgate.smpp.tlv import decode_tlvs, encode_tlvs


@dataclass(frozen=True, slots=True)
class Int:
    """An unsigned big-endian integer of `size` octets (1, 2 or 4)."""

    size: int = 1


@dataclass(frozen=True, slots=True)
class CString:
    """A NUL-terminated Latin-1 string of at most `max_len` octets counting the NUL."""

    max_len: int
    status: int = CommandStatus.ESME_RINVPARLEN


@dataclass(frozen=True, slots=True)
class ShortMessage:
    """Octets preceded by a one-octet length (sm_length), at most `max_len` of them."""

    max_len: int = 254


@dataclass(frozen=True, slots=True)
class Custom:
    """A composite field (a list) with its own encode and decode functions."""

    encode: Callable[[Any], bytes]
    decode: Callable[[bytes, int], tuple[Any, int]]


FieldKind = Int | CString | ShortMessage | Custom

# The field kinds SMPP 3.4 uses; each over-long string maps to its own command_status.
U8 = Int(1)
SYSTEM_ID = CString(16, CommandStatus.ESME_RINVSYSID)
PASSWORD = CString(9, CommandStatus.ESME_RINVPASWD)
SYSTEM_TYPE = CString(13, CommandStatus.ESME_RINVSYSTYP)
ADDRESS_RANGE = CString(41, CommandStatus.ESME_RINVPARLEN)
SERVICE_TYPE = CString(6, CommandStatus.ESME_RINVSERTYP)
SOURCE_ADDR = CString(21, CommandStatus.ESME_RINVSRCADR)
DEST_ADDR = CString(21, CommandStatus.ESME_RINVDSTADR)
SOURCE_ADDR_65 = CString(65, CommandStatus.ESME_RINVSRCADR)
DEST_ADDR_65 = CString(65, CommandStatus.ESME_RINVDSTADR)
MESSAGE_ID = CString(65, CommandStatus.ESME_RINVMSGID)
SCHEDULE_TIME = CString(17, CommandStatus.ESME_RINVSCHED)
VALIDITY_PERIOD = CString(17, CommandStatus.ESME_RINVEXPIRY)
FINAL_DATE = CString(17, CommandStatus.ESME_RINVPARLEN)
SHORT_MESSAGE = ShortMessage(254)
Layout = Sequence[tuple[str, FieldKind]]
Encoder = Callable[[Any], bytes]
Decoder = Callable[[bytes, int, int], Any]

HEADER = struct.Struct(">IIII")
_INT_CODES = {1: "B", 2: "H", 4: "I"}


def cstring_error(buf: bytes, pos: int, name: str, kind: CString) -> PduError:
    """Explain why no NUL was found for a C-string that starts at `pos`."""
    if buf.find(0, pos) < 0:
        return PduError(kind.status, f"{name}: missing NUL terminator")
    return PduError(kind.status, f"{name}: longer than {kind.max_len - 1} octets")


def encode_error(name: str, kind: CString | ShortMessage) -> PduError:
    limit = kind.max_len - 1 if isinstance(kind, CString) else kind.max_len
    status = kind.status if isinstance(kind, CString) else CommandStatus.ESME_RINVMSGLEN
    return PduError(status, f"{name}: longer than {limit} octets or holds a NUL")


def short_message_error(name: str) -> PduError:
    return PduError(CommandStatus.ESME_RINVMSGLEN, f"{name}: sm_length overruns the PDU")


def _groups(layout: Layout) -> list[list[tuple[str, FieldKind]]]:
    """Split a layout into runs of integers and single other fields.

    A ShortMessage contributes its length octet, named "n_<field>", to the integer run
    before it, so sm_length costs nothing extra.
    """
    groups: list[list[tuple[str, FieldKind]]] = []
    for name, kind in layout:
        if isinstance(kind, ShortMessage):
            if not (groups and isinstance(groups[-1][0][1], Int)):
                groups.append([])
            groups[-1].append((f"n_{name}", Int(1)))
        if isinstance(kind, Int) and groups and isinstance(groups[-1][0][1], Int):
            groups[-1].append((name, kind))
        else:
            groups.append([(name, kind)])
    return groups


def compile_codec(
    cls: type, command_id: int, layout: Layout, allows_tlvs: bool
) -> tuple[Encoder, Decoder]:
    """Generate `encode(pdu) -> bytes` and `decode(buf, status, seq) -> pdu` for one PDU type.

    Layouts without composite fields also get a fast decoder: one regular expression splits
    the whole mandatory part; only when it does not match does the field-by-field decoder
    run, to find the field at fault and raise the matching PduError.
    """
    groups = _groups(layout)
    env: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "HEADER": HEADER,
        "CID": command_id,
        "NUL": b"\0",
        "decode_tlvs": decode_tlvs,
        "encode_tlvs": encode_tlvs,
        "cstring_error": cstring_error,
        "encode_error": encode_error,
        "short_message_error": short_message_error,
        "PduError": PduError,
        "RINVCMDLEN": CommandStatus.ESME_RINVCMDLEN,
    }
    names = [n for group in groups for n, _ in group if not n.startswith("n_")]
    lines = _encoder_lines(groups, env, allows_tlvs)
    tail = _decoder_tail(names, allows_tlvs)
    lines += ["def precise(b, status, seq):", "    end = len(b)", "    p = 16"]
    lines += _precise_lines(groups, env) + tail
    fast = groups and not any(isinstance(k, Custom) for g in groups for _, k in g)
    if fast:
        lines += _fast_lines(groups, env) + tail
    lines.append(f"return encode, {'fast' if fast else 'precise'}")
    # The functions are built inside a factory so every helper is a fast closure variable.
    body = "\n".join("    " + line for line in lines)
    source = f"def factory({', '.join(env)}):\n{body}\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<smpp codec {cls.__name__}>", "exec"), namespace)
    encoder, decoder = namespace["factory"](**env)
    return encoder, decoder


def _encoder_lines(
    groups: list[list[tuple[str, FieldKind]]], env: dict[str, Any], allows_tlvs: bool
) -> list[str]:
    lines = ["def encode(o):"]
    parts: list[str] = []  # expressions joined into the encoded PDU after the header
    sizes: list[str] = []  # variable lengths summed into command_length
    fixed = HEADER_LENGTH
    pending_nul = False  # a C-string's NUL is folded into the next struct as a pad byte
    for index, group in enumerate(groups):
        name, kind = group[0]
        if isinstance(kind, Int):
            codes = "".join(_INT_CODES[k.size] for _, k in group if isinstance(k, Int))
            env[f"S{index}"] = packer = struct.Struct(">" + ("x" if pending_nul else "") + codes)
            args = ", ".join(f"len(e_{n[2:]})" if n[:2] == "n_" else f"o.{n}" for n, _ in group)
            parts.append(f"S{index}.pack({args})")
            fixed += packer.size
            pending_nul = False
            continue
        env[f"K_{name}"] = kind
        if pending_nul:
            parts.append("NUL")
            fixed += 1
            pending_nul = False
        if isinstance(kind, CString):
            lines.append(f"    e_{name} = o.{name}.encode('latin-1')")
            lines.append(f"    if len(e_{name}) >= {kind.max_len} or 0 in e_{name}:")
            lines.append(f"        raise encode_error({name!r}, K_{name})")
            pending_nul = True
        elif isinstance(kind, ShortMessage):
            # Assigned before the join, where the length struct reads len(e_<name>).
            lines.append(f"    e_{name} = o.{name}")
            lines.append(f"    if len(e_{name}) > {kind.max_len}:")
            lines.append(f"        raise encode_error({name!r}, K_{name})")
        else:
            lines.append(f"    e_{name} = K_{name}.encode(o.{name})")
        parts.append(f"e_{name}")
        sizes.append(f"len(e_{name})")
    if pending_nul:
        parts.append("NUL")
        fixed += 1
    if allows_tlvs:
        lines.append("    t = encode_tlvs(o.tlvs) if o.tlvs else b''")
        parts.append("t")
        sizes.append("len(t)")
    else:
        lines.append("    if o.tlvs: raise PduError(RINVCMDLEN, 'this PDU takes no TLVs')")
    length = " + ".join([str(fixed), *sizes])
    header = f"HEADER.pack({length}, CID, o.command_status, o.sequence_number)"
    lines.append(f"    return b''.join(({', '.join([header, *parts])},))")
    return lines


def _precise_lines(groups: list[list[tuple[str, FieldKind]]], env: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for index, group in enumerate(groups):
        name, kind = group[0]
        if isinstance(kind, Int):
            codes = "".join(_INT_CODES[k.size] for _, k in group if isinstance(k, Int))
            env[f"D{index}"] = unpacker = struct.Struct(">" + codes)
            targets = "".join(f"v_{n}, " for n, _ in group)
            lines.append(f"    {targets}= D{index}.unpack_from(b, p); p += {unpacker.size}")
        elif isinstance(kind, CString):
            lines.append(f"    e = b.find(0, p, p + {kind.max_len})")
            lines.append(f"    if e < 0: raise cstring_error(b, p, {name!r}, K_{name})")
            lines.append(f"    v_{name} = b[p:e].decode('latin-1'); p = e + 1")
        elif isinstance(kind, ShortMessage):
            lines += _short_message_lines(name, kind)
        else:
            lines.append(f"    v_{name}, p = K_{name}.decode(b, p)")
    return lines


def _fast_lines(groups: list[list[tuple[str, FieldKind]]], env: dict[str, Any]) -> list[str]:
    pattern: list[str] = []
    body: list[str] = []
    for index, group in enumerate(groups):
        name, kind = group[0]
        if isinstance(kind, Int):
            size = sum(k.size for _, k in group if isinstance(k, Int))
            pattern.append(f"(.{{{size}}})")
            targets = "".join(f"v_{n}, " for n, _ in group)
            if size == len(group):  # single octets: unpacking bytes yields the ints
                body.append(f"    {targets}= g{index}")
            else:
                body.append(f"    {targets}= D{index}.unpack(g{index})")
        elif isinstance(kind, CString):
            pattern.append(f"([^\\x00]{{0,{kind.max_len - 1}}})\\x00")
            body.append(f"    v_{name} = g{index}.decode('latin-1')")
        else:
            assert isinstance(kind, ShortMessage)
            pattern.append("")
            body += _short_message_lines(name, kind)
    env["RX"] = re.compile("".join(pattern).encode(), re.DOTALL)
    captured = [f"g{i}" for i, g in enumerate(groups) if not isinstance(g[0][1], ShortMessage)]
    return [
        "def fast(b, status, seq):",
        "    m = RX.match(b, 16)",
        "    if m is None: return precise(b, status, seq)",
        f"    {''.join(g + ', ' for g in captured)}= m.groups()",
        "    end = len(b)",
        "    p = m.end()",
        *body,
    ]


def _short_message_lines(name: str, kind: ShortMessage) -> list[str]:
    return [
        f"    n = v_n_{name}",
        f"    if n > {kind.max_len} or p + n > end: raise short_message_error({name!r})",
        f"    v_{name} = b[p:p + n]; p += n",
    ]


def _decoder_tail(names: list[str], allows_tlvs: bool) -> list[str]:
    if allows_tlvs:
        lines = ["    tlvs = decode_tlvs(b, p, end) if p < end else {}"]
    else:
        lines = [
            "    if p != end: raise PduError(RINVCMDLEN, 'trailing octets after the body')",
            "    tlvs = {}",
        ]
    lines.append("    o = new(cls)")
    lines.append("    o.command_status = status; o.sequence_number = seq; o.tlvs = tlvs")
    lines.extend(f"    o.{name} = v_{name}" for name in names)
    lines.append("    return o")
    return lines
