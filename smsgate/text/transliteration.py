"""Optional replacement of characters that are not GSM 03.38 by close GSM look-alikes.

One non-GSM character makes the whole message UCS-2 (70 instead of 160 characters per
SMS), so a typographic quote pasted from a word processor can double the price.
Only characters with an obvious stand-in are mapped; everything else is left as it is.
"""

from __future__ import annotations

from typing import Final

# Each entry: replacement -> the characters it stands for. Letters that GSM 03.38 has
# (à è é ì ò ù Ä Ö Ü ä ö ü Å å Æ æ Ø ø Ñ ñ ß É Ç) are never touched.
_REPLACEMENTS: Final[dict[str, str]] = {
    # Quotes and apostrophes: curly, low-9, prime, grave and acute accents.
    "'": "\u2018\u2019\u201a\u201b\u2032\u0060\u00b4",
    '"': "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb",
    # Dashes and minus signs: figure, en, em and horizontal-bar dashes, minus, hyphen.
    "-": "\u2010\u2011\u2012\u2013\u2014\u2015\u2212",
    "...": "\u2026",
    # Spaces: no-break, en/em and the other fixed-width spaces, narrow no-break.
    " ": "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000",
    # Invisible characters: soft hyphen, zero-width space and joiners, byte order mark.
    "": "\u00ad\u200b\u200c\u200d\u2060\ufeff",
    # GSM has only the capital C with cedilla; SMS Partner documents the same choice.
    "Ç": "ç",
    "a": "áâãāăą",
    "A": "ÀÁÂÃĀĂĄ",
    "c": "ćĉċč",
    "C": "ĆĈĊČ",
    "d": "ďđ",
    "D": "ĎĐ",
    "e": "êëēĕėęě",
    "E": "ÈÊËĒĔĖĘĚ",
    "g": "ĝğġģ",
    "G": "ĜĞĠĢ",
    "i": "íîïĩīĭįı",
    "I": "ÍÌÎÏĨĪĬĮİ",
    "l": "ĺļľŀł",
    "L": "ĹĻĽĿŁ",
    "n": "ńņňŉ",
    "N": "ŃŅŇ",
    "o": "óôõōŏő",
    "O": "ÓÒÔÕŌŎŐ",
    "oe": "œ",
    "OE": "Œ",
    "r": "ŕŗř",
    "R": "ŔŖŘ",
    "s": "śŝşš",
    "S": "ŚŜŞŠ",
    "t": "ţťŧ",
    "T": "ŢŤŦ",
    "u": "úûũūŭůűų",
    "U": "ÚÙÛŨŪŬŮŰŲ",
    "y": "ýÿŷ",
    "Y": "ÝŸŶ",
    "z": "źżž",
    "Z": "ŹŻŽ",
}

TRANSLITERATION_TABLE: Final[dict[int, str]] = {
    ord(char): replacement for replacement, chars in _REPLACEMENTS.items() for char in chars
}


def transliterate(text: str) -> str:
    """`text` with every character of TRANSLITERATION_TABLE replaced by its look-alike."""
    return text.translate(TRANSLITERATION_TABLE)
