"""The public warning page and its feeds (Cybersecurity Law arts. 54(3), 55): published
TLP:CLEAR warnings marked for the public, as HTML, Atom 1.0 (RFC 4287) and JSON Feed 1.1, and
each as OASIS CAP 1.2 messages (``/public/warnings/{ref}.cap.xml``, the latest message, and the
Atom index ``/public/warnings.cap.atom``; the mapping is :mod:`fenghuo.warning.cap`'s).

No login and no internal detail: everything shown comes from ``warning.service.public_warnings``
and ``public_warning``. The HTML pages are in the reader's language (Chinese or English, chosen as
on the console, with the same switch); the feeds stay bilingual. HTML is escaped by Jinja2's
autoescape; the Atom document is built with ElementTree, which escapes text and attributes.
Feed and entry ids are ``urn:uuid:`` URIs derived from the warning's reference, so they do not
change with the host name the feed is read under, or when a warning is lifted (its ``updated``
time changes instead).
"""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fenghuo import __version__
from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import NotFound
from fenghuo.warning import cap
from fenghuo.warning import service as warnings
from fenghuo.warning.rules import STATE_LABELS, WarningState
from fenghuo.warning.schemas import PublicWarning
from fenghuo.web import i18n
from fenghuo.web.pages import here, templates

router = APIRouter(prefix="/public", include_in_schema=False)

ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TITLE = "网络安全预警 Network security warnings"
SUBTITLE = ("向社会发布的网络安全预警（《网络安全法》第五十四、五十五条） "
            "Network security warnings published to the public (Cybersecurity Law arts. 54(3), 55)")
PUBLISHER = "烽火 Fenghuo"
#: Namespace of the feed's ids: urn:uuid:<uuid5 of the reference>
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fenghuo:public-warnings")
#: Public pages change when a warning is published or lifted; readers may cache for a minute
CACHE = {"Cache-Control": "public, max-age=60"}
#: Characters XML 1.0 does not allow, even escaped; dropped from feed text
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _rt(request: Request) -> Runtime:
    return request.app.state.runtime


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _page_url(request: Request, ref: str | None = None) -> str:
    return f"{_base(request)}/public/warnings" + (f"/{quote(ref, safe='')}" if ref else "")


def _cap_url(request: Request, ref: str) -> str:
    return f"{_page_url(request, ref)}.cap.xml"


def _cap_index_url(request: Request) -> str:
    return f"{_base(request)}/public/warnings.cap.atom"


def _id(ref: str | None = None) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, ref) if ref else ID_NAMESPACE}"


def _updated(w: PublicWarning) -> datetime:
    return max(t for t in (w.published_at, w.lifted_at, w.updated_at) if t is not None)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _state(state: str) -> dict:
    zh, en = STATE_LABELS[WarningState(state)]
    return {"zh": zh, "en": en}


def _render(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    """``name`` in the reader's language (the ``lang`` cookie, else Accept-Language, else
    Chinese: :func:`fenghuo.web.i18n.negotiate`) and the configured time zone. No session and no
    CSRF cookie: the page is the same for every reader of a language, and caches keep one copy
    per language."""
    rt = _rt(request)
    locale = i18n.negotiate(request)
    i18n.activate(locale, rt.settings.timezone)
    headers = {"Content-Language": i18n.TAGS[locale], "Vary": "Accept-Language, Cookie",
               **(CACHE if status == 200 else {})}
    return templates.TemplateResponse(request, name, {
        **ctx, "locale": locale, "lang_tag": i18n.TAGS[locale], "here": here(request),
        "timezone": rt.settings.timezone, "state_label": _state,
        "atom_url": f"{_base(request)}/public/warnings.atom",
        "json_url": f"{_base(request)}/public/warnings.json", "cap_url": _cap_index_url(request)},
        status_code=status, headers=headers)


@router.get("/warnings")
def warnings_page(request: Request) -> HTMLResponse:
    """Every public warning, newest first; lifted ones are shown as lifted."""
    return _render(request, "public_warnings.html",
                   {"warnings": warnings.public_warnings(_rt(request).uow)})


@router.get("/warnings.atom")
def atom_feed(request: Request) -> Response:
    items = warnings.public_warnings(_rt(request).uow)
    return Response(_atom(request, items), media_type=ATOM, headers=CACHE)


@router.get("/warnings.json")
def json_feed(request: Request) -> Response:
    items = warnings.public_warnings(_rt(request).uow)
    body = json.dumps(_json_feed(request, items), ensure_ascii=False, indent=1)
    return Response(body.encode("utf-8"), media_type=JSON_FEED, headers=CACHE)


@router.get("/warnings.cap.atom")
def cap_index(request: Request) -> Response:
    """The CAP 1.2 index: an Atom feed whose entries link to each warning's latest CAP message
    (one ``<alert>`` per document, CAP 1.2 §3.2.1), as CAP feeds commonly are."""
    sources = warnings.public_cap_sources(_rt(request).uow)
    return Response(_cap_atom(request, sources), media_type=ATOM, headers=CACHE)


@router.get("/warnings/{ref}.cap.xml")
def cap_message(request: Request, ref: str) -> Response:
    """The latest CAP 1.2 message of a public warning: Alert, Update (level revised) or
    Cancel (lifted); 404 (problem+json) for any other reference."""
    [source] = warnings.public_cap_sources(_rt(request).uow, ref=ref)
    return Response(cap.alert_xml(source, _cap_where(request)), media_type=cap.MEDIA_TYPE,
                    headers=CACHE)


@router.get("/warnings/{ref}")
def warning_page(request: Request, ref: str) -> HTMLResponse:
    try:
        w = warnings.public_warning(_rt(request).uow, ref=ref)
    except NotFound:
        return _render(request, "public_warning.html", {"w": None, "ref": ref}, status=404)
    return _render(request, "public_warning.html", {"w": w, "ref": ref})


# --- feeds ------------------------------------------------------------------------------------


def _text(request: Request, w: PublicWarning) -> str:
    """The whole public warning as plain text (Plan §3.3 ¶3 content), for feed readers; times
    in the configured zone, with their UTC offset."""
    tz = ZoneInfo(_rt(request).settings.timezone)

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).isoformat(timespec="minutes") if moment else "—"

    scope = "；".join(f"{p.name_zh} {p.name_en}" for p in w.jurisdictions)
    sectors = "；".join(f"{p.name_zh} {p.name_en}" for p in w.sectors) or "全部行业 every sector"
    state = _state(w.state)
    lines = [f"{w.level_label['zh']} {w.level_label['en']} · {state['zh']} {state['en']}",
             f"事件类别 Category: {w.category_label['zh']} {w.category_label['en']}",
             f"起始时间 Starts: {when(w.starts_at)}",
             f"可能影响范围 Scope: {scope}; 行业 Sectors: {sectors}",
             f"发布机关 Issued by: {w.issuer_name_zh} {w.issuer_name_en}",
             "警示事项 Warning items:", *(f"- {i}" for i in w.items),
             "应采取的措施 Measures:",
             *(f"- {m.text}（时限 by {when(m.deadline)}）" for m in w.measures)]
    if w.lifted_at:
        lines.append(f"已解除 Lifted: {when(w.lifted_at)}")
    return "\n".join(lines)


def _title(w: PublicWarning) -> str:
    lifted = "（已解除 lifted）" if w.lifted_at else ""
    return f"【{w.level_label['zh']} {w.level_label['en']}】{w.title}{lifted}"


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _atom(request: Request, items: list[PublicWarning]) -> bytes:
    def el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, tag, {k: _xml(v) for k, v in attrs.items()})
        if text is not None:
            node.text = _xml(text)
        return node

    # unprefixed names under a default namespace declared once: no global prefix registry
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: "zh-CN"})
    el(feed, "id", _id())
    el(feed, "title", TITLE)
    el(feed, "subtitle", SUBTITLE)
    updated = max((_updated(w) for w in items), default=None) or _rt(request).clock.now()
    el(feed, "updated", _rfc3339(updated))
    el(feed, "link", rel="self", type=ATOM, href=f"{_base(request)}/public/warnings.atom")
    el(feed, "link", rel="alternate", type="text/html", href=_page_url(request))
    el(el(feed, "author"), "name", PUBLISHER)
    el(feed, "generator", "Fenghuo", version=__version__)
    for w in items:
        entry = el(feed, "entry")
        el(entry, "id", _id(w.ref))
        el(entry, "title", _title(w))
        el(entry, "updated", _rfc3339(_updated(w)))
        el(entry, "published", _rfc3339(w.published_at))
        el(el(entry, "author"), "name", f"{w.issuer_name_zh} {w.issuer_name_en}")
        el(entry, "link", rel="alternate", type="text/html", href=_page_url(request, w.ref))
        el(entry, "link", rel="alternate", type=cap.MEDIA_TYPE, href=_cap_url(request, w.ref))
        el(entry, "category", term=w.level.value,
           label=f"{w.level_label['zh']} {w.level_label['en']}")
        el(entry, "category", term=w.category,
           label=f"{w.category_label['zh']} {w.category_label['en']}")
        el(entry, "summary", "；".join(w.items), type="text")
        el(entry, "content", _text(request, w), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _json_feed(request: Request, items: list[PublicWarning]) -> dict:
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": TITLE,
        "description": SUBTITLE,
        "home_page_url": _page_url(request),
        "feed_url": f"{_base(request)}/public/warnings.json",
        "language": "zh-CN",
        "authors": [{"name": PUBLISHER}],
        "items": [{
            "id": _id(w.ref),
            "url": _page_url(request, w.ref),
            "title": _title(w),
            "summary": "；".join(w.items),
            "content_text": _text(request, w),
            "date_published": _rfc3339(w.published_at),
            "date_modified": _rfc3339(_updated(w)),
            "authors": [{"name": f"{w.issuer_name_zh} {w.issuer_name_en}"}],
            "attachments": [{"url": _cap_url(request, w.ref), "mime_type": cap.MEDIA_TYPE,
                             "title": "CAP 1.2"}],
            "tags": [w.level.value, w.category],
            "_fenghuo": {
                "ref": w.ref, "level": w.level.value, "level_label": w.level_label,
                "state": w.state, "category": w.category, "category_label": w.category_label,
                "starts_at": _rfc3339(w.starts_at),
                "lifted_at": _rfc3339(w.lifted_at) if w.lifted_at else None,
                "jurisdictions": [p.model_dump() for p in w.jurisdictions],
                "sectors": [p.model_dump() for p in w.sectors],
                "items": w.items,
                "measures": [{"text": m.text,
                              "deadline": _rfc3339(m.deadline) if m.deadline else None}
                             for m in w.measures],
            },
        } for w in items],
    }


# --- CAP 1.2 (issue 20 item 5) ----------------------------------------------------------------


def _cap_where(request: Request) -> cap.Where:
    settings = _rt(request).settings
    return cap.Where(host=cap.host_of(settings.public_url, request.url.hostname or "localhost"),
                     public_url=settings.public_url, timezone=settings.timezone)


def _cap_atom(request: Request, sources: list[cap.Source]) -> bytes:
    """Atom 1.0 (RFC 4287) index of the CAP messages: one entry per public warning, updated
    when its latest message was sent, linking to that message (``application/cap+xml``)."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: "zh-CN"})
    latest = [(source, history[-1]) for source in sources if (history := cap.messages(source))]
    updated = max((m.sent for _, m in latest), default=None) or _rt(request).clock.now()
    for tag, text in (("id", _id("cap-index")), ("title", f"{TITLE} (CAP 1.2)"),
                      ("subtitle", SUBTITLE), ("updated", _rfc3339(updated))):
        ET.SubElement(feed, tag).text = text
    ET.SubElement(feed, "link", rel="self", type=ATOM, href=_cap_index_url(request))
    ET.SubElement(feed, "link", rel="alternate", type="text/html", href=_page_url(request))
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = PUBLISHER
    for source, message in latest:
        w = source.warning
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = _id(f"cap:{w.ref}")
        ET.SubElement(entry, "title").text = _xml(_title(w))
        ET.SubElement(entry, "updated").text = _rfc3339(message.sent)
        ET.SubElement(entry, "published").text = _rfc3339(w.published_at)
        ET.SubElement(ET.SubElement(entry, "author"), "name").text = _xml(
            f"{w.issuer_name_zh} {w.issuer_name_en}")
        ET.SubElement(entry, "link", rel="alternate", type=cap.MEDIA_TYPE,
                      href=_cap_url(request, w.ref))
        ET.SubElement(entry, "link", rel="related", type="text/html",
                      href=_page_url(request, w.ref))
        ET.SubElement(entry, "category", term=message.msg_type.value,
                      label=f"CAP msgType {message.msg_type.value}")
        ET.SubElement(entry, "summary", type="text").text = _xml(
            f"{message.identifier} {cap.severity(message.level)} · " + "；".join(w.items))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
