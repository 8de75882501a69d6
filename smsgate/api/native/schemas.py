"""The native API's request and response bodies as msgspec Structs, and their codecs.

Requests are decoded strictly (unknown fields refused, no type coercion); the same
Structs generate the OpenAPI schemas, so the document cannot drift from the parser.
Money is a decimal string, times are ISO-8601 UTC strings or null.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from smsgate import text
from smsgate.core.accounts import NAME_MAX
from smsgate.core.ledger import EntryKind
from smsgate.core.messages import PartStatus, Status
from smsgate.core.senders import ALNUM_MAX, NUMERIC_MAX
from smsgate.services.account_policy import MAX_ALLOWED_IPS
from smsgate.services.inbound_plan import OPT_OUT_MAX
from smsgate.services.stoplist import MAX_REPORTED_INVALID, NUMBER_MAX
from smsgate.services.submit import (
    CALLBACK_URL_MAX,
    MAX_RECIPIENTS,
    MAX_VALIDITY,
    MIN_VALIDITY,
    REFERENCE_MAX,
    SubmitCommand,
)

Recipient = Annotated[str, Meta(min_length=1, max_length=64, examples=["+393331234567"])]
Money = Annotated[str, Meta(description='decimal amount, e.g. "0.05"', examples=["0.05"])]
AmountIn = Annotated[
    str | int,
    Meta(description='a decimal string ("5.00", "-1.5") or whole units; never a float'),
]
Timestamp = Annotated[datetime, Meta(tz=True, description="ISO-8601, UTC")]
ApiEncoding = Literal["auto", "gsm7", "ucs2", "latin1"]
# Checked by the submit service, whose `invalid_sender` names the rule broken.
Sender = Annotated[
    str,
    Meta(
        description=f"alphanumeric (<= {ALNUM_MAX}) or numeric (<= {NUMERIC_MAX}, a '+' first)",
        extra_json_schema={"minLength": 1, "maxLength": NUMERIC_MAX + 1},
    ),
]
Reference = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=REFERENCE_MAX,
        description="your id; sending it again returns the original",
    ),
]
CallbackUrl = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=CALLBACK_URL_MAX,
        pattern="^[Hh][Tt][Tt][Pp][Ss]?://",
        description="http(s) URL told of final statuses",
    ),
]
ScheduleTime = (
    Annotated[datetime, Meta(tz=True, description="ISO-8601 with an offset")]
    | Annotated[float, Meta(description="seconds since the epoch")]
)
Validity = Annotated[
    int,
    Meta(ge=MIN_VALIDITY, le=MAX_VALIDITY, description="seconds before an unsent message expires"),
]
# Checked by the submit service, whose `empty_text` and `text_too_long` say what is wrong.
Text = Annotated[
    str,
    Meta(
        description="never truncated; at most the account's number of parts",
        extra_json_schema={"minLength": 1},
    ),
]


# --- requests ------------------------------------------------------------------------


class SendRequest(Struct, frozen=True, forbid_unknown_fields=True, rename={"sender": "from"}):
    """One text to one or more recipients (also the body of a quote)."""

    to: Recipient | Annotated[list[Recipient], Meta(min_length=1, max_length=MAX_RECIPIENTS)]
    sender: Sender
    text: Text
    reference: Reference | None = None
    callback_url: CallbackUrl | None = None
    scheduled_at: ScheduleTime | None = None
    validity: Validity | None = None
    encoding: ApiEncoding = "auto"
    transliterate: Annotated[bool, Meta(description="replace characters GSM 7-bit lacks")] = False

    def command(self) -> SubmitCommand:
        """The use case's command for this request."""
        at = self.scheduled_at
        return SubmitCommand(
            to=(self.to,) if isinstance(self.to, str) else tuple(self.to),
            sender=self.sender,
            text=self.text,
            encoding=text.Encoding(self.encoding),
            reference=self.reference,
            callback_url=self.callback_url,
            scheduled_at=at.timestamp() if isinstance(at, datetime) else at,
            validity=self.validity,
            transliterate=self.transliterate,
        )


class ReplyRequest(Struct, frozen=True, forbid_unknown_fields=True):
    """A reply to one MO: sent to its sender from the number it came in on."""

    text: Text
    callback_url: CallbackUrl | None = None
    reference: Reference | None = None


class SubaccountRequest(Struct, frozen=True, forbid_unknown_fields=True):
    name: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=NAME_MAX,
            pattern="^[A-Za-z0-9._-]+$",
            description=f"1-{NAME_MAX} letters, digits, '-', '_' or '.'",
        ),
    ]
    password: Annotated[str, Meta(min_length=6, max_length=64)] | None = None
    credit: AmountIn | None = None
    shared_balance: Annotated[bool, Meta(description="spend the parent's credit")] = False


class CreditRequest(Struct, frozen=True, forbid_unknown_fields=True):
    amount: Annotated[AmountIn, Meta(description="positive: to the sub-account; negative: back")]


# --- responses -----------------------------------------------------------------------


class SentMessage(Struct):
    id: str
    to: str
    parts: int
    cost: Money
    status: Status


class SendResponse(Struct):
    batch_id: str
    cost: Money
    currency: str
    messages: list[SentMessage]


class QuoteLineView(Struct):
    to: str
    parts: int
    cost: Money


class QuoteResponse(Struct):
    encoding: str
    parts: int
    cost: Money
    currency: str
    messages: list[QuoteLineView]


class PartView(Struct):
    seq: int
    status: PartStatus
    error: str | None


class MessageView(Struct, rename={"sender": "from"}, omit_defaults=True):
    id: str
    batch_id: str
    to: str
    sender: str
    text: str
    encoding: str
    parts: int
    cost: Money
    currency: str
    status: Status
    error: str | None
    reference: str | None
    created_at: Timestamp
    scheduled_at: Timestamp | None
    sent_at: Timestamp | None
    done_at: Timestamp | None
    part_statuses: list[PartView] | UnsetType = UNSET


class MessagePage(Struct):
    messages: list[MessageView]
    next_cursor: Annotated[str | None, Meta(description="pass as ?cursor= for the next page")]


class BalanceResponse(Struct):
    balance: Money
    currency: str


class LedgerEntryView(Struct):
    id: int
    kind: EntryKind
    amount: Money
    balance_after: Money
    reference: str
    created_at: Timestamp


class LedgerPage(Struct):
    entries: list[LedgerEntryView]
    next_cursor: str | None


class SubaccountView(Struct):
    id: int
    name: str
    balance: Annotated[Money | None, Meta(description="null when it spends the parent's")]
    currency: str
    shared_balance: bool
    status: str


class SubaccountList(Struct):
    subaccounts: list[SubaccountView]


class NewSubaccount(Struct):
    id: int
    name: str
    api_key: Annotated[str, Meta(description="shown only once")]
    balance: Money | None
    currency: str
    shared_balance: bool


class AccountBalance(Struct):
    id: int
    balance: Money


class CreditResponse(Struct):
    currency: str
    account: Annotated[AccountBalance, Meta(description="the account whose credit moved")]
    subaccount: AccountBalance


class Health(Struct):
    status: Literal["ok", "unavailable"]


# --- account settings (the access policy) ---------------------------------------------

AllowedIps = Annotated[
    list[Annotated[str, Meta(max_length=64)]],
    Meta(
        max_length=MAX_ALLOWED_IPS,
        description="IPv4/IPv6 addresses and CIDR networks the account may connect from",
        examples=[["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]],
    ),
]
SendRate = Annotated[float, Meta(description="most messages a second, over every API and SMPP")]
MaxBinds = Annotated[int, Meta(description="most concurrent SMPP binds (0: no SMPP)")]


class SettingsView(Struct):
    """An account's access policy; null `allowed_ips` allows any address, null
    `send_rate` leaves only the gateway-wide limit."""

    allowed_ips: AllowedIps | None
    send_rate: SendRate | None
    max_binds: MaxBinds


class SettingsRequest(Struct, frozen=True, forbid_unknown_fields=True):
    """The settings to change; an absent field keeps its value, null clears it."""

    allowed_ips: AllowedIps | UnsetType | None = UNSET
    send_rate: SendRate | UnsetType | None = UNSET
    max_binds: MaxBinds | UnsetType = UNSET


settings_decoder = msgspec.json.Decoder(SettingsRequest)


# --- the STOP list -------------------------------------------------------------------


class StopRequest(Struct, frozen=True, forbid_unknown_fields=True):
    number: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=NUMBER_MAX,
            description="E.164, or national in the account's default country",
            examples=["+393331234567"],
        ),
    ]


class StopEntryView(Struct):
    number: Annotated[str, Meta(description="E.164")]
    source: Annotated[str, Meta(description="how it was listed: api, cli, import, inbound")]
    created_at: Timestamp


class StopPage(Struct):
    entries: list[StopEntryView]
    next_cursor: Annotated[str | None, Meta(description="pass as ?cursor= for the next page")]


class InvalidLineView(Struct):
    line: int
    value: str
    reason: str


class StopImportView(Struct):
    added: Annotated[int, Meta(description="numbers put on the list")]
    already_present: Annotated[int, Meta(description="on the list before, or twice in the file")]
    invalid: Annotated[int, Meta(description="lines refused")]
    invalid_lines: Annotated[
        list[InvalidLineView], Meta(description=f"the first {MAX_REPORTED_INVALID} refused")
    ]


stop_decoder = msgspec.json.Decoder(StopRequest)


class InboundView(Struct, rename={"source": "from", "destination": "to"}):
    """An MO: `to` is the number it came in on, `keyword` the keyword that routed it to
    the account on a shared number (null otherwise), `flag` why its text is the raw
    bytes' hex (`bad_coding`, `bad_udh`; null otherwise)."""

    id: int
    source: str
    destination: str
    text: str
    encoding: str
    parts: int
    keyword: str | None
    received_at: Timestamp
    flag: str | None = None


class InboundPage(Struct):
    inbound: list[InboundView]
    next_cursor: Annotated[str | None, Meta(description="pass as ?cursor= for the next page")]


class ConversationItemView(Struct, rename={"source": "from", "destination": "to"}):
    """An MT sent to the number (`status` set) or an MO received from it (`status`
    null); `at` is when it was created or received."""

    direction: Literal["mt", "mo"]
    id: str
    source: str
    destination: str
    text: str
    status: Status | None
    at: Timestamp


class ConversationView(Struct):
    msisdn: Annotated[str, Meta(description="the number, in E.164")]
    items: list[ConversationItemView]
    next_before: Annotated[
        str | None, Meta(description="pass as ?before= for the next page (epoch seconds)")
    ]


class NumberView(Struct):
    """A number the account receives on: its own (`shared` false), or a shared one where
    it has `keywords` or is the `default` account (MO matching no keyword)."""

    number: str
    shared: bool
    default: bool
    keywords: list[str]
    created_at: Timestamp
    webhook_shape: Annotated[str | None, Meta(description="its webhook's MO shape; null: native")]
    price: Annotated[str, Meta(description="charged per MO received on it", examples=["0.01"])]


class NumberList(Struct):
    numbers: list[NumberView]


class MoDayView(Struct):
    account_id: int
    day: Annotated[date, Meta(description="in the report's utc_offset")]
    mo: Annotated[int, Meta(description="MO routed to the account and received that day")]


class MoStatistics(Struct):
    days: list[MoDayView]
    total: int


class InboundSettingsBody(Struct, frozen=True, forbid_unknown_fields=True):
    """An account's inbound settings (docs/inbound.md, "Settings"); in a PUT an absent
    field takes its default."""

    webhook_url: Annotated[str | None, Meta(description="where MO are posted")] = None
    webhook_shape: Annotated[str, Meta(description="native, agiletelecom or smspartner")] = "native"
    smpp: Annotated[bool, Meta(description="MO go to the account's SMPP binds")] = False
    smpp_long: Annotated[str, Meta(description="a long MO over SMPP: udh or payload")] = "udh"
    opt_out: Annotated[
        list[str], Meta(max_length=OPT_OUT_MAX, description="opt-out words besides STOP...")
    ] = []
    stop_reply: Annotated[str | None, Meta(description="sent to who opts out")] = None
    start_reply: Annotated[str | None, Meta(description="sent to who opts in again")] = None


# --- codecs --------------------------------------------------------------------------

send_decoder = msgspec.json.Decoder(SendRequest)
subaccount_decoder = msgspec.json.Decoder(SubaccountRequest)
credit_decoder = msgspec.json.Decoder(CreditRequest)
reply_decoder = msgspec.json.Decoder(ReplyRequest)
inbound_settings_decoder = msgspec.json.Decoder(InboundSettingsBody)


def utc(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)
