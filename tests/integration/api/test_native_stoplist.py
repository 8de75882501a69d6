"""The STOP list over the native API: list, add, remove, import and export, on memory and
SQLite; bad input is 400 naming the field and changes nothing, each account sees only its
own list, and a send to a listed number is refused with `stop_listed`."""

from __future__ import annotations

import csv
import io
from typing import Any

from smsgate.services.ports import Store
from smsgate.services.stoplist import StopListStore
from tests.integration.api.conftest import Gateway, make_gateway
from tests.integration.api.test_native_settings import child_of_alice, client_from, settings_path

LIST = "/api/v1/stoplist"
CSV = {"Content-Type": "text/csv"}


async def numbers(gw: Gateway, key: str | None = None, **params: Any) -> list[str]:
    response = await gw.http.get(LIST, params={"limit": 1000, **params}, headers=gw.auth(key))
    assert response.status_code == 200, response.text
    return [e["number"] for e in response.json()["entries"]]


async def test_add_list_and_remove(gw: Gateway) -> None:
    added = await gw.http.post(LIST, json={"number": "333 123 4567"}, headers=gw.auth())
    assert added.status_code == 201
    entry = added.json()
    assert (entry["number"], entry["source"]) == ("+393331234567", "api")
    again = await gw.http.post(LIST, json={"number": "+393331234567"}, headers=gw.auth())
    assert (again.status_code, again.json()) == (200, entry)
    await gw.http.post(LIST, json={"number": "+393337654321"}, headers=gw.auth())
    assert await numbers(gw) == ["+393337654321", "+393331234567"]

    gone = await gw.http.delete(f"{LIST}/%2B393331234567", headers=gw.auth())
    assert (gone.status_code, gone.content) == (204, b"")
    gone = await gw.http.delete(f"{LIST}/+393337654321", headers=gw.auth())
    assert gone.status_code == 204
    assert await numbers(gw) == []

    missing = await gw.http.delete(f"{LIST}/+393337654321", headers=gw.auth())
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "+393337654321 is not on the STOP list",
        "field": "number",
    }


async def test_bad_numbers_are_refused_and_change_nothing(gw: Gateway) -> None:
    await gw.http.post(LIST, json={"number": "+393331234567"}, headers=gw.auth())
    for body in ({"number": "hello"}, {"number": ""}, {"number": 393331234567}, {}):
        refused = await gw.http.post(LIST, json=body, headers=gw.auth())
        assert refused.status_code == 400, body
        error = refused.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_request", "number"), body
    bad_delete = await gw.http.delete(f"{LIST}/hello", headers=gw.auth())
    assert bad_delete.status_code == 400
    assert bad_delete.json()["error"]["field"] == "number"
    for params, field in (({"limit": "0"}, "limit"), ({"cursor": "x"}, "cursor")):
        listed = await gw.http.get(LIST, params=params, headers=gw.auth())
        assert (listed.status_code, listed.json()["error"]["field"]) == (400, field)
    assert await numbers(gw) == ["+393331234567"]


async def test_pages_and_the_source_filter(gw: Gateway) -> None:
    body = "\n".join(f"+3933310000{i:02d}" for i in range(25))
    await gw.http.post(f"{LIST}/import", content=body, headers={**gw.auth(), **CSV})
    await gw.http.post(LIST, json={"number": "+393339999999"}, headers=gw.auth())

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = (await gw.http.get(LIST, params=params, headers=gw.auth())).json()
        seen += [e["number"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[0] == "+393339999999" and len(seen) == len(set(seen)) == 26
    assert await numbers(gw, source="api") == ["+393339999999"]
    assert len(await numbers(gw, source="import")) == 25
    assert await numbers(gw, source="inbound") == []


async def test_import_counts_mixed_lines(gw: Gateway) -> None:
    await gw.http.post(LIST, json={"number": "+393331234567"}, headers=gw.auth())
    body = (
        "number,source\r\n"
        "+393337654321,inbound\r\n"
        "\r\n"
        "3331234567\r\n"
        "not a number\r\n"
        "+393337654321\r\n"
        '"0039 333 000 1111","unterminated\r\n'
        '"+39333\x00",x\r\n'
    )
    response = await gw.http.post(f"{LIST}/import", content=body, headers={**gw.auth(), **CSV})
    assert response.status_code == 200
    assert response.json() == {
        "added": 2,
        "already_present": 2,
        "invalid": 2,
        "invalid_lines": [
            {"line": 5, "value": "not a number", "reason": "not a valid phone number"},
            {
                "line": 8,
                "value": "+39333\x00",
                "reason": "contains characters that cannot be stored",
            },
        ],
    }
    assert sorted(await numbers(gw)) == ["+393330001111", "+393331234567", "+393337654321"]
    # Imported together: the same time, then the number, descending.
    assert await numbers(gw, source="import") == ["+393337654321", "+393330001111"]


async def test_import_refusals_change_nothing(gw: Gateway) -> None:
    refusals: list[tuple[str, bytes, int, str]] = [
        ("application/json", b'["+393331234567"]', 415, "unsupported_media_type"),
        ("text/csv", "+393331234567\n".encode("utf-16"), 400, "invalid_request"),
    ]
    for media_type, body, status, code in refusals:
        headers = {**gw.auth(), "Content-Type": media_type}
        response = await gw.http.post(f"{LIST}/import", content=body, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert await numbers(gw) == []


async def test_the_body_limit_applies_to_an_import(store: Store) -> None:
    small = await make_gateway(store, max_body_bytes=512)
    async with small.http:
        body = b"+393331234567\n" * 100
        response = await small.http.post(
            f"{LIST}/import", content=body, headers={**small.auth(), **CSV}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
        assert await numbers(small) == []


async def test_export_then_import_into_another_account(gw: Gateway) -> None:
    body = "+393331000001\n+393331000002\n+393331000003\n"
    await gw.http.post(f"{LIST}/import", content=body, headers={**gw.auth(), **CSV})
    await gw.http.post(LIST, json={"number": "+393339999999"}, headers=gw.auth())

    exported = await gw.http.get(f"{LIST}/export", headers=gw.auth())
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["number", "source", "created_at"]
    assert [r[:2] for r in rows[1:]] == [
        ["+393339999999", "api"],
        ["+393331000003", "import"],
        ["+393331000002", "import"],
        ["+393331000001", "import"],
    ]
    assert all(r[2].endswith("+00:00") and "T" in r[2] for r in rows[1:])
    only_api = await gw.http.get(f"{LIST}/export", params={"source": "api"}, headers=gw.auth())
    assert only_api.text.splitlines()[1:] == [",".join(rows[1])]

    _, bob_key = await gw.new_account("bob")
    imported = await gw.http.post(
        f"{LIST}/import", content=exported.content, headers={**gw.auth(bob_key), **CSV}
    )
    assert imported.json() == {"added": 4, "already_present": 0, "invalid": 0, "invalid_lines": []}
    assert sorted(await numbers(gw, bob_key)) == sorted(await numbers(gw))


async def test_a_send_to_an_imported_number_is_refused(gw: Gateway) -> None:
    await gw.http.post(f"{LIST}/import", content="+393331234567\n", headers={**gw.auth(), **CSV})
    before = await gw.snapshot()
    send = {"to": ["+393337654321", "+393331234567"], "from": "Shop", "text": "hi"}
    refused = await gw.http.post("/api/v1/messages", json=send, headers=gw.auth())
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "stop_listed"
    assert await gw.snapshot() == before

    await gw.http.delete(f"{LIST}/+393331234567", headers=gw.auth())
    sent = await gw.http.post("/api/v1/messages", json=send, headers=gw.auth())
    assert sent.status_code == 202


async def test_each_account_manages_only_its_own_list(gw: Gateway) -> None:
    _, child_key = await child_of_alice(gw)
    _, bob_key = await gw.new_account("bob")
    await gw.http.post(LIST, json={"number": "+393331234567"}, headers=gw.auth())
    await gw.http.post(LIST, json={"number": "+393337654321"}, headers=gw.auth(child_key))

    assert await numbers(gw) == ["+393331234567"]
    assert await numbers(gw, child_key) == ["+393337654321"]
    assert await numbers(gw, bob_key) == []
    exported = await gw.http.get(f"{LIST}/export", headers=gw.auth(bob_key))
    assert exported.text == "number,source,created_at\n"
    for key in (bob_key, child_key):
        other = await gw.http.delete(f"{LIST}/+393331234567", headers=gw.auth(key))
        assert other.status_code == 404
    assert await numbers(gw) == ["+393331234567"]
    # The child's sends are checked against its own list only.
    send = {"to": "+393331234567", "from": "Shop", "text": "hi"}
    assert (
        await gw.http.post("/api/v1/messages", json=send, headers=gw.auth(child_key))
    ).status_code == 202


async def test_the_shared_auth_path_guards_every_endpoint(gw: Gateway) -> None:
    child, key = await child_of_alice(gw)
    await gw.http.patch(
        settings_path(child), json={"allowed_ips": ["192.0.2.0/24"]}, headers=gw.auth()
    )
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", LIST, {}),
        ("POST", LIST, {"json": {"number": "+393331234567"}}),
        ("DELETE", f"{LIST}/+393331234567", {}),
        ("POST", f"{LIST}/import", {"content": "+393331234567\n", "headers": CSV}),
        ("GET", f"{LIST}/export", {}),
    ]
    for method, path, extra in calls:
        anonymous = await gw.http.request(method, path, **extra)
        assert anonymous.status_code == 401, path
        headers = {**extra.pop("headers", {}), **gw.auth(key)}
        async with client_from(gw, "198.51.100.7") as outside:
            refused = await outside.request(method, path, headers=headers, **extra)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["field"] == "source_ip"
    assert isinstance(gw.store, StopListStore)
    assert await gw.store.stop_entries(child.id) == []
