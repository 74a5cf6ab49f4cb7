"""Wording shared by the channels: Chinese first, then English; one line for a subject; the
link to the page of what a message announces; and what fits an SMS.

Domain code writes each message's subject, text and payload when it enqueues it. What a person
needs from every notification (issue 16 item 7) is: what happened, which unit and system, the
category and grade in words, what is asked and by when, and a link to the page. :class:`Notice`
and :func:`compose` lay those out the same way everywhere; :func:`page_path` finds the page from
the payload's ``event`` and ``ref`` (or an explicit ``path``), so a channel can add the link
even to messages written before they carried one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

#: China Standard Time, in which people read deadlines (the Plan's clocks are in Beijing time).
CST = timezone(timedelta(hours=8), "CST")

#: The web page of what an event is about, by the event's first word (payload ``event``).
PAGE_PATHS: Mapping[str, str] = {
    "incident": "/web/incidents/{ref}",
    "duty": "/web/incidents/{ref}",  # an overdue duty of an incident
    "warning": "/web/warnings/{ref}",
    "response": "/web/responses/{ref}",
    "monitoring": "/web/monitoring/{ref}",  # a monitoring item (Plan §3.2)
    "candidate": "/web/monitoring/candidates/{ref}",
    "notice": "/web/monitoring/notices/{ref}",  # an owner notice (通报) to a unit
    "supervision": "/web/supervision/{ref}",  # a directive or interview (Law arts. 55, 56)
}

ELLIPSIS = "…"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (line breaks too) as one space."""
    return " ".join(text.split())


def page_path(payload: Mapping) -> str | None:
    """The page a message's payload is about: its ``path`` if it names one, else the page of
    its ``event`` and ``ref`` (:data:`PAGE_PATHS`), else None."""
    path = payload.get("path")
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//"):
        return path
    event, ref = payload.get("event"), payload.get("ref")
    if not (isinstance(event, str) and isinstance(ref, str) and ref):
        return None
    template = PAGE_PATHS.get(event.split(".", 1)[0])
    return template.format(ref=ref) if template else None


def page_link(base_url: str | None, payload: Mapping) -> str | None:
    """The absolute link to :func:`page_path` under ``base_url`` (``FENGHUO_PUBLIC_URL``), or
    None without a base URL or a page."""
    path = page_path(payload)
    if not base_url or path is None:
        return None
    return base_url.rstrip("/") + path


def unit_field(key: str, name_zh: str, name_en: str) -> dict[str, str]:
    """A payload's ``unit``: the body a message is about, by key and name (issue 20 item 6)."""
    return {"key": key, "name_zh": name_zh, "name_en": name_en}


def fit_utf8(text: str, limit: int) -> str:
    """``text`` cut (with an ellipsis) to at most ``limit`` UTF-8 bytes, whole characters only."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    room = max(limit - len(ELLIPSIS.encode("utf-8")), 0)
    return raw[:room].decode("utf-8", "ignore") + ELLIPSIS


# --- SMS --------------------------------------------------------------------------------------

#: Characters in one SMS, and in each part of a longer one, the signature 【…】 included. Text
#: that is not all ASCII goes as UCS-2: 70 characters, 67 per part when concatenated (the
#: carriers' rule as Chinese gateways state it for billing); plain ASCII goes in the GSM 7-bit
#: alphabet, 160 and 153 (3GPP TS 23.038/23.040), counted here without its escape characters.
UCS2_SINGLE, UCS2_PART = 70, 67
GSM_SINGLE, GSM_PART = 160, 153


def sms_length(text: str) -> int:
    """Characters as an SMS counts them: UTF-16 code units (a character beyond the BMP, such as
    an emoji, takes two)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def sms_segments(text: str) -> int:
    """How many SMS parts ``text`` (the signature included) takes."""
    single, part = (GSM_SINGLE, GSM_PART) if text.isascii() else (UCS2_SINGLE, UCS2_PART)
    n = sms_length(text)
    return 1 if n <= single else -(-n // part)


def sms_budget(max_segments: int, *, ascii_only: bool = False) -> int:
    """Characters that fit in ``max_segments`` parts."""
    single, part = (GSM_SINGLE, GSM_PART) if ascii_only else (UCS2_SINGLE, UCS2_PART)
    return single if max_segments <= 1 else part * max_segments


def _cut(text: str, room: int) -> str:
    if sms_length(text) <= room:
        return text
    out, used = [], 0
    for ch in text:
        width = sms_length(ch)
        if used + width > room - 1:
            break
        out.append(ch)
        used += width
    return "".join(out).rstrip() + ELLIPSIS


def sms_text(subject: str, text: str, link: str | None, *, sign_name: str,
             max_segments: int) -> str:
    """A short summary and the link, within ``max_segments`` parts once the gateway puts
    【sign_name】 in front: the subject, then as much of the text as fits (lines the subject
    already says, such as the title, left out), cut with an ellipsis; the link is kept whole
    (left out only if it alone does not fit)."""
    signature = f"【{sign_name}】" if sign_name else ""
    summary = one_line(subject)
    rest = [line for line in (one_line(x) for x in text.splitlines())
            if line and line not in summary]
    if rest:
        summary = "：".join(filter(None, [summary, " ".join(rest)]))
    room = sms_budget(max_segments) - sms_length(signature)
    if link and sms_length(link) + 1 < room:
        return f"{_cut(summary, room - sms_length(link) - 1)} {link}"
    return _cut(summary, room)


# --- the notice every channel shows -------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """A label in both languages."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh if self.zh == self.en or not self.en else f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class Notice:
    """What a notification says, in words (never codes); ``None`` fields are left out."""

    what: Words  #: what happened, e.g. the incident's or warning's title
    tag: Words  #: the kind and weight, e.g. 重大 / Major, in the subject's brackets
    ref: str
    unit: Words | None = None
    system: Words | None = None
    category: Words | None = None
    grade: Words | None = None
    asked: Words | None = None  #: what the receiver is asked to do
    due: datetime | date | None = None
    link: str | None = None
    notes: tuple[Words, ...] = ()  #: anything else the receiver must know, one row each


def due_text(due: datetime | date) -> str:
    """A deadline as people read it: Beijing time, to the minute (a day: that day)."""
    if not isinstance(due, datetime):
        return f"{due.isoformat()} 北京时间 CST"
    return due.astimezone(CST).strftime("%Y-%m-%d %H:%M") + " 北京时间 CST"


def compose(n: Notice) -> tuple[str, str]:
    """The subject and text of ``n``: Chinese labels first, each line ``中文 English: value``."""
    subject = one_line(f"[{n.tag.zh} {n.tag.en}] {n.ref} {n.what.zh}")
    rows = [("事件 What", n.what), ("单位 Unit", n.unit), ("系统 System", n.system),
            ("类别 Category", n.category), ("等级 Grade", n.grade), ("要求 Asked", n.asked),
            ("期限 Due", due_text(n.due) if n.due else None),
            *(("说明 Note", note) for note in n.notes), ("详情 Details", n.link)]
    lines = [f"{label}: {value}" for label, value in rows if value is not None]
    return subject, "\n".join(lines) + "\n"
