"""Every word a Chinese officer reads is Chinese (issue 19 item 6): with ``Accept-Language:
zh-CN`` each main console page, for several users and over real state (an incident reported and
acknowledged, a Level I response activated and its end proposed, a warning drafted and another
published), shows no text of the English catalogs that the Chinese catalogs say otherwise, no
raw code of the domain's label tables and no clause cited in English ("Plan §4.1", "art. 21",
"CAC 2025").

To cover another page, add its URL to ``PAGES`` (``{incident}``, ``{response}``, ``{warning}``,
``{draft}`` and ``{body}`` are filled in with the state built here)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import fenghuo
from fenghuo.monitoring import parsers
from tests.e2e.test_api_incidents import report
from tests.e2e.test_api_responses import hq_member
from tests.e2e.test_api_warnings import warning
from tests.e2e.test_web_form import login

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

#: the console's main pages; extend freely
PAGES = [
    "/web/", "/web/incidents", "/web/incidents/{incident}", "/web/report",
    "/web/warnings", "/web/warnings/{warning}", "/web/warnings/{draft}", "/web/warnings/new",
    "/web/responses", "/web/responses/{response}", "/web/responses/new?incident={incident}",
    "/web/directory", "/web/directory/{body}",
    "/web/monitoring", "/web/monitoring/candidates", "/web/monitoring/feeds",
    "/web/monitoring/notices", "/web/monitoring/register", "/web/monitoring/statistics",
    "/web/preparedness", "/web/preparedness/accountability", "/web/preparedness/body/{body}",
    "/web/preparedness/support", "/web/protection",
    "/web/supervision", "/web/supervision/new", "/web/tips", "/web/kpi", "/web/admin/users",
    "/web/bulletins", "/web/shares", "/web/monitoring/incoming", "/web/inbox",
]
USERS = ("bj_admin", "bj_duty", "bj_reporter", "nat_admin")
#: pages each of these users must be able to open (others may be refused: the refusal page is
#: checked too)
MUST_OPEN = {"bj_admin": ("/web/", "/web/incidents", "/web/incidents/{incident}",
                          "/web/warnings/{warning}", "/web/responses/{response}",
                          "/web/directory/{body}", "/web/admin/users"),
             "nat_admin": ("/web/responses/{response}",)}

LOCALE = Path(fenghuo.__file__).parent / "web" / "locale"
#: the same in both languages: names and acronyms
SAME = {"TLP", "STIX", "MISP", "CSV", "JSON", "PDF", "IP", "CVE", "TAXII", "CNCERT", "URL",
        "API", "SHA-256", "MD5", "HTTP", "HTTPS", "DNS", "ID", "TLP:CLEAR", "TLP:GREEN",
        "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", "Atom", "YAML"}
#: text that names codes on purpose: what one types into a field (the indicator types)
INPUT_SYNTAX = ("每行一个，格式为“类型:值”", *(f"{name} — " for name in parsers.FORMATS))
CLAUSE_EN = re.compile(r"\barts?\.\s*\d|Plan §|CAC 2025|\bLaw art|City §")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdgf]|%[sdgf]|\{\w*\}")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _catalog(locale: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for po in sorted((LOCALE / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for m in read_po(f, locale=locale):
                if not m.id:
                    continue
                ids = m.id if isinstance(m.id, tuple) else (m.id,)
                strings = m.string if isinstance(m.string, tuple) else (m.string,)
                for i, s in enumerate(strings):
                    msgid = ids[min(i, len(ids) - 1)]
                    # an empty English msgstr is the msgid itself (gettext's fallback)
                    out.setdefault(msgid + f"\x00{i}", s or (msgid if locale == "en" else ""))
    return out


@cache
def english_fragments() -> frozenset[str]:
    """Pieces of the English catalogs' texts (between placeholders) of two words or more that
    the Chinese catalogs say otherwise."""
    en, zh = _catalog("en"), _catalog("zh_CN")
    out = set()
    for key, text in en.items():
        if zh.get(key) == text:
            continue
        for piece in PLACEHOLDER.split(text):
            piece = " ".join(piece.split()).strip(" .,:;()·—-")
            words = [w for w in WORD.findall(piece) if w not in SAME]
            if len(words) >= 2 and len(piece) >= 8:
                out.add(piece)
    return frozenset(out)


@cache
def raw_codes() -> frozenset[str]:
    """The keys of every label table (``*LABELS`` mappings of StrEnums or codes to (zh, en)
    pairs, also nested one level) that look like codes (``end_proposed``, ``especially_major``)."""
    values: set[str] = set()

    def add(table: Mapping) -> None:
        for key, pair in table.items():
            if isinstance(pair, Mapping):
                add(pair)
            elif (isinstance(key, str) and isinstance(pair, tuple) and len(pair) == 2
                    and re.fullmatch(r"[a-z][a-z0-9_]{2,}", str(key))):
                values.add(str(key))
    for info in pkgutil.walk_packages(fenghuo.__path__, "fenghuo."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - a module that needs something optional
            continue
        for name, table in vars(module).items():
            if "LABELS" in name and isinstance(table, Mapping):
                add(table)
    return frozenset(values)


class _Text(HTMLParser):
    """The text a reader sees: text nodes outside ``<script>``/``<style>``, no attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.codes: set[str] = set()  # text in <code>: rule codes, refs and input syntax
        self._skip = 0
        self._code = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag in ("code", "kbd", "samp"):
            self._code += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        elif tag in ("code", "kbd", "samp") and self._code:
            self._code -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))
            if self._code:
                self.codes.add(self.parts[-1])


def visible_text(html: str) -> tuple[list[str], set[str]]:
    """The page's text nodes, and those of them inside ``<code>``."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.parts, parser.codes


def offenders(html: str) -> list[str]:
    """What on the page is not Chinese: English catalog texts, raw codes, English clauses."""
    nodes, in_code = visible_text(html)
    text = " ¦ ".join(nodes)
    found = [f"English text {f!r}" for f in sorted(english_fragments())
             if f in text and re.search(r"(?<![A-Za-z])" + re.escape(f) + r"(?![A-Za-z])", text)]
    codes = raw_codes()
    for node in (n for n in nodes if n not in in_code and not n.startswith(INPUT_SYNTAX)):
        for token in re.findall(r"(?<![\w./:#-])[a-z][a-z0-9_]+(?![\w./:-])", node):
            if token in codes:
                found.append(f"raw code {token!r} in {node!r}")
    found += [f"English clause in {n!r}" for n in nodes if CLAUSE_EN.search(n)]
    return found


def test_the_checker_finds_what_it_looks_for():
    """The checks can fail: an English catalog text, a raw code and an English clause."""
    assert {"end_proposed", "especially_major", "acknowledged"} <= raw_codes()
    code = sorted(raw_codes())[0]
    fragment = sorted((f for f in english_fragments() if not CLAUSE_EN.search(f)), key=len)[-1]
    page = (f"<p>事件</p><p>{fragment}</p><td>{code}</td><code>rule {code}</code>"
            "<span>(Plan §4.1)</span>"
            "<script>var x = 'Law art. 21';</script><a title='Plan §2.2'>中文</a>")
    found = offenders(page)
    assert any(fragment in f for f in found) and f"raw code {code!r} in {code!r}" in found
    assert [f for f in found if "clause" in f] == ["English clause in '(Plan §4.1)'"]
    assert offenders("<p>《国家网络安全事件应急预案》4.1</p><code>110000.office</code>") == []


def _state(client, headers, rt) -> dict[str, str]:
    hq_member(rt)
    r = client.post("/api/v1/incidents", headers=headers("bj_reporter"), json=report(
        title="勒索软件感染核心系统", impact="两台主机", measures="已隔离",
        facts={"system_loss": "especially_serious"}))
    assert r.status_code == 201, r.text
    inc = r.json()["ref"]
    r = client.post(f"/api/v1/incidents/{inc}/acknowledge", headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/responses", headers=headers("nat_admin"), json={
        "incident": inc, "level": "I", "headquarters": [
            {"name": "总指挥", "title": "领导小组", "username": "hq_lead"},
            {"name": "北京联络员", "body": "110000.office"}]})
    assert r.status_code == 201, r.text
    resp = r.json()["ref"]
    r = client.post(f"/api/v1/responses/{resp}/end-proposal", headers=headers("nat_admin"),
                    json={"reason": "系统已恢复"})
    assert r.status_code == 200, r.text
    clock = rt.clock
    body = dict(title="勒索软件攻击金融机构", items=["勒索软件利用VPN漏洞"], measures=[
        {"text": "修补VPN", "deadline": warning(clock)["measures"][0]["deadline"]}])
    r = client.post("/api/v1/warnings", json=warning(clock, **body), headers=headers("bj_duty"))
    assert r.status_code == 201, r.text
    published = r.json()["ref"]
    assert client.post(f"/api/v1/warnings/{published}/approve",
                       headers=headers("bj_admin")).status_code == 200
    assert client.post(f"/api/v1/warnings/{published}/publish",
                       headers=headers("bj_duty")).status_code == 200
    r = client.post("/api/v1/warnings", json=warning(clock, **body), headers=headers("bj_duty"))
    assert r.status_code == 201, r.text
    return {"incident": inc, "response": resp, "warning": published, "draft": r.json()["ref"],
            "body": "110000.office"}


@SQLITE_ONLY
def test_chinese_pages_show_only_chinese(client, headers, rt):
    refs = _state(client, headers, rt)
    problems: list[str] = []
    for username in USERS:
        browser = client.__class__(client.app)
        login(browser, username)
        browser.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
        for page in PAGES:
            url = page.format(**refs)
            r = browser.get(url)
            if page in MUST_OPEN.get(username, ()):
                assert r.status_code == 200, (username, url, r.status_code)
            if "text/html" not in r.headers.get("content-type", ""):
                continue
            assert r.headers.get("content-language") == "zh-CN", (username, url)
            problems += [f"{username} {url}: {x}" for x in offenders(r.text)]
    assert not problems, "\n".join(problems)
