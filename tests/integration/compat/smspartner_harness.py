"""The SMS Partner dialect's test gateway: the real composition root on a real SQLite file.

Alice (10.00 EUR, French numbers by default) has a funded sub-account `bob` and an
empty one `zed`; `eve` is another customer with her own sub-account `eves`. Prices
cover +33 and +39 only, so any other destination has no price.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from tests.integration.compat.dialect_harness import DialectGateway
from tests.integration.gateway import http_client, open_gateway

PRICE = 50_000
ALICE_CREDIT = 10_000_000
BOB_CREDIT = 1_000_000

# Values that differ on every run, replaced before comparing with a golden file.
_VOLATILE_KEYS = frozenset({"message_id", "messageId", "date", "createdAt", "apiKey"})
# Message and batch ids are 25 hex digits (services.clock.TimeOrderedIds).
_ID = re.compile(r"<!\[CDATA\[[0-9a-f]{25}\]\]>")


@dataclass
class Partner(DialectGateway):
    eve_key: str

    async def own_rows(self, account: Account) -> list[tuple[int, str]]:
        return [(e.account_id, e.number) for e in await self.gateway.stop_list.entries(account)]


@asynccontextmanager
async def partner_gateway(data_dir: Path) -> AsyncIterator[tuple[Gateway, Partner | None]]:
    """The gateway with the accounts above; yields (gateway, None) before the client exists."""
    async with open_gateway(data_dir) as gateway:
        accounts = gateway.accounts
        await accounts.set_price(None, "33", PRICE)
        await accounts.set_price(None, "39", PRICE)
        alice = await accounts.create("alice", credit=ALICE_CREDIT, default_country="FR")
        await accounts.create("bob", parent=alice.account, credit=BOB_CREDIT)
        await accounts.create("zed", parent=alice.account)
        eve = await accounts.create("eve", credit=ALICE_CREDIT, default_country="FR")
        await accounts.create("eves", parent=eve.account, credit=BOB_CREDIT)
        async with http_client(gateway.api_context()) as http:
            refreshed = await accounts.get("alice")
            yield gateway, Partner(gateway, http, refreshed, alice.api_key, eve.api_key)


def normalised(body: Any) -> Any:
    """The body with run-dependent values (ids, times, keys) replaced by placeholders."""
    if isinstance(body, dict):
        return {
            k: f"<{k}>" if k in _VOLATILE_KEYS and v is not None else normalised(v)
            for k, v in body.items()
        }
    if isinstance(body, list):
        return [normalised(v) for v in body]
    return body


def normalised_xml(text: str) -> str:
    return _ID.sub("<![CDATA[<id>]]>", text)
