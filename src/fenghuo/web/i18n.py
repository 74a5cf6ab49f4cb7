"""Languages of the console: zh_CN and en through gettext catalogs (Babel).

The language comes from the ``lang`` cookie (set by ``/web/lang``), else from the browser's
Accept-Language (any ``zh`` → zh_CN, anything else → en), else zh_CN. Catalogs live in
``locale/<lang>/LC_MESSAGES/*.po``, one per console area (``messages.po`` for the shared layout,
``incidents.po``, ``warnings.po``…) and are read as one; each is compiled with Babel when the
process first needs it (the ``.mo`` files are build output, not kept in git).

Templates call ``_()``/``gettext`` (Jinja2's i18n extension, new-style) and the ``datetime``
filter; both read the language of the request being rendered from a context variable that
:func:`activate` sets just before rendering.
"""

from __future__ import annotations

import contextlib
import gettext
import io
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from fenghuo.common import clauses
from fenghuo.common.schemas import Label

from . import session

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("zh_CN", "en")
DEFAULT = "zh_CN"
COOKIE = "lang"
#: the language tag for ``<html lang>`` and the label of the switch
TAGS = {"zh_CN": "zh-CN", "en": "en"}
NAMES = {"zh_CN": "中文", "en": "English"}

_current: ContextVar[str] = ContextVar("fenghuo_web_locale", default=DEFAULT)
_timezone: ContextVar[str] = ContextVar("fenghuo_web_timezone", default="Asia/Shanghai")

router = APIRouter()


def from_accept_language(header: str | None) -> str:
    """zh_CN when the browser's first language it names among ours is Chinese, en when it is
    another language; zh_CN when the browser says nothing."""
    if not header or not header.strip():
        return DEFAULT
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag.strip().lower()))
    if not ranked:
        return DEFAULT
    ranked.sort()
    return "zh_CN" if ranked[0][2].startswith("zh") else "en"


def negotiate(request: Request) -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LOCALES:
        return chosen
    return from_accept_language(request.headers.get("accept-language"))


def _compile(po: Path) -> bytes:
    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def _load(po: Path) -> gettext.GNUTranslations:
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        data = mo.read_bytes()
    else:
        data = _compile(po)
        with contextlib.suppress(OSError):  # a read-only install keeps it in memory
            mo.write_bytes(data)
    return gettext.GNUTranslations(io.BytesIO(data))


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalogs of ``locale`` read as one (cached for the life of the process): a message
    missing from one area's catalog is looked up in the next."""
    files = sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po"))
    if not files:
        return gettext.NullTranslations()
    first, *rest = (_load(po) for po in files)
    for more in rest:
        first.add_fallback(more)
    return first


def current() -> str:
    return _current.get()


def activate(locale: str, timezone: str) -> None:
    """Make ``locale`` and ``timezone`` the ones the next render in this context uses."""
    _current.set(locale if locale in LOCALES else DEFAULT)
    _timezone.set(timezone)


def _gettext(message: str) -> str:
    return translations(current()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def format_dt(value: datetime | None, fmt: str = "medium") -> str:
    """A date and time in the configured time zone, in the current language."""
    if value is None:
        return "—"
    return format_datetime(value, format=fmt, tzinfo=ZoneInfo(_timezone.get()),
                           locale=Locale.parse(current()))


@cache
def label_tables() -> dict[str, Any]:
    """The domain's label tables by name (the dossier's registry, ``dossier.render.LABELS``,
    and the contact channels), for ``{{ code | label("event") }}``."""
    from fenghuo.dossier.render import LABELS

    from .directory import CHANNEL_LABELS
    return {**LABELS, "channel": CHANNEL_LABELS}


def label(pair: dict | tuple | Label | str | None, table: str | None = None) -> str:
    """The current language's side of a domain label (``{"zh": …, "en": …}``, a ``Label`` or a
    pair); a code (``end_proposed``) is looked up in the label table ``table`` and shown as it
    is when that table does not know it."""
    if not pair:
        return ""
    if isinstance(pair, str):
        found = label_tables().get(table or "", {}).get(pair)
        return label(found) if found else pair
    if isinstance(pair, Label):
        return pair.en if current() == "en" else pair.zh
    if isinstance(pair, dict):
        return str(pair.get("en" if current() == "en" else "zh", ""))
    return str(pair[1] if current() == "en" else pair[0])


def duration(delta: timedelta | None) -> str:
    """A span as people write it, in the current language: "2小时40分钟" / "2 hours 40 minutes",
    "3天" / "3 days" (Babel's units; the sign is dropped: the sentence says late or left)."""
    if delta is None:
        return "—"
    minutes = int(abs(delta).total_seconds() // 60)
    locale = Locale.parse(current())

    def unit(value: int, seconds: int) -> str:
        return format_timedelta(timedelta(seconds=value * seconds), threshold=1,
                                granularity="minute", locale=locale)
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        parts = [unit(days, 86400)] + ([unit(hours, 3600)] if hours else [])
    else:
        parts = ([unit(hours, 3600)] if hours else []) + ([unit(mins, 60)] if mins or not hours
                                                           else [])
    return ("" if current() == "zh_CN" else " ").join(parts)


def clause(source: str | None) -> str:
    """A clause citation ("Plan §4.1", "Law art. 21") in the current language."""
    return clauses.render(source, current())


def _per_render(fn: Any) -> Any:
    """``fn`` as a filter Jinja calls at every render, never folds at compile time."""
    @pass_context
    def filtered(_context: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)
    filtered.__name__ = getattr(fn, "__name__", "filter")
    return filtered


def install(templates: Jinja2Templates) -> Jinja2Templates:
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    # locale-dependent filters, marked as needing the render's context: Jinja evaluates a
    # filter of a constant ({{ "Plan §3.3 ¶3" | clause }}) once, when it compiles the template,
    # so a template first compiled for an English page kept English clauses on Chinese ones
    env.filters["datetime"] = _per_render(format_dt)
    env.filters["label"] = _per_render(label)
    env.filters["clause"] = _per_render(clause)
    env.filters["duration"] = _per_render(duration)
    env.filters["clauses_in"] = _per_render(lambda text: clauses.in_text(text, current()))
    env.globals["current_locale"] = current
    env.globals["LOCALE_TAGS"] = TAGS
    env.globals["LOCALE_NAMES"] = NAMES
    return templates


def safe_next(target: str | None, default: str = "/web/") -> str:
    """A path on this site: relative, starting with one slash, no scheme, host or backslash."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return default
    return target


@router.get("/lang")
def switch_language(request: Request, to: str, next: str = "/web/") -> Response:
    resp = RedirectResponse(safe_next(next), status_code=303)
    if to in LOCALES:
        session.set_cookie(request, resp, COOKIE, to, max_age=365 * 24 * 3600)
    return resp
