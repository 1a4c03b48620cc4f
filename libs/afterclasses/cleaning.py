"""Typed text without the characters that only disguise or break it, for every service's edge.

C0 controls but tab and newlines; bidi overrides and isolates, the zero-width space and the BOM:
they disguise text in an editor's queue ("evil\u202egpj.exe"), and PostgreSQL refuses NUL.
"""
from __future__ import annotations

import re

_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_text(text: str) -> str:
    """``text`` without the invisible characters above (everything else kept as typed)."""
    return _INVISIBLE.sub("", text)
