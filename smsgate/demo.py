"""The demo account `make run` creates on an empty database: credit, a random password,
a default price, the short code 3000, and the banner that shows how to use them."""

from __future__ import annotations

import contextlib
import secrets
import string
from collections.abc import Callable

from smsgate.app import Gateway
from smsgate.config import Settings
from smsgate.connectors.simulated_operator import AUTO_REPLY_NUMBER
from smsgate.core.accounts import Account
from smsgate.core.errors import Conflict
from smsgate.core.money import MICRO, format_amount

DEMO_ACCOUNT = "demo"
DEMO_CREDIT = 10 * MICRO
DEMO_PASSWORD_ALPHABET = string.ascii_letters + string.digits
DEMO_PRICE = 50_000
DEMO_NUMBER = "3000"  # a shared short code whose default account is the demo account


async def ensure_demo(gateway: Gateway, say: Callable[[str], None]) -> None:
    """On a database without accounts: a demo account with credit, a random password, a
    default price, and how to use it (the key and password are shown this once)."""
    if await gateway.store.accounts():
        return
    await gateway.accounts.set_price(None, "*", DEMO_PRICE)
    # 8 letters and digits (47 bits): SMPP carries no more, and no shell reads it as an option
    password = "".join(secrets.choice(DEMO_PASSWORD_ALPHABET) for _ in range(8))
    created = await gateway.accounts.create(DEMO_ACCOUNT, credit=DEMO_CREDIT, password=password)
    with contextlib.suppress(Conflict):  # the number is someone else's already
        await gateway.numbers.add(DEMO_NUMBER, default_account=created.account)
    say(demo_banner(gateway.settings, created.account, created.api_key, password))


def demo_banner(settings: Settings, account: Account, api_key: str, password: str) -> str:
    base = f"http://{settings.http_host}:{settings.http_port}"
    auth = f"-H 'Authorization: Bearer {api_key}'"
    return f"""
smsgate: created the demo account {account.name!r} with {format_amount(account.balance)} \
{account.currency} credit; every part costs {format_amount(DEMO_PRICE)} by default.
  API key (shown once):  {api_key}
  password (shown once): {password}   (HTTP Basic, SMPP and the dialects, as {account.name!r})

Log in to the web portal as {account.name!r} with that password: {base}/

Send a message:
  curl -s -X POST {base}/api/v1/messages -H 'Authorization: Bearer {api_key}' \\
       -H 'Content-Type: application/json' \\
       -d '{{"to": "+393331234567", "from": "smsgate", "text": "Hello from smsgate"}}'

Read its status (use the id from the answer):
  curl -s {base}/api/v1/messages/MESSAGE_ID -H 'Authorization: Bearer {api_key}'

Two-way SMS: MO to the short code {DEMO_NUMBER} go to {account.name!r}. \
Have the simulated operator deliver one, then read it:
  .venv/bin/smsgate simulator mo --from +393331234567 --to {DEMO_NUMBER} --text "INFO"
  curl -s {base}/api/v1/inbound {auth}
The test number {AUTO_REPLY_NUMBER} answers every message with "Auto-reply: <its text>":
  curl -s -X POST {base}/api/v1/messages {auth} -H 'Content-Type: application/json' \\
       -d '{{"to": "{AUTO_REPLY_NUMBER}", "from": "{DEMO_NUMBER}", "text": "Hello"}}'
"""
