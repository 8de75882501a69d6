"""The transliteration table and function."""

from __future__ import annotations

import pytest

from smsgate.text import GSM7_CHARS, TRANSLITERATION_TABLE, is_gsm7, transliterate


def test_every_replacement_is_gsm() -> None:
    assert all(
        is_gsm7(replacement) or replacement == "" for replacement in TRANSLITERATION_TABLE.values()
    )


def test_no_gsm_character_is_replaced() -> None:
    assert not {chr(code) for code in TRANSLITERATION_TABLE} & GSM7_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("‘single’ “double” «guillemets»", '\'single\' "double" "guillemets"'),
        ("a – b — c", "a - b - c"),
        ("wait…", "wait..."),
        ("10\u00a0€", "10 €"),
        ("ça, façade", "Ça, faÇade"),
        ("áâã íîï óôõ úû ý ÿ ê ë", "aaa iii ooo uu y y e e"),
        ("ÁÀ ÍÌ ÓÒ ÚÙ Ê", "AA II OO UU E"),
        ("œuvre Œ", "oeuvre OE"),
        ("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
        ("àéèùìò ÄÖÜ ñ ß", "àéèùìò ÄÖÜ ñ ß"),
        ("Привет 😀", "Привет 😀"),
    ],
)
def test_transliterate(text: str, expected: str) -> None:
    assert transliterate(text) == expected
