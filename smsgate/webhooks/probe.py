"""`WebhookProber`: the test POST a customer asks for from the portal: a sample MO in the
shape its webhook takes, signed with the webhook secret, through a client of its own (so
a slow receiver holds none of the senders' connections); the answer or the error."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from smsgate.services.account_webhooks import ProbeAnswer
from smsgate.services.inbound import StoredInbound
from smsgate.services.mo_webhooks import MoDelivery
from smsgate.webhooks.bodies import mo_body
from smsgate.webhooks.client import WebhookClient, WebhookError
from smsgate.webhooks.signing import HEADER, sign


@dataclass(eq=False, slots=True)
class WebhookProber:
    secret: str = field(repr=False)
    timeout: float = 10.0

    async def post_sample(self, url: str, shape: str, mo: StoredInbound) -> ProbeAnswer:
        body = mo_body(MoDelivery(0, url, shape, 0, mo.received_at, mo))
        if body is None:
            return ProbeAnswer(url, None, 0.0, f"unknown shape {shape!r}", "")
        data, content_type, _ = body
        signature = sign(self.secret, data, int(mo.received_at))
        headers = {"Content-Type": content_type, HEADER: signature}
        client = WebhookClient(timeout=self.timeout, max_idle_per_origin=1)
        started = time.perf_counter()
        try:
            status = await client.post(url, data, headers)
        except WebhookError as exc:
            elapsed = time.perf_counter() - started
            return ProbeAnswer(url, None, elapsed, str(exc)[:200], signature)
        finally:
            await client.close()
        return ProbeAnswer(url, status, time.perf_counter() - started, None, signature)
