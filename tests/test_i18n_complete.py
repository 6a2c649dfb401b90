"""Every string the interface shows has its Simplified Chinese translation: a new untranslated
string in a template, a view, a form or a model fails this test (run makemessages, translate)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[1]
IGNORE = [".venv*", "tests/*", "bench/*", "var/*", "staticfiles/*", "test-artifacts/*", "media/*"]


def _entries(po: str) -> list[dict[str, str]]:
    out = []
    for block in po.split("\n\n"):
        if "msgid" not in block:
            continue
        fields: dict[str, str] = {"flags": " ".join(re.findall(r"^#, (.*)$", block, re.M))}
        key = ""
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match[1]
                fields[key] = match[2]
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        out.append(fields)
    return out


@pytest.mark.timeout(240)
def test_no_interface_string_is_left_untranslated(tmp_path, monkeypatch):
    if shutil.which("xgettext") is None:
        pytest.fail("gettext is not installed (scripts/bootstrap.sh installs it)")
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale)
    monkeypatch.chdir(ROOT)
    with override_settings(LOCALE_PATHS=[str(locale)]):
        call_command(
            "makemessages",
            locale=["zh_Hans"],
            ignore_patterns=IGNORE,
            no_obsolete=True,
            verbosity=0,
        )
    po = (locale / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = [
        e["msgid"]
        for e in _entries(po)
        if e.get("msgid") and ("fuzzy" in e["flags"] or not (e.get("msgstr") or e.get("msgstr[0]")))
    ]
    assert len(_entries(po)) > 200, "makemessages found the interface strings"
    assert missing == [], f"{len(missing)} untranslated: {missing[:20]}"
