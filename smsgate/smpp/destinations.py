"""submit_multi destination lists: SME addresses and distribution lists, unsuccess_sme.

These two variable-length lists are the only composite mandatory fields in SMPP 3.4;
they plug into the layout compiler as `Custom` kinds.
"""

import struct
from dataclasses import dataclass

from smsgate.smpp.constants import CommandStatus, DestFlag
from smsgate.smpp.errors import PduError
from smsgate.smpp.layout import DEST_ADDR, CString, Custom


@dataclass(frozen=True, slots=True)
class SmeAddress:
    destination_addr: str
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0


@dataclass(frozen=True, slots=True)
class DistributionList:
    dl_name: str


@dataclass(frozen=True, slots=True)
class UnsuccessSme:
    destination_addr: str
    error_status_code: int
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0


_BB = struct.Struct(">BB")
_BBB = struct.Struct(">BBB")
_I = struct.Struct(">I")


def _read_cstring(buf: bytes, pos: int, kind: CString, name: str) -> tuple[str, int]:
    end = buf.find(0, pos, pos + kind.max_len)
    if end < 0:
        raise PduError(kind.status, f"{name}: missing NUL or longer than {kind.max_len - 1}")
    return buf[pos:end].decode("latin-1"), end + 1


def _write_cstring(value: str, kind: CString, name: str) -> bytes:
    raw = value.encode("latin-1")
    if len(raw) >= kind.max_len or b"\0" in raw:
        raise PduError(kind.status, f"{name}: longer than {kind.max_len - 1} octets")
    return raw + b"\0"


def _encode_dests(dests: list[SmeAddress | DistributionList]) -> bytes:
    if len(dests) > 254:
        raise PduError(
            CommandStatus.ESME_RINVNUMDESTS, "submit_multi takes at most 254 destinations"
        )
    out = [bytes((len(dests),))]
    for dest in dests:
        if isinstance(dest, SmeAddress):
            out.append(_BBB.pack(DestFlag.SME_ADDRESS, dest.dest_addr_ton, dest.dest_addr_npi))
            out.append(_write_cstring(dest.destination_addr, DEST_ADDR, "destination_addr"))
        else:
            out.append(bytes((DestFlag.DISTRIBUTION_LIST,)))
            out.append(_write_cstring(dest.dl_name, DEST_ADDR, "dl_name"))
    return b"".join(out)


def _decode_dests(buf: bytes, pos: int) -> tuple[list[SmeAddress | DistributionList], int]:
    count = buf[pos]
    pos += 1
    dests: list[SmeAddress | DistributionList] = []
    for _ in range(count):
        flag = buf[pos]
        if flag == DestFlag.SME_ADDRESS:
            ton, npi = _BB.unpack_from(buf, pos + 1)
            addr, pos = _read_cstring(buf, pos + 3, DEST_ADDR, "destination_addr")
            dests.append(SmeAddress(addr, ton, npi))
        elif flag == DestFlag.DISTRIBUTION_LIST:
            name, pos = _read_cstring(buf, pos + 1, DEST_ADDR, "dl_name")
            dests.append(DistributionList(name))
        else:
            raise PduError(CommandStatus.ESME_RINVDESTFLAG, f"dest_flag {flag} is neither 1 nor 2")
    return dests, pos


def _encode_unsuccess(smes: list[UnsuccessSme]) -> bytes:
    out = [bytes((len(smes),))]
    for sme in smes:
        out.append(_BB.pack(sme.dest_addr_ton, sme.dest_addr_npi))
        out.append(_write_cstring(sme.destination_addr, DEST_ADDR, "destination_addr"))
        out.append(_I.pack(sme.error_status_code))
    return b"".join(out)


def _decode_unsuccess(buf: bytes, pos: int) -> tuple[list[UnsuccessSme], int]:
    count = buf[pos]
    pos += 1
    smes: list[UnsuccessSme] = []
    for _ in range(count):
        ton, npi = _BB.unpack_from(buf, pos)
        addr, pos = _read_cstring(buf, pos + 2, DEST_ADDR, "destination_addr")
        (status,) = _I.unpack_from(buf, pos)
        smes.append(UnsuccessSme(addr, status, ton, npi))
        pos += 4
    return smes, pos


DEST_ADDRESSES = Custom(_encode_dests, _decode_dests)
UNSUCCESS_SMES = Custom(_encode_unsuccess, _decode_unsuccess)
