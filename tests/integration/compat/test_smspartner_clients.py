"""SMS Partner's own sample clients, run against smsgate on a real socket.

The Python snippets are the seed pages' code as published; only the base URL, the API
key and the sub-account placeholder are replaced, as a migrating customer would. The
curl commands run as the pages show them. The server is uvicorn on 127.0.0.1 serving
the real composition root over SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from smsgate.core.money import MICRO
from tests.integration.compat.smspartner_harness import Partner, partner_gateway
from tests.integration.gateway import served_http

SEED_URL = '"https://api.smspartner.fr/v1"'
SEED_KEY = '"MY API KEY"'

# seed 001 (bulk-status page), Python sample, verbatim.
GET_DELIVERY = """\
# std
import logging
import json
from collections import OrderedDict

# 3p
import requests

API_KEY = "MY API KEY"
URL = "https://api.smspartner.fr/v1"

class SMSPartner():
    def get_delivery(self,message_id):
        url = URL + "/bulk-status?apiKey=" + API_KEY + "&messageId=" + message_id
        r = requests.get(url)
        r_json = r.json()
        if r_json.get("success") == True:
            print(r_json)
            status = True
        else:
            print(r_json)
            status = False
        return status
"""

# seed 002 (sub-account credit page), Python sample, verbatim.
ADD_CREDIT = """\
# std
import logging
import json
from collections import OrderedDict

# 3p
import requests

API_KEY = "MY API KEY"
URL = "https://api.smspartner.fr/v1"

class SMSPartner():
    def add_credit(self,creditToAdd,tokenSubaccount):
        data = OrderedDict([
            ("apiKey", API_KEY),
            ("credit",creditToAdd),
            ("tokenSubaccount",tokenSubaccount)
        ])
        url = URL + "/subaccount/credit/add"
        r = requests.post(url, data=json.dumps(data), verify=False)
        r_json = r.json()
        if r_json.get("success") == True:
            print(r_json)
            status = True
        else:
            print(r_json)
            status = False
        return status
"""


@dataclass
class Served:
    partner: Partner
    base: str

    def client(self, source: str) -> Any:
        """The sample's SMSPartner class, pointed at this server with Alice's key."""
        code = source.replace(SEED_URL, repr(self.base)).replace(SEED_KEY, repr(self.partner.key))
        namespace: dict[str, Any] = {}
        exec(compile(code, "<seed sample>", "exec"), namespace)
        return namespace["SMSPartner"]()


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with partner_gateway(tmp_path) as (gateway, partner):
        assert partner is not None
        async with served_http(gateway.api_context()) as base:
            yield Served(partner, f"{base}/v1")


async def _printed(call: Callable[[], bool]) -> tuple[bool, str]:
    """Run a blocking sample call in a thread; its return value and what it printed."""
    out = io.StringIO()

    def run() -> bool:
        with contextlib.redirect_stdout(out):
            return call()

    result = await asyncio.to_thread(run)
    return result, out.getvalue()


async def _curl(*args: str) -> Any:
    done = await asyncio.to_thread(
        subprocess.run, ["curl", *args], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(done.stdout, object_pairs_hook=list)


async def test_python_get_delivery_sample(served: Served) -> None:
    partner = served.partner
    sent = await partner.http.post(
        "/v1/send",
        json={"apiKey": partner.key, "phoneNumbers": "0612345678,0698765432", "message": "Hi"},
    )
    message_id = sent.json()["message_id"]
    sample = served.client(GET_DELIVERY)

    ok, printed = await _printed(lambda: sample.get_delivery(message_id))
    assert ok is True
    assert "'StatutResponse_List'" in printed and "'+33612345678'" in printed

    missing, printed = await _printed(lambda: sample.get_delivery("300"))
    assert missing is False and "'code': 4" in printed


async def test_python_add_credit_sample(served: Served) -> None:
    partner = served.partner
    before = await partner.balance("bob")
    sample = served.client(ADD_CREDIT)

    ok, printed = await _printed(lambda: sample.add_credit("2", "bob"))
    assert ok is True and "'subaccountCredit': 3" in printed
    assert await partner.balance("bob") == before + 2 * MICRO

    snapshot = await partner.snapshot()
    refused, printed = await _printed(lambda: sample.add_credit("100", "bob"))
    assert refused is False and "'code': 8" in printed
    assert await partner.snapshot() == snapshot


async def test_curl_bulk_status_command(served: Served) -> None:
    partner = served.partner
    sent = await partner.http.post(
        "/v1/send", json={"apiKey": partner.key, "phoneNumbers": "0612345678", "message": "Hi"}
    )
    message_id = sent.json()["message_id"]
    url = f"{served.base}/bulk-status?apiKey={partner.key}&messageId={message_id}"
    body = await _curl("-H", "Content-Type: application/json", "-X", "GET", url)
    # The documented keys, in the documented order (XML depends on it).
    assert [key for key, _ in body] == ["success", "code", "message_id", "StatutResponse_List"]
    [item] = dict(body)["StatutResponse_List"]
    assert [key for key, _ in item] == ["phoneNumber", "status", "stopSMS", "date"]
    assert dict(item)["status"] == "Waiting" and dict(item)["stopSMS"] is False


async def test_curl_credit_add_command(served: Served) -> None:
    partner = served.partner
    await partner.gateway.accounts.topup(partner.alice, 10 * MICRO)
    data = json.dumps({"apiKey": partner.key, "credit": "10", "tokenSubaccount": "bob"})
    url = f"{served.base}/subaccount/credit/add"
    body = await _curl("-H", "Content-Type: application/json", "-X", "POST", "-d", data, url)
    assert body == [
        ("success", True),
        ("code", 200),
        ("credit", 9),
        ("subaccountCredit", 11),
        ("currency", "EUR"),
    ]


async def test_php_style_json_sent_as_a_form(served: Served) -> None:
    """PHP's CURLOPT_POSTFIELDS with json_encode(): a JSON body under a form Content-Type."""
    partner = served.partner
    data = json.dumps({"apiKey": partner.key, "credit": "1", "tokenSubaccount": "bob"})
    body = await _curl("-X", "POST", "-d", data, f"{served.base}/subaccount/credit/remove")
    assert dict(body)["success"] is True and dict(body)["subaccountCredit"] == 0


async def test_xml_bulk_status_has_the_seed_shape(served: Served) -> None:
    partner = served.partner
    sent = await partner.http.post(
        "/v1/send", json={"apiKey": partner.key, "phoneNumbers": "0612345678", "message": "Hi"}
    )
    message_id = sent.json()["message_id"]
    done = await asyncio.to_thread(
        requests.get,
        f"{served.base}/bulk-status",
        params={"apiKey": partner.key, "messageId": message_id, "_format": "xml"},
    )
    assert done.headers["content-type"] == "application/xml"
    [message] = await partner.messages()
    assert done.text == (
        "<?xml version='1.0' encoding='UTF-8'?>\n<result>\n"
        "  <entry>true</entry>\n  <entry>200</entry>\n"
        f"  <entry><![CDATA[{message_id}]]></entry>\n"
        "  <entry>\n    <entry>\n"
        "      <entry><![CDATA[+33612345678]]></entry>\n"
        "      <entry><![CDATA[Waiting]]></entry>\n"
        "      <entry>false</entry>\n"
        f"      <entry><![CDATA[{int(message.created_at)}]]></entry>\n"
        "    </entry>\n  </entry>\n</result>\n"
    )
