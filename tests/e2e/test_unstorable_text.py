"""Text no store holds (U+0000, a lone UTF-16 surrogate) through every way in, on both backends.

A real `smsgate run` on SQLite and on PostgreSQL; httpx for the HTTP APIs and smpplib
for SMPP. Each surface refuses with its own documented code, and nothing is stored or
charged; the same gateway then accepts a clean message, so nothing broke on the way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import smpplib.client

from tests.e2e.gateway import BACKENDS, GatewayProcess, running_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

TO = "+393331234567"
ESME_RSUBMITFAIL = 0x45


@pytest.fixture(params=BACKENDS)
def gateway(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GatewayProcess]:
    admin = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with running_gateway(tmp_path, admin) as process:
        yield process


def _unchanged(gateway: GatewayProcess) -> tuple[str, int]:
    """The demo account's balance and how many messages it has."""
    assert gateway.demo_key is not None
    with gateway.client(gateway.demo_key) as http:
        balance = http.get("/api/v1/balance").json()["balance"]
        listed = http.get("/api/v1/messages", params={"limit": 1000}).json()["messages"]
    return balance, len(listed)


def _native(gateway: GatewayProcess, http: httpx.Client) -> list[tuple[str, int, Any]]:
    seen = []
    for field, value in [
        ("text", "a\x00b"),
        ("reference", "ref\x00"),
        ("callback_url", "http://127.0.0.1/\x00"),
    ]:
        body = {"to": TO, "from": "smsgate", "text": "hello", field: value}
        answer = http.post("/api/v1/messages", json=body)
        seen.append((field, answer.status_code, answer.json()["error"]))
    # A lone surrogate cannot even be JSON that msgspec reads: refused as malformed.
    raw = b'{"to": "+393331234567", "from": "smsgate", "text": "a\\ud800b"}'
    answer = http.post(
        "/api/v1/messages", content=raw, headers={"Content-Type": "application/json"}
    )
    seen.append(("surrogate", answer.status_code, answer.json()["error"]["code"]))
    cursor = http.get("/api/v1/messages", params={"cursor": "a\x00"})
    seen.append(("cursor", cursor.status_code, cursor.json()["error"]))
    seen.append(("id", http.get("/api/v1/messages/ab%00cd").status_code, None))
    batch = http.get("/api/v1/messages", params={"batch_id": "b\x00"})
    seen.append(("batch_id", batch.status_code, batch.json()["messages"]))
    return seen


def test_native_api(gateway: GatewayProcess) -> None:
    before = _unchanged(gateway)
    assert gateway.demo_key is not None
    with gateway.client(gateway.demo_key) as http:
        seen = _native(gateway, http)
    assert [(f, status) for f, status, _ in seen] == [
        ("text", 400),
        ("reference", 400),
        ("callback_url", 400),
        ("surrogate", 400),
        ("cursor", 400),
        ("id", 404),
        ("batch_id", 200),
    ]
    for field, _, error in seen[:3] + seen[4:5]:
        assert (error["code"], error["field"]) == ("invalid_request", field)
        assert "U+0000" in error["message"]
    assert seen[3][2] == "invalid_request"
    assert seen[6][2] == []
    assert _unchanged(gateway) == before
    _clean_send_works(gateway)


def test_sms_partner(gateway: GatewayProcess) -> None:
    before = _unchanged(gateway)
    key = str(gateway.demo_key)
    with httpx.Client(base_url=gateway.base, timeout=10) as http:
        send = http.post(
            "/v1/send",
            json={"apiKey": gateway.demo_key, "phoneNumbers": TO, "message": "a\x00b"},
        )
        form = http.post(
            "/v1/send",
            data={"apiKey": key, "phoneNumbers": TO, "message": "ok", "tag": "t\x00"},
        )
        status = http.get(
            "/v1/bulk-status", params={"apiKey": gateway.demo_key, "messageId": "x\x00"}
        )
    assert send.json()["code"] == 9
    assert send.json()["errors"][0]["elementId"] == "children[message].data"
    assert form.json()["code"] == 9
    assert form.json()["errors"][0]["elementId"] == "children[tag].data"
    assert status.json()["code"] == 4
    assert _unchanged(gateway) == before
    _clean_send_works(gateway)


def test_agile_telecom(gateway: GatewayProcess) -> None:
    before = _unchanged(gateway)
    answers = []
    with httpx.Client(base_url=gateway.base, timeout=10) as http:
        cases: list[dict[str, Any]] = [
            {"body": "a\x00b"},
            # UCS-2 in hex: "A", U+0000, "B"
            {"body": "004100000042", "hexBody": True},
        ]
        for message in cases:
            body = {"messages": [{"destinations": [TO], "sender": "smsgate", **message}]}
            answer = http.post(
                "/services/sms/send", json=body, headers={"X-Api-Key": str(gateway.demo_key)}
            )
            answers.append((answer.status_code, answer.json()["code"]))
    assert answers == [(400, 7), (400, 7)]
    assert _unchanged(gateway) == before
    _clean_send_works(gateway)


def test_smsc(gateway: GatewayProcess) -> None:
    before = _unchanged(gateway)
    auth: dict[str, Any] = {"login": "demo", "psw": gateway.demo_password, "fmt": 3}
    with httpx.Client(base_url=gateway.base, timeout=10) as http:
        send = http.get("/sys/send.php", params={**auth, "phones": TO, "mes": "a\x00b"})
        posted = http.post("/sys/send.php", data={**auth, "phones": TO, "mes": "a\x00b"})
        history = http.get("/sys/get.php", params={**auth, "get_messages": 1, "prev_id": "x\x00"})
    assert send.json()["error_code"] == 1
    assert posted.json()["error_code"] == 1
    assert history.json()["error_code"] == 1
    assert _unchanged(gateway) == before
    _clean_send_works(gateway)


def test_smpp(gateway: GatewayProcess) -> None:
    before = _unchanged(gateway)
    client = smpplib.client.Client(
        "127.0.0.1", gateway.smpp_port, timeout=5, allow_unknown_opt_params=True
    )
    answers: list[Any] = []
    client.set_message_sent_handler(lambda pdu: answers.append(pdu))
    # smpplib raises on a refusal by default; here the refusals are the answers.
    client.error_pdu_handler = answers.append
    client.connect()
    cases: list[dict[str, Any]] = [
        {"data_coding": 8, "short_message": "A\x00B".encode("utf-16-be")},
        {"data_coding": 3, "short_message": b"A\x00B"},
        {"data_coding": 8, "short_message": b"\x00A\xd8\x00\x00B"},
        {"data_coding": 8, "short_message": b"", "message_payload": b"\x00A\x00\x00"},
    ]
    try:
        client.bind_transceiver(system_id="demo", password=gateway.demo_password)
        for case in cases:
            client.send_message(
                source_addr="smsgate",
                source_addr_ton=5,
                dest_addr_ton=1,
                destination_addr=TO[1:],
                **case,
            )
        deadline = time.monotonic() + 30
        while len(answers) < len(cases):
            assert time.monotonic() < deadline, f"{len(answers)} answers"
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()
    assert [pdu.status for pdu in answers] == [ESME_RSUBMITFAIL] * len(cases)
    assert _unchanged(gateway) == before
    _clean_send_works(gateway)


def _clean_send_works(gateway: GatewayProcess) -> None:
    assert gateway.demo_key is not None
    with gateway.client(gateway.demo_key) as http:
        sent = http.post("/api/v1/messages", json={"to": TO, "from": "smsgate", "text": "hi"})
    assert sent.status_code == 202, sent.text
