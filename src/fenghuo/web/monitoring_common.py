"""What the machine-monitoring pages (register, feeds, candidates; issue 15) share: messages said
from Python in the caller's language, pydantic errors as inline field errors, and paging of the
lists the services return whole.

No rule lives here: what is valid is what the schemas and services say; this only says it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from fenghuo.common.errors import FieldError
from fenghuo.common.scope import Principal
from fenghuo.org.rules import Permission, has_permission

from . import i18n
from .pages import PAGE_SIZE

Say = Callable[[str], str]


def gettext_of(request: Request) -> Say:
    """``gettext`` in the request's language (messages built in Python, not in a template)."""
    return i18n.translations(i18n.negotiate(request)).gettext


def may(me: Principal, permission: Permission) -> bool:
    """Whether the caller's roles hold ``permission`` (to show a form; the service decides)."""
    return has_permission(me.roles, permission)


def problem(e: Any, gettext: Say) -> str:
    """One pydantic error as a sentence in the caller's language (its own text otherwise)."""
    kind, ctx = e["type"], e.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return gettext("This field is required.")
    if kind == "string_too_long":
        return gettext("Too long: at most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind in ("enum", "literal_error"):
        return gettext("Choose one of the values offered.")
    if kind == "string_pattern_mismatch":
        return gettext("Use lower-case letters, digits, dots, dashes and underscores.")
    if kind == "greater_than_equal":
        return gettext("At least %(n)s.") % {"n": ctx.get("ge")}
    if kind == "less_than_equal":
        return gettext("At most %(n)s.") % {"n": ctx.get("le")}
    if kind.startswith("int_"):
        return gettext("Enter a whole number.")
    if kind.startswith("datetime"):
        return gettext("Enter a date and time.")
    return str(e["msg"])


def field_errors(exc: ValidationError, gettext: Say, row: int | None = None,
                 source: str | None = None) -> list[FieldError]:
    """Every error of ``exc`` named by its field (``row`` for a row of an imported file)."""
    return [FieldError(".".join(str(p) for p in e["loc"]) or "form", problem(e, gettext),
                       row=row, source=source) for e in exc.errors()]


@dataclass(frozen=True)
class Slice:
    """One page of a list the service returned whole (or up to a bound): the shape the pager
    (``_console_pager.html``) reads."""

    items: Sequence[Any]
    total: int


def slice_page(items: Sequence[Any], page: int, size: int = PAGE_SIZE) -> Slice:
    start = (max(page, 1) - 1) * size
    return Slice(items[start:start + size], len(items))


def form_text(form: Any, *names: str) -> dict[str, str]:
    """The named fields of a posted form, as stripped text."""
    return {n: str(form.get(n) or "").strip() for n in names}
