"""An account's allow-list and send rate, set with the CLI, against a real `smsgate run`.

Every surface (native API, SMS Partner, Agile Telecom, SMSC, SMPP) refuses a client
connecting from 127.0.0.2 when only 127.0.0.1 is allowed, each with its own code, and
serves one from 127.0.0.1. One send rate is shared by all of them: a message sent over
SMPP uses up what HTTP may send.
"""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
import smpplib.client
import smpplib.exceptions

from tests.e2e.gateway import GatewayProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

ALLOWED, OTHER = "127.0.0.1", "127.0.0.2"
TO = "+393331234567"
ESME_RBINDFAIL = 0x0D
ESME_RTHROTTLED = 0x58


def http_from(gateway: GatewayProcess, source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(transport=transport, base_url=gateway.base, timeout=10)


def smpp_from(gateway: GatewayProcess, source: str) -> Any:
    client = smpplib.client.Client(
        "127.0.0.1", gateway.smpp_port, timeout=5, allow_unknown_opt_params=True
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.bind((source, 0))
    client._socket = sock  # smpplib connects the socket it finds there
    client.connect()
    return client


def bind_status(gateway: GatewayProcess, source: str, name: str, password: str) -> int:
    client = smpp_from(gateway, source)
    try:
        client.bind_transmitter(system_id=name, password=password)
        client.unbind()
        return 0
    except smpplib.exceptions.PDUError as exc:
        return int(exc.args[1])
    finally:
        client.disconnect()


def create(gateway: GatewayProcess, name: str, password: str) -> str:
    created = gateway.cli("account", "create", name, "--credit", "10", "--password", password)
    key: str = created["api_key"]
    return key


def test_every_surface_refuses_an_address_off_the_allow_list(gateway: GatewayProcess) -> None:
    key = create(gateway, "alice", "alicepw1")
    shown = gateway.cli("account", "allow-ip", "alice", ALLOWED)
    assert shown["allowed_ips"] == [ALLOWED]
    bearer = {"Authorization": f"Bearer {key}"}
    agile = {"X-Api-Key": key}
    smsc = {"apikey": key, "fmt": "3"}

    with http_from(gateway, OTHER) as http:
        native = http.get("/api/v1/balance", headers=bearer)
        assert native.status_code == 403
        assert native.json()["error"] == {
            "code": "forbidden",
            "message": f"source IP {OTHER} is not allowed",
            "field": "source_ip",
        }
        sent = http.post(
            "/api/v1/messages", headers=bearer, json={"to": TO, "from": "S", "text": "x"}
        )
        assert sent.status_code == 403
        partner = http.get("/v1/me", params={"apiKey": key})
        assert (partner.status_code, partner.json()["code"]) == (200, 96)
        partner_send = http.post(
            "/v1/send", json={"apiKey": key, "phoneNumbers": TO, "message": "x"}
        )
        assert (partner_send.json()["success"], partner_send.json()["code"]) == (False, 96)
        credit = http.get("/services/sms/credit", headers=agile)
        assert (credit.status_code, credit.json()["code"]) == (403, 100)
        body = {"messages": [{"destinations": [TO], "sender": "Shop", "body": "x"}]}
        agile_send = http.post("/services/sms/send", headers=agile, json=body)
        assert (agile_send.status_code, agile_send.json()["code"]) == (403, 100)
        balance = http.get("/sys/balance.php", params=smsc)
        assert balance.json()["error_code"] == 2
        smsc_send = http.get("/sys/send.php", params={**smsc, "phones": TO, "mes": "x"})
        assert smsc_send.json()["error_code"] == 2
    assert bind_status(gateway, OTHER, "alice", "alicepw1") == ESME_RBINDFAIL

    with http_from(gateway, ALLOWED) as http:
        assert http.get("/api/v1/balance", headers=bearer).json()["balance"] == "10.00"
        assert http.get("/api/v1/messages", headers=bearer).json()["messages"] == []
        assert http.get("/v1/me", params={"apiKey": key}).json()["success"] is True
        assert http.get("/services/sms/credit", headers=agile).json() == {"credit": 10}
        assert "balance" in http.get("/sys/balance.php", params=smsc).json()
    assert bind_status(gateway, ALLOWED, "alice", "alicepw1") == 0


def test_one_send_rate_is_shared_by_smpp_and_every_http_surface(gateway: GatewayProcess) -> None:
    key = create(gateway, "bob", "bobpw123")
    # A burst of one message, then one every 100 seconds.
    assert gateway.cli("account", "rate", "bob", "0.01")["send_rate"] == 0.01
    client = smpp_from(gateway, ALLOWED)
    statuses: list[int] = []
    client.set_message_sent_handler(lambda pdu: statuses.append(pdu.status))
    client.set_error_pdu_handler(lambda pdu: None)
    try:
        client.bind_transmitter(system_id="bob", password="bobpw123")
        for _ in range(2):
            client.send_message(source_addr="Shop", destination_addr=TO[1:], short_message=b"x")
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()
    assert statuses == [0, ESME_RTHROTTLED]

    with http_from(gateway, ALLOWED) as http:
        bearer = {"Authorization": f"Bearer {key}"}
        native = http.post(
            "/api/v1/messages", headers=bearer, json={"to": TO, "from": "S", "text": "x"}
        )
        assert native.status_code == 429
        assert native.json()["error"]["code"] == "rate_limited"
        assert int(native.headers["Retry-After"]) >= 1
        body = {"messages": [{"destinations": [TO], "sender": "Shop", "body": "x"}]}
        agile = http.post("/services/sms/send", headers={"X-Api-Key": key}, json=body)
        assert (agile.status_code, agile.json()["code"]) == (429, 8)
        partner = http.post("/v1/send", json={"apiKey": key, "phoneNumbers": TO, "message": "x"})
        assert (partner.status_code, partner.json()["code"]) == (429, 429)
        smsc = http.get(
            "/sys/send.php", params={"apikey": key, "fmt": "3", "phones": TO, "mes": "x"}
        )
        assert smsc.json()["error_code"] == 9
        assert len(http.get("/api/v1/messages", headers=bearer).json()["messages"]) == 1
    shown = gateway.cli("account", "show", "bob")
    assert (shown["send_rate"], shown["balance"]) == (0.01, "9.95")
