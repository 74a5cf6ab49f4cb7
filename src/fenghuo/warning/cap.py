"""Public warnings as OASIS Common Alerting Protocol 1.2 messages (issue 20 item 5).

Pure: no I/O. :func:`messages` turns the public history of one warning (its publication, each
level revision, its lifting; Plan §3.3, §3.5) into the CAP messages it amounts to, and
:func:`alert_xml` writes one of them as a CAP 1.2 ``<alert>`` document (OASIS CAP 1.2, 1 July
2010; the schema ``CAP-v1.2.xsd``) with the standard library's ElementTree.

The mapping, where CAP leaves the choice to the sender, is the project's and is stated here:

* **One message per public act** (CAP 1.2 §3.2.1 ``msgType``): publication is an ``Alert``;
  each revision of the level (Plan §3.3; ``warning.service.revise``) an ``Update``; lifting
  (Plan §3.5 解除预警) a ``Cancel``. Each later message ``references`` (§3.2.1, "sender,
  identifier,sent" triplets separated by spaces) every earlier one of the warning.
* **identifier** (§3.2.1: unique for the sender, no spaces, commas, ``<`` or ``&``): the
  warning's reference with the message's number, ``WN-20261101-0A1B2C3D.1`` for the Alert,
  ``.2`` for the next message and so on. The history is append-only, so a message keeps its
  identifier.
* **sender** (§3.2.1: globally unique, e.g. based on a domain name): the issuing body's key at
  the host Fenghuo is published under, ``110000.office@fenghuo.example.cn`` (the host of
  ``FENGHUO_PUBLIC_URL``, else the host the feed was read at). CAP's originator is the issuing
  authority (Plan §3.3 ¶3 发布机关), not the software.
* **sent, effective, onset** (§3.3.2 dateTime: ``2002-05-24T16:49:00-07:00``, no fractional
  seconds, no ``Z``, UTC as ``-00:00``): in the configured time zone with its offset.
  ``effective`` is the message's time, ``onset`` the warning's start time (Plan §3.3 ¶3 起始时
  间). Warnings last until lifted (Plan §3.5), so no ``expires`` is given.
* **status** ``Actual``, **scope** ``Public``: only published TLP:CLEAR warnings marked public
  get here (Law arts. 54(3), 55; ``rules.public_feed_decision``).
* **severity** from the level (Plan §3.1: red, orange, yellow, blue stand for an especially
  major, major, relatively major and general incident; CAP 1.2 §3.2.2 severity "Extreme –
  extraordinary threat", "Severe – significant threat", "Moderate – possible threat", "Minor –
  minimal to no known threat"): red → Extreme, orange → Severe, yellow → Moderate, blue → Minor.
* **urgency** from the level (Plan §3.4: a red or orange warning starts the national or the
  provincial and sectoral response at once — 24-hour duty, plans started; yellow and blue start
  the region's own plan): red, orange → ``Immediate``; yellow, blue → ``Expected``; a
  ``Cancel`` → ``Past`` ("responsive action is no longer required").
* **certainty** from the level (project reading: the Plan gives no likelihood for a level;
  Plan §3.1 "发生或可能发生" and the assessment's likelihood, Law art. 54(2), only decide that a
  warning is issued): red, orange → ``Likely`` (p > ~50%); yellow, blue → ``Possible``.
* **category** (§3.2.2) from the incident category (Plan annex 1): equipment and facility
  failures and disasters are ``Infra``; harmful programs, attacks, information destruction,
  information content security and other incidents ``Security``.
* **responseType** ``Prepare`` ("make preparations per the instruction": the measures and their
  time limits, Plan §3.3 ¶3), ``AllClear`` for a ``Cancel``.
* two **info** blocks, ``zh-CN`` then ``en-US``: the labels in each language, the text people
  wrote (title, warning items, measures) as written; **area** names the possible scope's
  jurisdictions with a ``geocode`` ``GB/T 2260`` for each that has a division code (not the
  national level, not XPCC).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fenghuo.warning.rules import LEVEL_LABELS, WarningLevel
from fenghuo.warning.schemas import PublicWarning

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
#: IANA media type of CAP documents (RFC 7303-style registration by OASIS)
MEDIA_TYPE = "application/cap+xml"
#: geocode valueName of Chinese administrative-division codes
GBT_2260 = "GB/T 2260"
#: the warning events that are public messages, in the order they can happen
PUBLIC_EVENTS = ("published", "revised", "lifted")


class MsgType(StrEnum):
    """CAP 1.2 §3.2.1 msgType values this module produces."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


_KIND_TYPE = {"published": MsgType.ALERT, "revised": MsgType.UPDATE, "lifted": MsgType.CANCEL}

SEVERITY: Mapping[WarningLevel, str] = MappingProxyType({
    WarningLevel.RED: "Extreme", WarningLevel.ORANGE: "Severe",
    WarningLevel.YELLOW: "Moderate", WarningLevel.BLUE: "Minor"})
URGENCY: Mapping[WarningLevel, str] = MappingProxyType({
    WarningLevel.RED: "Immediate", WarningLevel.ORANGE: "Immediate",
    WarningLevel.YELLOW: "Expected", WarningLevel.BLUE: "Expected"})
CERTAINTY: Mapping[WarningLevel, str] = MappingProxyType({
    WarningLevel.RED: "Likely", WarningLevel.ORANGE: "Likely",
    WarningLevel.YELLOW: "Possible", WarningLevel.BLUE: "Possible"})
#: Plan annex 1 categories that are infrastructure failures rather than security threats
INFRA_CATEGORIES = frozenset({"equipment-failure", "catastrophic"})
#: CAP §3.2.1: identifier and sender must not hold spaces, commas, "<" or "&"
_RESTRICTED = re.compile(r"[\s,<&]")
#: Characters XML 1.0 does not allow, even escaped
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Event:
    """One public act on a warning: ``kind`` in :data:`PUBLIC_EVENTS`, its time, and for a
    revision the levels before and after (``WarningEvent.detail`` "from"/"to")."""

    kind: str
    at: datetime
    level_from: str | None = None
    level_to: str | None = None


@dataclass(frozen=True)
class Source:
    """What a warning's CAP messages are made of: the public view, the issuing body's key, the
    GB/T 2260 division code of each jurisdiction that has one, and the public acts in order."""

    warning: PublicWarning
    issuer_key: str
    divisions: Mapping[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Message:
    """One CAP message of a warning: its type, identifier, time and the level it states."""

    msg_type: MsgType
    identifier: str
    sent: datetime
    level: WarningLevel
    #: the level before, for an Update
    previous_level: WarningLevel | None = None


@dataclass(frozen=True)
class Where:
    """Where the messages are published: the sender's host, the public page base (or None),
    and the time zone times are written in."""

    host: str
    public_url: str | None
    timezone: str


def severity(level: WarningLevel | str) -> str:
    return SEVERITY[WarningLevel(level)]


def urgency(level: WarningLevel | str, msg_type: MsgType = MsgType.ALERT) -> str:
    return "Past" if msg_type == MsgType.CANCEL else URGENCY[WarningLevel(level)]


def certainty(level: WarningLevel | str) -> str:
    return CERTAINTY[WarningLevel(level)]


def category(code: str) -> str:
    """The CAP §3.2.2 category of a Plan annex 1 category or subcategory code."""
    return "Infra" if code.split(".", 1)[0] in INFRA_CATEGORIES else "Security"


def cap_datetime(moment: datetime, timezone: str) -> str:
    """CAP §3.3.2 dateTime: seconds, the offset, never ``Z``; UTC is written ``-00:00``."""
    local = moment.astimezone(ZoneInfo(timezone)).replace(microsecond=0)
    text = local.isoformat(timespec="seconds")
    return text[:-6] + "-00:00" if local.utcoffset() == timedelta(0) else text


def identifier(ref: str, number: int) -> str:
    """The ``number``-th (1-based) message of warning ``ref``."""
    return _token(f"{ref}.{number}")


def sender(issuer_key: str, host: str) -> str:
    return _token(f"{issuer_key}@{host or 'localhost'}")


def messages(source: Source) -> list[Message]:
    """The CAP messages of the warning, oldest first; the level each states is worked back from
    the current level through the revisions."""
    events = [e for e in source.events if e.kind in _KIND_TYPE]
    level = WarningLevel(source.warning.level)
    levels: list[tuple[WarningLevel, WarningLevel | None]] = []
    for e in reversed(events):
        if e.kind == "revised":
            after, level = WarningLevel(e.level_to or level), WarningLevel(e.level_from or level)
            levels.append((after, level))
        else:
            levels.append((level, None))
    levels.reverse()
    return [Message(_KIND_TYPE[e.kind], identifier(source.warning.ref, n), e.at, lv, before)
            for n, (e, (lv, before)) in enumerate(zip(events, levels, strict=True), start=1)]


def references(earlier: Iterable[Message], sender_id: str, timezone: str) -> str:
    """CAP §3.2.1 references: "sender,identifier,sent" of each earlier message, space-separated."""
    return " ".join(f"{sender_id},{m.identifier},{cap_datetime(m.sent, timezone)}"
                    for m in earlier)


def page_url(public_url: str | None, ref: str) -> str | None:
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/public/warnings/{quote(ref, safe='')}"


def host_of(public_url: str | None, fallback: str) -> str:
    """The sender's host: that of ``FENGHUO_PUBLIC_URL`` when set, else ``fallback``."""
    return (urlsplit(public_url).hostname if public_url else None) or fallback


def alert_xml(source: Source, where: Where, number: int | None = None) -> bytes:
    """The CAP 1.2 document of message ``number`` (1-based; the latest when None), UTF-8."""
    history = messages(source)
    if not history:
        raise ValueError(f"warning {source.warning.ref} has no public message")
    index = len(history) - 1 if number is None else number - 1
    if not 0 <= index < len(history):
        raise ValueError(f"warning {source.warning.ref} has no message {number}")
    msg, earlier = history[index], history[:index]
    sender_id = sender(source.issuer_key, where.host)
    alert = ET.Element("alert", {"xmlns": CAP_NS})
    for tag, text in (("identifier", msg.identifier), ("sender", sender_id),
                      ("sent", cap_datetime(msg.sent, where.timezone)), ("status", "Actual"),
                      ("msgType", msg.msg_type.value), ("scope", "Public")):
        _el(alert, tag, text)
    if earlier:
        _el(alert, "references", references(earlier, sender_id, where.timezone))
    for lang in ("zh", "en"):
        _info(alert, source, msg, where, lang)
    ET.indent(alert, space=" ")  # between elements only: the texts are kept as they are
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


# --- the info block (CAP 1.2 §3.2.2) ----------------------------------------------------------

_WORDS = {
    "zh": {"language": "zh-CN", "sep": "；", "items": "警示事项：", "scope": "可能影响范围：",
           "sectors": "行业：", "every": "全部行业", "starts": "起始时间：",
           "changed": "预警级别由{before}调整为{after}。",
           "lifted": "此预警已于{at}解除，不再有效。",
           "by": "（时限 {at}）", "done": "此预警已解除，其措施不再需要采取。",
           "headline": "{level}：{title}", "cancel": "解除{level}：{title}"},
    "en": {"language": "en-US", "sep": "; ", "items": "Warning items:", "scope": "Possible scope: ",
           "sectors": "Sectors: ", "every": "every sector", "starts": "Starts: ",
           "changed": "The level was changed from {before} to {after}.",
           "lifted": "This warning was lifted at {at} and no longer applies.",
           "by": " (by {at})", "done": "This warning was lifted; its measures are no longer "
           "required.", "headline": "{level}: {title}", "cancel": "Lifted {level}: {title}"},
}


def _level_words(level: WarningLevel, lang: str) -> str:
    zh, en = LEVEL_LABELS[level]
    return zh if lang == "zh" else en


def _label(level: WarningLevel, lang: str) -> str:
    """The level as a headline starts with it: 橙色预警, Orange warning."""
    text = _level_words(level, lang)
    return text[:1].upper() + text[1:]


def _info(alert: ET.Element, source: Source, msg: Message, where: Where, lang: str) -> None:
    w, words, tz = source.warning, _WORDS[lang], where.timezone
    cancel = msg.msg_type == MsgType.CANCEL
    info = _el(alert, "info")
    _el(info, "language", words["language"])
    _el(info, "category", category(w.category))
    _el(info, "event", w.category_label[lang])
    _el(info, "responseType", "AllClear" if cancel else "Prepare")
    _el(info, "urgency", urgency(msg.level, msg.msg_type))
    _el(info, "severity", severity(msg.level))
    _el(info, "certainty", certainty(msg.level))
    code = _el(info, "eventCode")
    _el(code, "valueName", "fenghuo:category")  # Plan annex 1 code (rules/taxonomy.yaml)
    _el(code, "value", w.category)
    _el(info, "effective", cap_datetime(msg.sent, tz))
    _el(info, "onset", cap_datetime(w.starts_at, tz))
    _el(info, "senderName", w.issuer_name_zh if lang == "zh" else w.issuer_name_en)
    headline = words["cancel" if cancel else "headline"]
    _el(info, "headline", headline.format(level=_label(msg.level, lang), title=w.title))
    _el(info, "description", _description(source, msg, lang, tz))
    _el(info, "instruction", words["done"] if cancel else _instruction(w, lang, tz))
    web = page_url(where.public_url, w.ref)
    if web:
        _el(info, "web", web)
    param = _el(info, "parameter")
    _el(param, "valueName", "fenghuo:level")  # Plan §3.1 red, orange, yellow, blue
    _el(param, "value", msg.level.value)
    _area(info, source, lang)


def _description(source: Source, msg: Message, lang: str, tz: str) -> str:
    w, words = source.warning, _WORDS[lang]
    names = words["sep"].join(p.name_zh if lang == "zh" else p.name_en for p in w.jurisdictions)
    sectors = words["sep"].join(p.name_zh if lang == "zh" else p.name_en for p in w.sectors)
    lines = []
    if msg.msg_type == MsgType.CANCEL:
        lines.append(words["lifted"].format(at=cap_datetime(msg.sent, tz)))
    elif msg.previous_level is not None:
        lines.append(words["changed"].format(before=_level_words(msg.previous_level, lang),
                                             after=_level_words(msg.level, lang)))
    lines += [words["items"], *(f"- {i}" for i in w.items),
              f"{words['scope']}{names}", f"{words['sectors']}{sectors or words['every']}",
              f"{words['starts']}{cap_datetime(w.starts_at, tz)}"]
    return "\n".join(lines)


def _instruction(w: PublicWarning, lang: str, tz: str) -> str:
    by = _WORDS[lang]["by"]
    return "\n".join(f"- {m.text}" + (by.format(at=cap_datetime(m.deadline, tz))
                                      if m.deadline else "") for m in w.measures)


def _area(info: ET.Element, source: Source, lang: str) -> None:
    places = source.warning.jurisdictions
    if not places:
        return
    area = _el(info, "area")
    _el(area, "areaDesc", _WORDS[lang]["sep"].join(
        p.name_zh if lang == "zh" else p.name_en for p in places))
    for p in places:
        division = source.divisions.get(p.code)
        if division:
            geocode = _el(area, "geocode")
            _el(geocode, "valueName", GBT_2260)
            _el(geocode, "value", division)


def _el(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    node = ET.SubElement(parent, tag)
    if text is not None:
        node.text = _NOT_XML.sub("", text)
    return node


def _token(text: str) -> str:
    """``text`` without the characters CAP §3.2.1 forbids in identifier and sender."""
    return _RESTRICTED.sub("_", text)
