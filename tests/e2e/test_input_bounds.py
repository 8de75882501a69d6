"""Every input has a bound, on a real gateway on each backend: bodies over the limit in
every content type, ids out of range, stored strings too long, unsupported media types
and methods; each refused with the surface's own code, changing nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e

MAX_BODY = 4096
GATEWAY_SETTINGS = {"max_body_bytes": str(MAX_BODY)}
TOO_BIG = "x" * (MAX_BODY + 100)


def _multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body of plain fields, and its Content-Type."""
    request = httpx.Request("POST", "http://x/", files={k: (None, v) for k, v in fields.items()})
    return request.read(), request.headers["content-type"]


def _chunked(body: bytes) -> Iterator[bytes]:
    """The body in 1 KiB chunks: httpx sends it without a Content-Length."""
    for start in range(0, len(body), 1024):
        yield body[start : start + 1024]


@pytest.fixture(scope="module")
def http(gateway_on: GatewayProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_on.base, timeout=20) as client:
        yield client


@pytest.fixture(scope="module")
def key(gateway_on: GatewayProcess) -> str:
    assert gateway_on.demo_key is not None
    return gateway_on.demo_key


def _stored(http: httpx.Client, key: str) -> tuple[list[str], str]:
    """The demo account's message ids and balance: what a refused request must not change."""
    auth = {"Authorization": f"Bearer {key}"}
    messages = http.get("/api/v1/messages", params={"limit": 1000}, headers=auth).json()
    balance = http.get("/api/v1/balance", headers=auth).json()["balance"]
    return [m["id"] for m in messages["messages"]], balance


def _send(
    http: httpx.Client, path: str, body: bytes, content_type: str, *, chunked: bool, key: str
) -> httpx.Response:
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {key}", "X-Api-Key": key}
    content: bytes | Iterator[bytes] = _chunked(body) if chunked else body
    return http.post(path, content=content, headers=headers)


def _json(fields: dict[str, Any]) -> bytes:
    return httpx.Request("POST", "http://x/", json=fields).read()


def _form(fields: dict[str, str]) -> bytes:
    return httpx.Request("POST", "http://x/", data=fields).read()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _bodies(key: str) -> dict[str, tuple[str, bytes, str]]:
    """Oversize bodies, by name: (path, body, Content-Type)."""
    multipart, multipart_type = _multipart({"apiKey": key, "message": TOO_BIG, "sender": "x"})
    # valid but for its size: parsed, this would quote a message (cost=1)
    smsc_fields = {"apikey": key, "phones": "+393331234567", "mes": "hi", "cost": "1"}
    smsc_multipart, smsc_type = _multipart({**smsc_fields, "pad": TOO_BIG})
    native = {"to": "+393331234567", "from": "smsgate", "text": TOO_BIG}
    agile = {"messages": [{"destinations": ["+393331234567"], "sender": "x", "body": TOO_BIG}]}
    return {
        "native json": ("/api/v1/messages", _json(native), JSON),
        "native quote": ("/api/v1/quote", _json(native), JSON),
        "agile json": ("/services/sms/send", _json(agile), JSON),
        "smspartner json": ("/v1/send", _json({"apiKey": key, "message": TOO_BIG}), JSON),
        "smspartner form": ("/v1/send", _form({"apiKey": key, "message": TOO_BIG}), FORM),
        "smspartner multipart": ("/v1/send", multipart, multipart_type),
        "smsc form": ("/sys/send.php", _form({"apikey": key, "mes": TOO_BIG}), FORM),
        "smsc multipart": ("/sys/send.php", smsc_multipart, smsc_type),
    }


def _refused_as_too_large(name: str, response: httpx.Response) -> None:
    """The surface's own answer to a body over the limit."""
    if name.startswith("native"):
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "payload_too_large"
    elif name.startswith("agile"):
        assert response.status_code == 413, response.text
        assert response.json() == {
            "status": "error",
            "message": f"request body is larger than {MAX_BODY} bytes",
            "code": 14,
        }
    elif name.startswith("smspartner"):
        body = response.json()
        assert (body["success"], body["code"]) == (False, 90), body
    else:
        # SMSC: error 1 (parameters), in its text format, HTTP 200 as SMSC answers errors.
        assert response.status_code == 200
        assert response.text == "ERROR = 1 (parameters error)"


NAMES = list(_bodies("k"))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("name", NAMES)
def test_a_body_over_the_limit_is_refused_unparsed(
    http: httpx.Client, key: str, name: str, chunked: bool
) -> None:
    path, body, content_type = _bodies(key)[name]
    assert len(body) > MAX_BODY
    before = _stored(http, key)
    response = _send(http, path, body, content_type, chunked=chunked, key=key)
    _refused_as_too_large(name, response)
    assert _stored(http, key) == before


def test_a_multipart_body_within_the_limit_is_read(http: httpx.Client, key: str) -> None:
    body, content_type = _multipart({"apiKey": key})
    response = http.post("/v1/me", content=body, headers={"Content-Type": content_type})
    assert response.json()["success"] is True
    body, content_type = _multipart({"apikey": key, "cur": "1"})
    response = http.post("/sys/balance.php", content=body, headers={"Content-Type": content_type})
    assert response.text.endswith(" EUR"), response.text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/send", lambda r: r.json()["code"] == 90),
        ("/sys/send.php", lambda r: r.text == "ERROR = 1 (parameters error)"),
    ],
)
def test_a_malformed_multipart_body_gets_the_dialects_own_error(
    http: httpx.Client, key: str, path: str, expected: Any
) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=zz"}
    for body in (b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--\r\n", b"garbage"):
        response = http.post(path, content=body, headers=headers)
        assert expected(response), response.text
    # a file part is not a parameter: refused, not spooled
    text_file = ("a.txt", b"hello", "text/plain")
    response = http.post(path, data={"apiKey": key, "apikey": key}, files={"message": text_file})
    assert expected(response), response.text


def test_json_nested_too_deeply_is_malformed(http: httpx.Client, key: str) -> None:
    deep = b'{"apiKey": "' + key.encode() + b'", "x": ' + b"[" * 3000 + b"}"
    auth = {"Authorization": f"Bearer {key}", "X-Api-Key": key, "Content-Type": JSON}
    partner = http.post("/v1/send", content=deep, headers=auth)
    assert (partner.json()["success"], partner.json()["code"]) == (False, 90), partner.text
    agile = http.post("/services/sms/send", content=deep, headers=auth)
    assert (agile.status_code, agile.json()["code"]) == (400, 14), agile.text
    native = http.post("/api/v1/messages", content=b'{"to": ' + b"[" * 3000, headers=auth)
    assert native.status_code == 400, native.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/messages", {"to": "+393331234567", "from": "smsgate", "text": "hi"}),
        ("/api/v1/quote", {"to": "+393331234567", "from": "smsgate", "text": "hi"}),
        ("/api/v1/subaccounts", {"name": "formsub"}),
        ("/api/v1/subaccounts/1/credit", {"amount": "1"}),
    ],
)
@pytest.mark.parametrize("content_type", [FORM, "multipart/form-data; boundary=zz", "text/plain"])
def test_a_native_body_that_is_not_json_is_415(
    http: httpx.Client, key: str, path: str, body: dict[str, str], content_type: str
) -> None:
    before = _stored(http, key)
    response = http.post(
        path,
        content=_json(body),
        headers={"Content-Type": content_type, "Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert "application/json" in error["message"]
    assert _stored(http, key) == before


def test_json_with_a_charset_and_no_content_type_are_read(http: httpx.Client, key: str) -> None:
    body = _json({"to": "+393331234567", "from": "smsgate", "text": "hi"})
    auth = {"Authorization": f"Bearer {key}"}
    for headers in ({"Content-Type": "application/json; charset=utf-8"}, {}):
        response = http.post("/api/v1/quote", content=body, headers={**auth, **headers})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "account_id", ["0", "2147483648", "9223372036854775808", "18446744073709551616", "9" * 40]
)
def test_a_subaccount_id_out_of_range_is_404(http: httpx.Client, key: str, account_id: str) -> None:
    response = http.post(
        f"/api/v1/subaccounts/{account_id}/credit",
        json={"amount": "1"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("value", ["²", "١", "9" * 5000, "99999999999999999999"])
def test_numbers_out_of_range_in_dialect_parameters(
    gateway_on: GatewayProcess, http: httpx.Client, key: str, value: str
) -> None:
    listed = http.get("/v1/subaccount/list", params={"apiKey": key, "page": value})
    assert listed.json()["success"] is True, listed.text
    sms = {"apikey": key, "phones": "+393331234567", "mes": "hi", "cost": "1"}
    quoted = http.get("/sys/send.php", params={**sms, "id": value})
    assert quoted.status_code == 200
    assert quoted.text.startswith("ERROR = 1") or quoted.text.startswith("0.05"), quoted.text
    deleted = http.get("/sys/senders.php", params={"apikey": key, "del": "1", "id": value})
    assert deleted.text.startswith("ERROR = "), deleted.text
    assert "ERROR = 5" not in deleted.text
    for name, raw in (("time", "+" + value), ("time", "0" + value), ("valid", value)):
        timed = http.get("/sys/send.php", params={**sms, name: raw})
        # send.php's own numbers: 1 parameters, 5 wrong date format; 200 a quote
        assert timed.status_code == 200, timed.text
        assert timed.text.startswith(("ERROR = 1 ", "ERROR = 5 ", "cost = ")), timed.text
    # SMSC answers an unexpected error with a number too: the log tells it apart.
    assert "unexpected error" not in (gateway_on.data_dir / "gateway.log").read_text()


LONG_URL = "https://example.com/" + "a" * 2030


def test_callback_url_is_bounded_on_every_surface(http: httpx.Client, key: str) -> None:
    assert len(LONG_URL) == 2050
    before = _stored(http, key)
    native = http.post(
        "/api/v1/messages",
        json={"to": "+393331234567", "from": "smsgate", "text": "hi", "callback_url": LONG_URL},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert native.status_code == 400, native.text
    assert native.json()["error"]["field"] == "callback_url"
    partner = http.post(
        "/v1/send",
        json={"apiKey": key, "phoneNumbers": "+393331234567", "message": "hi", "urlDlr": LONG_URL},
    )
    assert (partner.json()["success"], partner.json()["code"]) == (False, 9), partner.text
    agile = http.post(
        "/services/sms/send",
        json={
            "callbackUrl": LONG_URL,
            "messages": [{"destinations": ["+393331234567"], "sender": "smsgate", "body": "hi"}],
        },
        headers={"X-Api-Key": key},
    )
    assert agile.status_code == 400, agile.text
    assert agile.json()["code"] == 14
    assert _stored(http, key) == before
    fits = LONG_URL[:2048]
    accepted = http.post(
        "/api/v1/quote",
        json={"to": "+393331234567", "from": "smsgate", "text": "hi", "callback_url": fits},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/messages", {"GET", "HEAD", "POST"}),
        ("PUT", "/api/v1/quote", {"POST"}),
        ("GET", "/api/v1/subaccounts/1/credit", {"POST"}),
        ("POST", "/api/v1/balance", {"GET", "HEAD"}),
        ("PATCH", "/api/v1/subaccounts", {"GET", "HEAD", "POST"}),
        ("GET", "/v1/send", {"POST"}),
        ("PUT", "/sys/send.php", {"GET", "HEAD", "POST"}),
        ("GET", "/services/sms/send", {"POST"}),
    ],
)
def test_405_names_the_allowed_methods(
    http: httpx.Client, key: str, method: str, path: str, allowed: set[str]
) -> None:
    response = http.request(method, path, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 405, response.text
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
