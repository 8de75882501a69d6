"""The STOP list page on the real gateway: numbers added, searched for, removed, paged
and filtered by source; a CSV file imported as a multipart upload (counts and refused
lines reported; a file too large, not UTF-8 or without its CSRF token adds nothing); the
export streams every entry and no cell a spreadsheet would run; another account's
number is not found and a form without its CSRF token is 403."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.web.portal import MAX_UPLOAD_BYTES
from tests.integration.web.conftest import Visitor

pytestmark = pytest.mark.timeout(60)


async def listed(gateway: Gateway, account: Account) -> set[str]:
    return {e.number for e in await gateway.stop_list.entries(account)}


async def upload(visitor: Visitor, content: bytes, *, csrf: str | None = None) -> httpx.Response:
    return await visitor.http.post(
        "/portal/stoplist/import",
        data={"csrf": visitor.csrf if csrf is None else csrf},
        files={"file": ("stop.csv", content, "text/csv")},
    )


async def test_a_number_is_added_searched_for_and_removed(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    empty = await visitor.get("/portal/stoplist")
    assert empty.status_code == 200 and "No numbers." in empty.text
    added = await visitor.post("/portal/stoplist", {"number": "333 123 4567"})
    assert added.status_code == 303 and added.headers["location"] == "/portal/stoplist"
    [entry] = await gateway.stop_list.entries(alice)
    assert (entry.number, entry.source) == ("+393331234567", "portal")
    page = await visitor.get("/portal/stoplist")
    assert "<td>+393331234567</td><td>portal</td>" in page.text

    found = await visitor.get("/portal/stoplist", q="3331234567")
    assert "<strong>+393331234567</strong> is on the STOP list." in found.text
    missing = await visitor.get("/portal/stoplist", q="+393339999999")
    assert "<strong>+393339999999</strong> is not on the STOP list." in missing.text
    bad = await visitor.get("/portal/stoplist", q="not a number")
    assert bad.status_code == 400 and 'id="stop-error"' in bad.text

    removed = await visitor.post("/portal/stoplist/remove", {"number": "+393331234567"})
    assert removed.status_code == 303
    assert await listed(gateway, alice) == set()
    again = await visitor.post("/portal/stoplist/remove", {"number": "+393331234567"})
    assert again.status_code == 404


@pytest.mark.parametrize("number", ["", "abc", "+1", "3" * 65])
async def test_a_bad_number_is_refused_and_nothing_added(
    gateway: Gateway, visitor: Visitor, alice: Account, number: str
) -> None:
    await visitor.log_in()
    await visitor.get("/portal/stoplist")
    refused = await visitor.post("/portal/stoplist", {"number": number})
    assert refused.status_code == 400 and 'id="stop-error"' in refused.text
    assert await listed(gateway, alice) == set()


async def test_the_list_pages_newest_first_and_filters_by_source(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    numbers = [f"+39333100{n:04d}" for n in range(110)]
    await gateway.stop_list.import_numbers(alice, numbers)
    await gateway.stop_list.add(alice, "+393339999999", source="inbound")
    await visitor.log_in()
    seen: list[str] = []
    link = "/portal/stoplist"
    pages = 0
    while link:
        page = await visitor.get(link.replace("&amp;", "&"))
        assert page.status_code == 200
        seen += re.findall(r"<td>(\+\d+)</td>", page.text)
        pages += 1
        after = re.search(r'href="([^"]+)" rel="next"', page.text)
        link = after.group(1) if after else ""
    assert pages == 3 and len(seen) == 111 and set(seen) == {*numbers, "+393339999999"}
    only = await visitor.get("/portal/stoplist", source="inbound")
    assert re.findall(r"<td>(\+\d+)</td>", only.text) == ["+393339999999"]
    assert (await visitor.get("/portal/stoplist", cursor="nope")).status_code == 400
    assert (await visitor.get("/portal/stoplist", source="Bad!")).status_code == 400


async def test_a_csv_upload_adds_the_valid_numbers_and_reports_the_rest(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await gateway.stop_list.add(alice, "+393330000001")
    await visitor.log_in()
    await visitor.get("/portal/stoplist")
    content = "\ufeffnumber\n+393330000001\n3330000002,a note\n\nnonsense\n3330000002\n"
    done = await upload(visitor, content.encode())
    assert done.status_code == 200
    assert 'id="import-added">1<' in done.text
    assert 'id="import-present">2<' in done.text
    assert 'id="import-invalid">1<' in done.text
    assert '<td class="wrap">nonsense</td><td>not a valid phone number</td>' in done.text
    assert await listed(gateway, alice) == {"+393330000001", "+393330000002"}
    sources = {e.number: e.source for e in await gateway.stop_list.entries(alice)}
    assert sources["+393330000002"] == "import"


@pytest.mark.parametrize(
    ("content", "status", "error"),
    [
        (b"\xff\xfe3330000003\n", 400, "the CSV must be UTF-8"),
        (b"", 400, "choose a CSV file"),
        (b"3330000003\n" * (MAX_UPLOAD_BYTES // 11 + 1), 413, "an upload is at most 4 MiB"),
    ],
)
async def test_a_bad_upload_adds_nothing(
    gateway: Gateway, visitor: Visitor, alice: Account, content: bytes, status: int, error: str
) -> None:
    await visitor.log_in()
    await visitor.get("/portal/stoplist")
    refused = await upload(visitor, content)
    assert refused.status_code == status and error in refused.text
    assert await listed(gateway, alice) == set()


async def test_an_upload_needs_its_csrf_token_and_a_multipart_body(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    await visitor.get("/portal/stoplist")
    assert (await upload(visitor, b"3330000003\n", csrf="forged")).status_code == 403
    no_token = await visitor.http.post(
        "/portal/stoplist/import", files={"file": ("s.csv", b"3330000003\n", "text/csv")}
    )
    assert no_token.status_code == 403
    plain = await visitor.post("/portal/stoplist/import", {"file": "3330000003"})
    assert plain.status_code == 415
    two_files = await visitor.http.post(
        "/portal/stoplist/import",
        data={"csrf": visitor.csrf},
        files=[("file", ("a.csv", b"3330000003\n")), ("file", ("b.csv", b"3330000004\n"))],
    )
    assert two_files.status_code == 400 and "Too many files" in two_files.text
    many_fields = await visitor.http.post(
        "/portal/stoplist/import",
        data={"csrf": visitor.csrf, **{f"f{n}": "x" for n in range(20)}},
        files={"file": ("s.csv", b"3330000003\n")},
    )
    assert many_fields.status_code == 400 and "Too many fields" in many_fields.text
    big_field = await visitor.http.post(
        "/portal/stoplist/import",
        data={"csrf": visitor.csrf, "note": "x" * (64 * 1024 + 1)},
        files={"file": ("s.csv", b"3330000003\n")},
    )
    assert big_field.status_code == 400
    no_file = await visitor.http.post(
        "/portal/stoplist/import", data={"csrf": visitor.csrf}, files={"other": ("", b"")}
    )
    assert no_file.status_code == 400 and "choose a CSV file" in no_file.text
    assert await listed(gateway, alice) == set()


async def test_the_export_holds_every_entry_and_no_formula(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    numbers = [f"+39333200{n:04d}" for n in range(1200)]
    await gateway.stop_list.import_numbers(alice, numbers)
    await gateway.store.add_stop(alice.id, "=HYPERLINK(1)", "api", 1.0)
    bob = (await gateway.accounts.create("bob", default_country="IT")).account
    await gateway.stop_list.add(bob, "+393339999999")
    await visitor.log_in()
    export = await visitor.get("/portal/stoplist.csv")
    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.headers["content-disposition"] == 'attachment; filename="stoplist-alice.csv"'
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1201 and "+393339999999" not in export.text
    assert {r["number"] for r in rows} == {*numbers, "'=HYPERLINK(1)"}
    assert rows[0]["number"].startswith("+39333200") and rows[0]["source"] == "import"
    only = await visitor.get("/portal/stoplist.csv", source="api")
    assert [r["number"] for r in csv.DictReader(io.StringIO(only.text))] == ["'=HYPERLINK(1)"]
    assert (await visitor.get("/portal/stoplist.csv", source="Bad!")).status_code == 400


async def test_another_account_s_number_is_not_found(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    bob = (await gateway.accounts.create("bob", default_country="IT")).account
    await gateway.stop_list.add(bob, "+393339999999")
    await visitor.log_in()
    page = await visitor.get("/portal/stoplist")
    assert "+393339999999" not in page.text
    found = await visitor.get("/portal/stoplist", q="+393339999999")
    assert "is not on the STOP list" in found.text
    refused = await visitor.post("/portal/stoplist/remove", {"number": "+393339999999"})
    assert refused.status_code == 404
    assert await listed(gateway, bob) == {"+393339999999"}


async def test_a_form_without_its_csrf_token_changes_nothing(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await gateway.stop_list.add(alice, "+393330000001")
    await visitor.log_in()
    await visitor.get("/portal/stoplist")
    for path, number in (
        ("/portal/stoplist", "3330000002"),
        ("/portal/stoplist/remove", "3330000001"),
    ):
        refused = await visitor.post(path, {"number": number}, csrf=False)
        assert refused.status_code == 403
    assert await listed(gateway, alice) == {"+393330000001"}


async def test_the_stoplist_pages_need_a_login(visitor: Visitor, alice: Account) -> None:
    for path in ("/portal/stoplist", "/portal/stoplist.csv"):
        response = await visitor.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/login"
