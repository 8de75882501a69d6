"""Session cookies and CSRF tokens: what is signed comes back, anything else does not."""

from __future__ import annotations

from smsgate.web.sessions import Session, SessionCodec

NOW = 1_800_000_000.0


def test_a_session_comes_back_until_it_expires() -> None:
    codec = SessionCodec(b"k" * 32, lifetime=60)
    session = codec.new(NOW, 42)
    value = codec.encode(session)
    assert codec.decode(value, NOW + 59) == session
    assert codec.decode(value, NOW + 60) is None
    anonymous = codec.new(NOW)
    assert codec.decode(codec.encode(anonymous), NOW) == Session(anonymous.nonce, anonymous.expires)


def test_a_changed_or_foreign_cookie_is_refused() -> None:
    codec = SessionCodec(b"k" * 32)
    value = codec.encode(codec.new(NOW, 7))
    body, _, signature = value.rpartition(".")
    assert codec.decode(body.replace(".7.", ".8.") + "." + signature, NOW) is None
    assert SessionCodec(b"x" * 32).decode(value, NOW) is None
    for junk in ("", "v1", "é" * 10, value + "x", "a" * 500):
        assert codec.decode(junk, NOW) is None


def test_the_csrf_token_belongs_to_one_session() -> None:
    codec = SessionCodec(b"k" * 32)
    first, second = codec.new(NOW), codec.new(NOW)
    token = codec.csrf_token(first)
    assert codec.csrf_matches(first, token)
    assert not codec.csrf_matches(second, token)
    assert not codec.csrf_matches(first, None)
    assert not codec.csrf_matches(first, "é")
