"""The console's gettext catalogs (issue 6 item 7): every message the templates and page modules
ask for has a Chinese translation, and no message is translated two ways in two area catalogs
(they are read as one, and the first would silently win)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

WEB = Path(__file__).resolve().parents[2] / "src" / "fenghuo" / "web"
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
MODULES = sorted(WEB.glob("*.py"))


def _catalogs(locale: str) -> dict[str, dict[str, str]]:
    """msgid → {catalog file name: msgstr} over every area catalog of ``locale``."""
    found: dict[str, dict[str, str]] = {}
    for po in sorted((WEB / "locale" / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for m in read_po(f, locale=locale):
                if m.id and isinstance(m.id, str):
                    found.setdefault(m.id, {})[po.name] = str(m.string or "")
    return found


def _asked_for() -> dict[str, str]:
    """msgid → the first file that asks for it (templates and the page modules)."""
    asked: dict[str, str] = {}
    for path in TEMPLATES:
        for _line, msg, _comments, _ctx in extract_from_file(
                babel_extract, str(path), keywords=DEFAULT_KEYWORDS,
                options={"extensions": "jinja2.ext.i18n"}):
            for text in (msg if isinstance(msg, tuple) else (msg,)):
                if text:
                    asked.setdefault(text, path.name)
    for path in MODULES:
        for _line, msg, _comments, _ctx in extract_from_file("python", str(path),
                                                        keywords=DEFAULT_KEYWORDS):
            for text in (msg if isinstance(msg, tuple) else (msg,)):
                if text:
                    asked.setdefault(text, path.name)
    return asked


def test_the_templates_ask_for_messages():
    assert len(_asked_for()) > 100  # the extraction itself works


def test_every_message_has_a_chinese_translation():
    zh = _catalogs("zh_CN")
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in _asked_for().items()
                     if not any(zh.get(msgid, {}).values()))
    assert not missing, "untranslated in zh_CN:\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_no_message_is_translated_two_ways(locale):
    clashes = sorted(f"{msgid!r}: {found}" for msgid, found in _catalogs(locale).items()
                     if len({s for s in found.values() if s}) > 1)
    assert not clashes, f"translated differently in two {locale} catalogs:\n" + "\n".join(clashes)
