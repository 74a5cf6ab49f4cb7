"""Times on the command line: in files, relative to now (``now``, ``-20m``, ``+24h``); days as
``YYYY-MM-DD``, ``today`` or days from today. Apart from :mod:`fenghuo.cli.common` so that it
can be imported without building the commands' console."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import typer

from fenghuo.common.periods import day_of

#: a time written relative to now in a file for the command line: ``now``, ``-20m``, ``+24h``,
#: ``-2d`` (minutes, hours, days)
RELATIVE_TIME = re.compile(r"^(?:now|([+-])\s*(\d+(?:\.\d+)?)\s*(m|min|h|d))$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}


def relative_times(raw: Any, now: datetime) -> Any:
    """``raw`` with every time field (a key ending in ``_at``, or ``deadline``) written relative
    to now (:data:`RELATIVE_TIME`) replaced by that moment, so that an example file stays
    current: ``found_at: -20m``, ``deadline: +24h``. Anything else is left for validation."""
    if isinstance(raw, list):
        return [relative_times(x, now) for x in raw]
    if not isinstance(raw, dict):
        return raw
    out = {}
    for key, value in raw.items():
        timed = isinstance(key, str) and (key.endswith("_at") or key == "deadline")
        found = RELATIVE_TIME.match(value.strip()) if timed and isinstance(value, str) else None
        if found:
            sign, amount, unit = found.groups()
            delta = timedelta(**{_UNITS[unit]: float(amount)}) if amount else timedelta()
            value = (now - delta if sign == "-" else now + delta).isoformat(timespec="seconds")
        out[key] = relative_times(value, now) if not found else value
    return out


_RELATIVE_DAY = re.compile(r"^(?:today|([+-])(\d{1,5})d)$")


def parse_day(text: str | None, option: str = "--on") -> date | None:
    """A day given on the command line: ``YYYY-MM-DD``, ``today``, or days from today
    (``-400d``, ``+7d``), today being China Standard Time's; a bad one is a usage error."""
    if not text:
        return None
    found = _RELATIVE_DAY.match(text.strip())
    if found:
        sign, days = found.groups()
        offset = timedelta(days=int(days or 0))
        today = day_of(datetime.now(UTC))
        return today - offset if sign == "-" else today + offset
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a day: use YYYY-MM-DD, today, or days from "
                                 "today such as -30d or +7d", param_hint=option) from None
