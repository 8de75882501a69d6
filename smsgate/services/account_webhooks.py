"""An account's webhooks as its portal shows them: the webhooks of the numbers it owns,
the recent deliveries of its receipts' and MO outboxes with the last answer each got, and
a test POST of a sample MO to its default MO webhook, in its shape, through a
`WebhookProbe` (the webhook adapter's client and signature); nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRequest
from smsgate.services.inbound import StoredInbound
from smsgate.services.inbound_numbers import InboundNumber, NumberService
from smsgate.services.inbound_plan import InboundSettingsService
from smsgate.services.ports import Clock

RECEIPT = "receipt"  # a message's final status to its callback_url (`outbox`)
MO = "mo"  # an MO to its webhook (`inbound_outbox`)
MAX_DELIVERIES = 200
SAMPLE_FROM = "+393330000000"
SAMPLE_TO = "+393339999999"
SAMPLE_TEXT = "smsgate webhook test"


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One outbox row: a RECEIPT of message `subject` or an MO (`subject` its id) for
    `url`; `state` pending, delivered or failed after `attempts`, with the last answer's
    status code (None: no answer) and error."""

    kind: str
    id: int
    subject: str
    url: str
    state: str
    attempts: int
    created_at: float
    next_at: float
    last_status: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class ProbeAnswer:
    """How a test POST went: the status (None: no answer, see `error`), how long it took,
    and the signature header it was sent with. The answer's body is not read: the test
    must not make the gateway a way to read what an internal address answers."""

    url: str
    status: int | None
    seconds: float
    error: str | None
    signature: str


@runtime_checkable
class WebhookProbe(Protocol):
    async def post_sample(self, url: str, shape: str, mo: StoredInbound) -> ProbeAnswer:
        """POST `mo` to `url` in `shape`, signed as the MO webhooks are; never raises for
        what the receiver does (no answer, an error status): the answer says it."""
        ...


@runtime_checkable
class WebhookLogStore(Protocol):
    async def webhook_deliveries(self, account_id: int, limit: int) -> list[WebhookDelivery]:
        """The account's receipt rows (of its messages) and MO rows, newest first (by
        `created_at`, then id), at most `limit`."""
        ...


@dataclass(eq=False, slots=True)
class AccountWebhooks:
    store: WebhookLogStore
    settings: InboundSettingsService
    numbers: NumberService
    probe: WebhookProbe
    clock: Clock

    async def number_webhooks(self, account: Account) -> list[InboundNumber]:
        """The numbers the account owns that have a webhook of their own (it takes their
        MO instead of the account's default); a shared number's is not the account's."""
        return [
            n
            for n in await self.numbers.list(account)
            if n.account_id == account.id and n.webhook_url
        ]

    async def deliveries(self, account: Account, limit: int = 50) -> list[WebhookDelivery]:
        if not 1 <= limit <= MAX_DELIVERIES:
            raise InvalidRequest(f"limit must be 1-{MAX_DELIVERIES}", field="limit")
        return await self.store.webhook_deliveries(account.id, limit)

    async def test(self, account: Account) -> ProbeAnswer:
        """POST a sample MO to the account's default MO webhook, in its shape;
        InvalidRequest when it has none."""
        settings = await self.settings.get(account)
        if not settings.webhook_url:
            raise InvalidRequest("there is no webhook URL to test: save one first", field="url")
        sample = StoredInbound(
            0,
            "test",
            SAMPLE_FROM,
            SAMPLE_TO,
            SAMPLE_TEXT,
            "gsm7",
            1,
            self.clock.now(),
            account.id,
            None,
        )
        return await self.probe.post_sample(settings.webhook_url, settings.webhook_shape, sample)
