"""Delivery receipts: the de-facto "id:... stat:... err:..." text, its TLVs, and message ids.

Parsing is tolerant (any key order or case, 10- or 12-digit dates, missing `text:`) because
every SMSC writes receipts a little differently; `receipt_from_pdu` prefers the
receipted_message_id and message_state TLVs over the text when a PDU carries both.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from smsgate.smpp import tlv
from smsgate.smpp.constants import ESM_TYPE_MASK, EsmClass, MessageState
from smsgate.smpp.pdu import DataSm, DeliverSm

IdFormat = Literal["hex", "dec", "str"]


class ReceiptError(ValueError):
    """The PDU or text is not a delivery receipt we can read."""


STAT_WORDS: dict[MessageState, str] = {
    MessageState.SCHEDULED: "SCHEDUL",
    MessageState.ENROUTE: "ENROUTE",
    MessageState.DELIVERED: "DELIVRD",
    MessageState.EXPIRED: "EXPIRED",
    MessageState.DELETED: "DELETED",
    MessageState.UNDELIVERABLE: "UNDELIV",
    MessageState.ACCEPTED: "ACCEPTD",
    MessageState.UNKNOWN: "UNKNOWN",
    MessageState.REJECTED: "REJECTD",
    MessageState.SKIPPED: "SKIPPED",
}
_WORD_STATES: dict[str, MessageState] = {word: state for state, word in STAT_WORDS.items()}
# Long spellings some SMSCs use instead of the seven-letter words.
_WORD_STATES.update(
    {
        "DELIVERED": MessageState.DELIVERED,
        "UNDELIVERABLE": MessageState.UNDELIVERABLE,
        "UNDELIVERED": MessageState.UNDELIVERABLE,
        "ACCEPTED": MessageState.ACCEPTED,
        "REJECTED": MessageState.REJECTED,
        "SCHEDULED": MessageState.SCHEDULED,
        "FAILED": MessageState.UNDELIVERABLE,
    }
)


def stat_to_state(stat: str) -> MessageState:
    """The MessageState for a `stat:` word; unknown words map to UNKNOWN."""
    return _WORD_STATES.get(stat.strip().upper(), MessageState.UNKNOWN)


def state_to_stat(state: int) -> str:
    try:
        return STAT_WORDS[MessageState(state)]
    except ValueError:
        return "UNKNOWN"


@dataclass(frozen=True, slots=True)
class Receipt:
    """One delivery receipt, whichever way it arrived."""

    message_id: str
    state: MessageState
    stat: str = ""
    submitted: int | None = None
    delivered: int | None = None
    submit_date: str = ""
    done_date: str = ""
    error: str = ""
    text: str = ""
    network_error: tlv.NetworkErrorCode | None = None

    @property
    def is_final(self) -> bool:
        return self.state not in (
            MessageState.ENROUTE,
            MessageState.ACCEPTED,
            MessageState.SCHEDULED,
        )


_KEY = re.compile(
    r"(?i)(?<![A-Za-z])(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:\s*"
)
# The appendix B layout, which nearly every SMSC follows: one match, no key scanning.
_CANONICAL = re.compile(
    r"id:(\S+)\s+sub:(\S*)\s+dlvrd:(\S*)\s+submit date:(\d*)\s+done date:(\d*)"
    r"\s+stat:(\S+)\s+err:(\S*)\s*(?:text:(.*))?",
    re.IGNORECASE | re.DOTALL,
)


def parse_receipt_text(text: str | bytes) -> Receipt:
    """Parse receipt text; raises ReceiptError unless it holds at least `id` and `stat`."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    match = _CANONICAL.fullmatch(text.strip())
    if match is not None:
        message_id, sub, dlvrd, submit_date, done_date, stat, err, body = match.groups()
        return Receipt(
            message_id=message_id,
            state=stat_to_state(stat),
            stat=stat.upper(),
            submitted=int(sub) if sub.isdigit() else None,
            delivered=int(dlvrd) if dlvrd.isdigit() else None,
            submit_date=submit_date,
            done_date=done_date,
            error=err,
            text=(body or "").rstrip(),
        )
    return _parse_any_order(text)


def _parse_any_order(text: str) -> Receipt:
    matches = list(_KEY.finditer(text))
    values: dict[str, str] = {}
    for index, match in enumerate(matches):
        key = match.group(1).lower().replace(" ", "").replace("_", "")
        if key in values:
            continue
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        # text: runs to the end once id and stat are known: the quoted text may hold "id:".
        if key == "text" and "id" in values and "stat" in values:
            values[key] = text[match.end() :]
            break
        values[key] = text[match.end() : end]
    message_id = values.get("id", "").split()
    stat = values.get("stat", "").split()
    if not message_id or not stat:
        raise ReceiptError(f"not a delivery receipt: {text[:80]!r}")
    return Receipt(
        message_id=message_id[0],
        state=stat_to_state(stat[0]),
        stat=stat[0].upper(),
        submitted=_count(values.get("sub")),
        delivered=_count(values.get("dlvrd")),
        submit_date=_token(values.get("submitdate")),
        done_date=_token(values.get("donedate")),
        error=_token(values.get("err")),
        text=values.get("text", "").rstrip(),
    )


def _token(value: str | None) -> str:
    parts = (value or "").split()
    return parts[0] if parts else ""


def _count(value: str | None) -> int | None:
    token = _token(value)
    return int(token) if token.isdigit() else None


def format_receipt_text(receipt: Receipt) -> str:
    """The conventional text form (SMPP 3.4 appendix B), `text:` cut to 20 characters."""
    return (
        f"id:{receipt.message_id} sub:{receipt.submitted or 0:03d}"
        f" dlvrd:{receipt.delivered or 0:03d}"
        f" submit date:{receipt.submit_date} done date:{receipt.done_date}"
        f" stat:{receipt.stat or state_to_stat(receipt.state)}"
        f" err:{receipt.error or '000'} text:{receipt.text[:20]}"
    )


Address = tuple[int, int, str]  # (ton, npi, digits or name)


def receipt_pdu(
    receipt: Receipt,
    *,
    source: Address,
    destination: Address,
    receipted_message_id: str | None = None,
) -> DeliverSm:
    """The deliver_sm that reports `receipt`: the text and the TLVs, as SMSCs should send.

    `source` is the handset (the original destination) and `destination` the original
    sender. The TLV id defaults to the text id; pass the submit_sm_resp id when they differ.
    """
    tlvs: dict[int, tlv.TlvValue] = {
        tlv.RECEIPTED_MESSAGE_ID.tag: receipted_message_id or receipt.message_id,
        tlv.MESSAGE_STATE.tag: receipt.state,
    }
    if receipt.network_error is not None:
        tlvs[tlv.NETWORK_ERROR_CODE.tag] = receipt.network_error
    return DeliverSm(
        source_addr_ton=source[0],
        source_addr_npi=source[1],
        source_addr=source[2],
        dest_addr_ton=destination[0],
        dest_addr_npi=destination[1],
        destination_addr=destination[2],
        esm_class=EsmClass.DELIVERY_RECEIPT,
        # ASCII reads the same in every default alphabet (data_coding 0 is GSM 03.38
        # to many ESMEs); the text is only a hint, so what ASCII lacks becomes "?".
        short_message=format_receipt_text(receipt).encode("ascii", "replace"),
        tlvs=tlvs,
    )


def parse_receipt_date(value: str) -> datetime | None:
    """YYMMDDhhmm[ss] (or YYYYMMDDhhmmss) as a naive datetime in the SMSC's time zone."""
    formats = {10: "%y%m%d%H%M", 12: "%y%m%d%H%M%S", 14: "%Y%m%d%H%M%S"}
    fmt = formats.get(len(value))
    if fmt is None or not value.isdigit():
        return None
    try:
        return datetime.strptime(value, fmt)
    except ValueError:
        return None


def is_receipt(pdu: DeliverSm | DataSm) -> bool:
    """True when esm_class marks a receipt or the PDU names the message it reports on."""
    kind = pdu.esm_class & ESM_TYPE_MASK
    receipt_kinds = (
        EsmClass.DELIVERY_RECEIPT,
        EsmClass.DELIVERY_ACK,
        EsmClass.MANUAL_ACK,
        EsmClass.INTERMEDIATE_NOTIFICATION,
    )
    return kind in receipt_kinds or tlv.RECEIPTED_MESSAGE_ID.tag in pdu.tlvs


def receipt_from_pdu(pdu: DeliverSm | DataSm) -> Receipt:
    """Build a Receipt, preferring receipted_message_id / message_state TLVs to the text."""
    payload = tlv.MESSAGE_PAYLOAD.get(pdu.tlvs)
    raw = pdu.short_message if isinstance(pdu, DeliverSm) and pdu.short_message else payload
    try:
        parsed: Receipt | None = parse_receipt_text(raw or b"")
    except ReceiptError:
        parsed = None
    message_id = tlv.RECEIPTED_MESSAGE_ID.get(pdu.tlvs)
    state = tlv.MESSAGE_STATE.get(pdu.tlvs)
    network_error = tlv.NETWORK_ERROR_CODE.get(pdu.tlvs)
    if parsed is None:
        if message_id is None or state is None:
            raise ReceiptError("no receipted_message_id/message_state TLVs and no receipt text")
        parsed = Receipt(message_id=message_id, state=MessageState.UNKNOWN)
    return replace(
        parsed,
        message_id=message_id if message_id else parsed.message_id,
        state=_state(state) if state is not None else parsed.state,
        stat=state_to_stat(state) if state is not None else parsed.stat,
        network_error=network_error,
    )


def _state(value: int) -> MessageState:
    try:
        return MessageState(value)
    except ValueError:
        return MessageState.UNKNOWN


def normalize_message_id(raw: str, fmt: IdFormat) -> str:
    """A canonical form of an SMSC message id, for matching receipts to submissions.

    "hex" and "dec" read the id as a number in that base and return it in decimal, so a
    submit_sm_resp id "1A2B" (hex) and a receipt id "6699" (dec) normalise alike. "str"
    folds case and strips leading zeros. Raises ValueError when the id does not fit `fmt`.
    """
    value = raw.strip()
    if fmt == "hex":
        if not _HEX.fullmatch(value):
            raise ValueError(f"message id {raw!r} is not hexadecimal")
        return str(int(value, 16))
    if fmt == "dec":
        if not _DEC.fullmatch(value):
            raise ValueError(f"message id {raw!r} is not decimal")
        return str(int(value))
    if fmt == "str":
        return value.casefold().lstrip("0") or ("0" if value else "")
    raise ValueError(f"unknown message id format {fmt!r}")


_HEX = re.compile(r"[0-9A-Fa-f]+")
_DEC = re.compile(r"[0-9]+")
