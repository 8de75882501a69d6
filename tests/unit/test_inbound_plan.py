"""What `plan` decides a routed MO does: its webhooks, SMPP, charge and STOP."""

from __future__ import annotations

from smsgate.services.inbound_numbers import AGILETELECOM, NATIVE, InboundNumber
from smsgate.services.inbound_plan import (
    SMSPARTNER_REPLY,
    STOP_ADD,
    STOP_REMOVE,
    InboundSettings,
    MoTarget,
    plan,
)

NUMBER = InboundNumber(1, "3000", 7, None, None, 0.0, price=20_000)
HOOKED = InboundNumber(2, "3001", 7, None, "https://n.example/mo", 0.0, AGILETELECOM)
SETTINGS = InboundSettings(7, "https://a.example/mo", NATIVE, smpp=True, opt_out=("BASTA",))


def test_the_number_s_webhook_comes_before_the_account_s() -> None:
    effects = plan("393331234567", "hi", HOOKED, SETTINGS)
    assert effects.webhooks == (MoTarget("https://n.example/mo", AGILETELECOM),)
    assert effects.smpp


def test_the_account_s_webhook_and_the_number_s_price() -> None:
    effects = plan("393331234567", "hi", NUMBER, SETTINGS)
    assert effects.webhooks == (MoTarget("https://a.example/mo", NATIVE),)
    assert effects.charge == 20_000 and effects.stop is None


def test_a_reply_to_a_send_with_a_reply_url_goes_there_in_sms_partner_s_shape() -> None:
    effects = plan("393331234567", "yes", None, SETTINGS, "https://sp.example/r")
    assert effects.webhooks == (MoTarget("https://sp.example/r", SMSPARTNER_REPLY),)
    assert effects.charge == 0


def test_an_account_without_settings_gets_nothing_but_stop() -> None:
    effects = plan("393331234567", " stop! ", NUMBER, None)
    assert (effects.webhooks, effects.smpp) == ((), False)
    assert effects.stop == (STOP_ADD, "+393331234567")


def test_opt_out_words_of_the_account_start_and_senders_that_cannot_opt_out() -> None:
    assert plan("393331234567", "Basta", NUMBER, SETTINGS).stop == (STOP_ADD, "+393331234567")
    assert plan("393331234567", "Basta", NUMBER, None).stop is None
    assert plan("+393331234567", "unstop", NUMBER, None).stop == (STOP_REMOVE, "+393331234567")
    assert plan("ACME", "STOP", NUMBER, None).stop is None
    assert plan("393331234567", "stop sending me this", NUMBER, None).stop is None
