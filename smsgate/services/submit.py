"""The submit use case: authorize, plan, price, then store and charge in one transaction.

Every way in (native HTTP, the provider dialects, SMPP) builds a SubmitCommand and
calls `SubmitService.submit`; nothing else creates messages or charges for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field

from smsgate.core.accounts import Account, check_active, funding_account
from smsgate.core.errors import EmptyText, InvalidRequest, StopListed, TextTooLong
from smsgate.core.messages import Status
from smsgate.core.pricing import price_per_part
from smsgate.core.senders import check_sender
from smsgate.core.storable import check_storable
from smsgate.core.urls import URL_MAX, check_http_url
from smsgate.services.account_policy import AccountPolicies
from smsgate.services.catalog import Catalog
from smsgate.services.numbers import to_e164
from smsgate.services.plans import DEFAULT_SCHEME, PartScheme, RoutePlans, plan_for
from smsgate.services.ports import Accepted, Clock, IdSource, NewMessage, Store, Submission
from smsgate.services.stoplist import StopListService
from smsgate.text import MULTIPART_UNITS, Concat, Encoding, MessagePlan, TextError
from smsgate.text import EmptyText as EmptyTextError
from smsgate.text import TextTooLong as TextTooLongError

MIN_VALIDITY = 60
MAX_VALIDITY = 7 * 24 * 3600
DEFAULT_VALIDITY = 48 * 3600
MAX_RECIPIENTS = 1000
MAX_SCHEDULE_AHEAD = 366 * 24 * 3600
# The longest value of each stored string field a customer gives (characters); the
# native schemas, the dialects and docs/security.md use these same numbers.
REFERENCE_MAX = 64
CALLBACK_URL_MAX = URL_MAX
TAG_MAX = 64


@dataclass(frozen=True, slots=True)
class SubmitCommand:
    """A request to send one text to one or more recipients, parsed at the edge."""

    to: tuple[str, ...]
    sender: str
    text: str
    encoding: Encoding = Encoding.AUTO
    reference: str | None = None
    callback_url: str | None = None
    scheduled_at: float | None = None
    validity: int | None = None
    transliterate: bool = False
    registered_delivery: bool = False
    tag: str | None = None
    # one segment of a message the client split itself (its concatenation header)
    udh: bytes | None = None
    # where MO replying to the messages are POSTed (SMS Partner's urlResponse)
    reply_url: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """One recipient: the plan of its first route's connector (encoding, concatenation,
    parts) and what those parts cost."""

    to: str
    parts: int
    cost: int
    encoding: str = Encoding.GSM7.value
    concat: str = Concat.UDH8.value


@dataclass(frozen=True, slots=True)
class Quote:
    """What a command would cost; `text` is what would be sent (after transliteration).
    `encoding` and `parts` are those of the first line; each line has its own."""

    encoding: str
    parts: int
    currency: str
    text: str
    lines: tuple[QuoteLine, ...] = field(default_factory=tuple)

    @property
    def cost(self) -> int:
        return sum(line.cost for line in self.lines)


@dataclass(eq=False, slots=True)
class SubmitService:
    store: Store
    catalog: Catalog
    clock: Clock
    ids: IdSource
    _: KW_ONLY
    default_validity: int = DEFAULT_VALIDITY
    on_accepted: Callable[[int], None] | None = None
    policies: AccountPolicies | None = None
    stop_list: StopListService | None = None
    plans: RoutePlans | None = None

    async def quote(self, account: Account, command: SubmitCommand) -> Quote:
        """Parts, encoding and cost of a command; stores and charges nothing."""
        chain = await self.catalog.chain(account.id)
        check_active(chain)
        _check_options(command)
        _due_time(command.scheduled_at, self.clock.now())
        return await self._quote(chain, command)

    async def submit(self, account: Account, command: SubmitCommand) -> Accepted:
        """Store and charge a command whole, or raise and change nothing."""
        return await self._submit(account, command, None)

    async def confirm_stop(self, account: Account, to: str, sender: str, text: str) -> Accepted:
        """`submit` of the confirmation of a STOP (or START) MO from `to` (E.164), stored
        and charged as any send: the STOP check lets `to` through, though that MO has
        just listed it. Only InboundService sends it; no API, dialect or bind can."""
        command = SubmitCommand(to=(to,), sender=sender, text=text)
        return await self._submit(account, command, to)

    async def _submit(
        self, account: Account, command: SubmitCommand, stop_confirmed: str | None
    ) -> Accepted:
        chain = await self.catalog.chain(account.id)
        check_active(chain)
        _check_options(command)
        quote = await self._quote(chain, command, stop_confirmed)
        now = self.clock.now()
        scheduled_at = _due_time(command.scheduled_at, now)
        if self.policies is not None:  # the account's send rate, shared by every surface
            await self.policies.take(account.id, len(quote.lines))
        validity = command.validity or self.default_validity
        submission = Submission(
            batch_id=self.ids.new_id(),
            account_id=account.id,
            payer_id=funding_account(chain).id,
            sender=command.sender,
            text=quote.text,
            encoding=quote.encoding,
            currency=quote.currency,
            status=Status.SCHEDULED if scheduled_at is not None else Status.QUEUED,
            reference=command.reference,
            callback_url=command.callback_url,
            created_at=now,
            scheduled_at=scheduled_at,
            expires_at=(scheduled_at or now) + validity,
            messages=tuple(
                NewMessage(
                    self.ids.new_id(), line.to, line.parts, line.cost, line.encoding, line.concat
                )
                for line in quote.lines
            ),
            registered_delivery=command.registered_delivery,
            tag=command.tag,
            udh=command.udh,
            reply_url=command.reply_url,
        )
        accepted = await self.store.accept(submission)
        if self.on_accepted is not None and not accepted.replayed:
            self.on_accepted(len(accepted.messages))
        return accepted

    async def _quote(
        self, chain: list[Account], command: SubmitCommand, stop_confirmed: str | None = None
    ) -> Quote:
        """The quote; `stop_confirmed` is a recipient the STOP check lets through."""
        account = chain[0]
        if not command.to:
            raise InvalidRequest("at least one recipient is required", field="to")
        if len(command.to) > MAX_RECIPIENTS:
            raise InvalidRequest(f"at most {MAX_RECIPIENTS} recipients", field="to")
        check_sender(command.sender)
        default = plan_text(command, account.max_parts)
        routed = self.plans if command.udh is None else None
        if routed is not None:
            await routed.fresh()
        planned = {DEFAULT_SCHEME: default}
        lists = await self.catalog.price_lists(chain)
        lines = []
        seen: set[str] = set()
        for raw in command.to:
            number = to_e164(raw, account.default_country)
            if number in seen:
                continue
            seen.add(number)
            scheme = DEFAULT_SCHEME if routed is None else routed.of_recipient(number, account.id)
            line_plan = planned.get(scheme)
            if line_plan is None:
                line_plan = planned[scheme] = plan_text(command, account.max_parts, scheme)
            parts = line_plan.sms_count
            cost = parts * price_per_part(number, lists)
            lines.append(
                QuoteLine(number, parts, cost, line_plan.encoding.value, scheme.concat.value)
            )
        if self.stop_list is not None:
            blocked = await self.stop_list.blocked(account.id, seen - {stop_confirmed})
            if blocked:
                raise StopListed(f"on the STOP list: {', '.join(sorted(blocked))}", field="to")
        first = lines[0]
        return Quote(first.encoding, first.parts, account.currency, default.text, tuple(lines))


def plan_text(
    command: SubmitCommand, max_parts: int, scheme: PartScheme = DEFAULT_SCHEME
) -> MessagePlan:
    """Plan the command's text as a connector with `scheme` sends it, translating
    text-layer errors into the error tree."""
    try:
        planned = plan_for(
            command.text,
            scheme,
            encoding=command.encoding,
            max_parts=1 if command.udh is not None else max_parts,
            transliterate=command.transliterate,
        )
    except EmptyTextError as exc:
        raise EmptyText("text is empty", field="text") from exc
    except TextTooLongError as exc:
        raise TextTooLong(
            f"text needs {exc.parts_needed} parts, at most {exc.max_parts} allowed", field="text"
        ) from exc
    except TextError as exc:
        raise InvalidRequest(str(exc), field="text") from exc
    # A segment travels with its own header, so it has the room of a concatenated part.
    if command.udh is not None and planned.units > MULTIPART_UNITS[Concat.UDH8][planned.encoding]:
        raise TextTooLong("a segment must fit one concatenated part", field="text")
    return planned


def _due_time(scheduled_at: float | None, now: float) -> float | None:
    """A schedule in the past means now; more than a year ahead is refused."""
    if scheduled_at is None or scheduled_at <= now:
        return None
    if scheduled_at > now + MAX_SCHEDULE_AHEAD:
        raise InvalidRequest("scheduled_at is too far ahead", field="scheduled_at")
    return scheduled_at


def _check_options(command: SubmitCommand) -> None:
    # The sender and the recipients have alphabets of their own (check_sender, to_e164).
    check_storable(command.text, "text")
    check_storable(command.reference, "reference")
    check_storable(command.callback_url, "callback_url")
    check_storable(command.tag, "tag")
    check_storable(command.reply_url, "reply_url")
    if command.validity is not None and not MIN_VALIDITY <= command.validity <= MAX_VALIDITY:
        raise InvalidRequest(
            f"validity must be {MIN_VALIDITY}-{MAX_VALIDITY} seconds", field="validity"
        )
    if command.reference is not None and not 0 < len(command.reference) <= REFERENCE_MAX:
        raise InvalidRequest(f"reference must be 1-{REFERENCE_MAX} characters", field="reference")
    if command.tag is not None and len(command.tag) > TAG_MAX:
        raise InvalidRequest(f"tag must be at most {TAG_MAX} characters", field="tag")
    check_http_url(command.callback_url, "callback_url")
    check_http_url(command.reply_url, "reply_url")
