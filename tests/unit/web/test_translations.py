"""The Russian catalog covers every user-facing string of the web (extracted afresh from the code)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[3] / "services" / "web"
TRANSLATIONS = WEB / "afterclasses_web" / "translations"


def _extract(tmp_path) -> set:
    out = tmp_path / "messages.pot"
    subprocess.run([Path(sys.executable).with_name("pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "lazy_gettext",
                    "-o", str(out), "afterclasses_web"], cwd=WEB, check=True)
    with open(out, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_every_string_in_the_code_has_a_russian_translation(tmp_path):
    with open(TRANSLATIONS / "ru" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy
                  and (all(m.string) if isinstance(m.string, tuple) else True)}
    missing = sorted(str(m) for m in _extract(tmp_path) - translated)
    assert not missing, (f"{len(missing)} strings lack a Russian translation "
                         f"(run `make translations`, then translate): {missing[:20]}")


def test_russian_plurals_have_three_forms():
    with open(TRANSLATIONS / "ru" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    assert catalog.num_plurals == 3
    for message in catalog:
        if isinstance(message.id, tuple) and message.string:
            assert len(message.string) == 3 and all(message.string), message.id
