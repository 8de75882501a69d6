"""What storing a routed MO does besides keeping it: `MoEffects`, planned by `plan` from
the number it came in on and the account's `InboundSettings` (its default webhook and
the shape it takes, its SMPP binds, its opt-out words). The store applies the effects in
the MO's own transaction, so an MO acknowledged upstream is never kept without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account, funding_account
from smsgate.core.errors import InvalidRequest
from smsgate.core.storable import check_storable
from smsgate.core.urls import check_http_url
from smsgate.services.changes import INBOUND_SETTINGS, Changes
from smsgate.services.inbound_numbers import (
    CACHE_SECONDS,
    NATIVE,
    InboundNumber,
    check_shape,
    fold,
    normalise_number,
    parse_keyword,
)
from smsgate.services.ports import Clock

# The shape of an MO replying to an SMS Partner send that had `urlResponse`: planned only,
# never set on a number or an account.
SMSPARTNER_REPLY = "smspartner_reply"

# How a long MO reaches an SMPP bind: a deliver_sm per part with a UDH, or one with the
# whole text in message_payload.
UDH = "udh"
PAYLOAD = "payload"
SMPP_LONG = (UDH, PAYLOAD)

OPT_OUT = frozenset({"STOP", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET"})
OPT_IN = frozenset({"START", "UNSTOP"})
REPLY_MAX = 612  # four GSM parts
OPT_OUT_MAX = 100  # an account's own opt-out words
# what `MoEffects.stop` asks of the STOP list
STOP_ADD = "add"
STOP_REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class InboundSettings:
    """An account's inbound settings: MO go to `webhook_url` (in `webhook_shape`) unless
    their number has its own, and to its SMPP binds when `smpp`, a long one as one of
    SMPP_LONG (`smpp_long`); `opt_out` words (folded)
    opt a sender out besides OPT_OUT; `stop_reply`/`start_reply` confirm STOP/START."""

    account_id: int
    webhook_url: str | None = None
    webhook_shape: str = NATIVE
    smpp: bool = False
    smpp_long: str = UDH
    opt_out: tuple[str, ...] = ()
    stop_reply: str | None = None
    start_reply: str | None = None
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class MoTarget:
    """A webhook an MO is POSTed to, in one of SHAPES or SMSPARTNER_REPLY."""

    url: str
    shape: str


@dataclass(frozen=True, slots=True)
class MoEffects:
    """What storing a routed MO does in its transaction: queue it for `webhooks` and the
        account's SMPP binds (`smpp`), debit `charge` micro-units with a ledger entry (from
    the account that pays for it, `charge_payer`, even below zero), and
        `stop`: (STOP_ADD or STOP_REMOVE, the sender in E.164) puts the sender on or takes it
        off the account's STOP list."""

    webhooks: tuple[MoTarget, ...] = ()
    smpp: bool = False
    charge: int = 0
    stop: tuple[str, str] | None = None


NO_EFFECTS = MoEffects()


@runtime_checkable
class InboundSettingsStore(Protocol):
    async def all_inbound_settings(self) -> list[InboundSettings]:
        """The settings of every account that has any."""
        ...

    async def set_inbound_settings(self, settings: InboundSettings) -> None:
        """Store the account's settings, replacing what it had."""
        ...


def charge_payer(chain: Sequence[Account]) -> int | None:
    """The account that pays an MO's charge, as for a send (`funding_account`): the
    account, or the ancestor whose balance it shares; None when no account keeps one."""
    try:
        return funding_account(chain).id
    except InvalidRequest:
        return None


def charge_reference(inbound_id: int) -> str:
    """The ledger reference of an MO's charge."""
    return f"inbound:{inbound_id}"


def stop_command(text: str, settings: InboundSettings | None) -> str | None:
    """STOP_ADD when `text` is an opt-out word (OPT_OUT or the account's own), STOP_REMOVE
    when it is START/UNSTOP, else None."""
    command = " ".join(fold(text).strip(" .!").split())
    if command in OPT_OUT or (settings is not None and command in settings.opt_out):
        return STOP_ADD
    if command in OPT_IN:
        return STOP_REMOVE
    return None


def plan(
    source: str,
    text: str,
    number: InboundNumber | None,
    settings: InboundSettings | None,
    reply_url: str | None = None,
) -> MoEffects:
    """The effects of an MO from `source` with `text` routed to the account of `settings`
    (None: it has none) that came in on `number` (None: routed as a reply, to the send
    that had `reply_url` when it had one). Only a sender with an E.164 number can opt out."""
    webhooks: list[MoTarget] = []
    if number is not None and number.webhook_url:
        webhooks.append(MoTarget(number.webhook_url, number.webhook_shape or NATIVE))
    elif reply_url:
        webhooks.append(MoTarget(reply_url, SMSPARTNER_REPLY))
    elif settings is not None and settings.webhook_url:
        webhooks.append(MoTarget(settings.webhook_url, settings.webhook_shape))
    return MoEffects(
        webhooks=tuple(webhooks),
        smpp=settings is not None and settings.smpp,
        charge=number.price if number is not None else 0,
        stop=_stop(source, text, settings),
    )


def _stop(source: str, text: str, settings: InboundSettings | None) -> tuple[str, str] | None:
    command = stop_command(text, settings)
    number = normalise_number(source)
    if command is None or number is None or not number.startswith("+"):
        return None
    return command, number


@dataclass(eq=False, slots=True)
class InboundSettingsService:
    """Reads and sets accounts' inbound settings; keeps them all for CACHE_SECONDS (a
    change made in this process is seen at once)."""

    store: InboundSettingsStore
    clock: Clock
    changes: Changes = field(default_factory=Changes)
    _cache: tuple[float, dict[int, InboundSettings]] | None = field(default=None, init=False)

    def forget(self, _key: str = "") -> None:
        self._cache = None

    def follow(self, changes: Changes) -> None:
        changes.on(INBOUND_SETTINGS, self.forget)

    async def all(self) -> dict[int, InboundSettings]:
        now = self.clock.now()
        hit = self._cache
        if hit is not None and hit[0] > now:
            return hit[1]
        found = {s.account_id: s for s in await self.store.all_inbound_settings()}
        self._cache = (now + CACHE_SECONDS, found)
        return found

    async def get(self, account: Account) -> InboundSettings:
        """The account's settings; the defaults when it has none."""
        return (await self.all()).get(account.id) or InboundSettings(account.id)

    async def set(self, settings: InboundSettings) -> InboundSettings:
        """Check and store them: an http(s) webhook URL, one of SHAPES, at most
        OPT_OUT_MAX opt-out words, each as keywords are, replies of at most REPLY_MAX
        characters; InvalidRequest otherwise."""
        check_http_url(settings.webhook_url, "webhook_url")
        if settings.smpp_long not in SMPP_LONG:
            raise InvalidRequest(
                f"smpp_long must be one of {', '.join(SMPP_LONG)}", field="smpp_long"
            )
        check_shape(settings.webhook_shape)
        if len(settings.opt_out) > OPT_OUT_MAX:
            raise InvalidRequest(f"at most {OPT_OUT_MAX} opt-out words", field="opt_out")
        words = tuple(sorted({parse_keyword(word) for word in settings.opt_out}))
        for name in ("stop_reply", "start_reply"):
            reply = getattr(settings, name)
            check_storable(reply, name)
            if reply is not None and not 1 <= len(reply) <= REPLY_MAX:
                raise InvalidRequest(f"{name} must be 1-{REPLY_MAX} characters", field=name)
        checked = replace(settings, opt_out=words, updated_at=self.clock.now())
        self._cache = None
        await self.store.set_inbound_settings(checked)
        self.changes.announce(INBOUND_SETTINGS, settings.account_id)
        return checked
