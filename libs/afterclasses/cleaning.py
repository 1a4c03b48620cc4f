"""Typed text without the characters that only disguise or break it, for every service's edge.

C0 controls but tab and newlines; bidi overrides and isolates, the zero-width space, word joiners
and the BOM, Hangul fillers and tag characters (blank-looking letters): they disguise text in an
editor's queue ("evil\u202egpj.exe"), or make a message no one can see, and PostgreSQL refuses NUL.
"""
from __future__ import annotations

import re

_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u180e\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
                        "\u115f\u1160\u3164\uffa0\U000e0000-\U000e007f]")


def clean_text(text: str) -> str:
    """``text`` without the invisible characters above (everything else kept as typed)."""
    return _INVISIBLE.sub("", text)


def says_something(text: str | None) -> bool:
    """Whether ``text`` holds a letter or a digit (not only spaces, marks or punctuation)."""
    return any(c.isalnum() for c in clean_text(text or ""))
