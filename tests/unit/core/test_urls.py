"""The URLs smsgate calls back: http(s) with a host and a port that parses."""

from __future__ import annotations

import pytest

from smsgate.core.errors import InvalidRequest
from smsgate.core.urls import URL_MAX, check_http_url


@pytest.mark.parametrize(
    "url", ["http://h/x", "https://[::1]:8443/cb?x=1", "http://h:80", "https://a.b/" + "p" * 2000]
)
def test_a_callable_url_passes(url: str) -> None:
    check_http_url(url, "webhook_url")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://h/x", "http(s) URL"),
        ("http://]x", "http(s) URL"),
        ("http://h:99999/", "http(s) URL"),
        ("http://h:0/", "http(s) URL"),
        ("/relative", "http(s) URL"),
        ("http://h/\x00", "U+0000"),
        ("http://h/" + "p" * URL_MAX, f"at most {URL_MAX}"),
    ],
)
def test_an_uncallable_url_is_refused_naming_its_field(url: str, says: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_http_url(url, "webhook_url")
    assert refused.value.field == "webhook_url"
    assert says in refused.value.message


def test_no_url_is_no_error() -> None:
    check_http_url(None, "callback_url")
