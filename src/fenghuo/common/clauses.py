"""Clause citations said in Chinese or English (pure: no I/O).

The code cites its clauses in a short English form ("Plan §4.1", "Law art. 21", "CAC 2025 art. 4
(escalation)", "Law arts. 55, 56; Plan §2.3"); a Chinese page shows them as a Chinese reader
writes them ("《国家网络安全事件应急预案》4.1", "《网络安全法》第二十一条",
"《网络安全事件报告管理办法》第四条（逐级报告）"). :func:`parse` reads a citation into its parts
(document, articles/sections, notes); :func:`render` says it in a language. English is the form the
code writes, so ``render(s, "en")`` is ``s``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: the documents cited, longest prefix first: (prefix, Chinese title)
DOCUMENTS: tuple[tuple[str, str], ...] = (
    ("CAC 2025 grading guide (final)", "《网络安全事件分级指南》（2025年正式版）"),
    ("CAC grading guide, 2023-12-08 draft only",
     "《网络安全事件分级指南》（2023年12月8日征求意见稿）"),
    ("CAC 2025", "《网络安全事件报告管理办法》"),
    ("Plan", "《国家网络安全事件应急预案》"),
    ("Law", "《网络安全法》"),
    ("City", "《城市网络安全突发事件组织体系》"),
    ("Support", "《应急服务支撑单位合作方案》"),
    ("FIRST TLP 2.0", "FIRST TLP 2.0"),
    ("GB/T 2260", "GB/T 2260"),
)

#: notes (in parentheses or after a clause) the code writes in English, said in Chinese
NOTES: dict[str, str] = {
    "escalation": "逐级报告",
    "CII operator: 1 h": "关键信息基础设施运营者：1小时",
    "central and state organs: 2 h": "中央和国家机关：2小时",
    "other operators: 4 h": "其他单位：4小时",
    "in time": "及时",
    "immediately": "立即",
    "by analogy": "参照适用",
    "project rule": "本系统规则",
    "project reading": "本系统解读",
    "project flow": "本系统流程",
    "project heuristic": "本系统推断",
    "project reading of the likelihood": "可能性由本系统判断",
    "important system": "重要网络和信息系统",
    "important sensitive information": "重要敏感信息",
    "not confirmed in the final 2025 text": "2025年正式文本未确认",
    "quoted in a CAC-sourced compliance note": "引自网信办来源的合规说明",
    "secondary source freshfromchina.com": "二手来源 freshfromchina.com",
    "final": "正式版",
}

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """``n`` (0–9999) in Chinese numerals as articles are numbered: 21 → 二十一, 10 → 十."""
    if n < 0 or n > 9999:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero and out:
                out += "零"
            out += _DIGITS[d] + unit
            zero = False
        elif out:
            zero = True
    return out


@dataclass(frozen=True)
class Part:
    """One cited place: the document's Chinese title (None when it continues the one before),
    the place inside it in English and in Chinese, and the notes."""

    document: str | None
    place_en: str
    place_zh: str
    notes: tuple[str, ...] = ()


_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
_NUM = r"\d+(?:\.\d+)*"


_ARTICLE_DOCS = ("《网络安全法》", "《网络安全事件报告管理办法》")


def _one_article(item: str) -> str:
    """"54(3)" → 第五十四条第（三）项, "51–52" → 第五十一条至第五十二条."""
    m = re.fullmatch(r"(\d+)(?:\s*[–-]\s*(\d+))?(?:\s*\((\d+)\))?", item.strip())
    if not m:
        return item.strip()
    out = f"第{chinese_number(int(m.group(1)))}条"
    if m.group(2):
        out += f"至第{chinese_number(int(m.group(2)))}条"
    if m.group(3):
        out += f"第（{chinese_number(int(m.group(3)))}）项"
    return out


def _articles(m: re.Match) -> str:
    return "、".join(_one_article(x) for x in m.group(1).split(","))


_ART_ITEM = r"\d+(?:\s*[–-]\s*\d+)?(?:\s*\(\d+\))?"

#: places inside a document: (pattern, replacement) applied in order
_PLACES: tuple[tuple[re.Pattern, object], ...] = (
    (re.compile(r"\barts?\.\s*(" + _ART_ITEM + r"(?:\s*,\s*" + _ART_ITEM + r")*)"), _articles),
    (re.compile(r"§\s*(" + _NUM + r")\s*[–-]\s*§?\s*(" + _NUM + r")"), r"\1至\2"),
    (re.compile(r"§\s*(" + _NUM + r")"), r"\1"),
    (re.compile(r"¶\s*(\d+)\s*[–-]\s*(\d+)"),
     lambda m: f"第{chinese_number(int(m.group(1)))}至{chinese_number(int(m.group(2)))}\0"),
    (re.compile(r"¶\s*(\d+)"), lambda m: f"第{chinese_number(int(m.group(1)))}\0"),
    (re.compile(r"\bcriteria\s+(\S)\s*[–-]\s*(\S)"), r"第\1至\2项标准"),
    (re.compile(r"\bcriterion\s+(\S)"), r"第\1项标准"),
    (re.compile(r"\bannex\s+(\d+)"), r"附件\1"),
    (re.compile(r"\bitem\s+(\d+)"), r"第\1项"),
    (re.compile(r"\bobligations?\s+(\d+)(?:\s*[–-]\s*(\d+))?"),
     lambda m: f"义务第{m.group(1)}" + (f"至{m.group(2)}" if m.group(2) else "") + "项"),
    (re.compile(r"\brights\s+(\d+)"), r"权益第\1项"),
    (re.compile(r"\bissue\s+(\d+)"), r"本系统第\1号议题"),
    (re.compile(r"\s*,\s*"), "、"),
    (re.compile(r"\s*\((\d+)\)"), r"（\1）"),
    (re.compile(r"\s+(?=第)"), ""),
)

_UNITS = ((re.compile(r"(\d+(?:\.\d+)?)\s*h\b"), r"\1小时"),
          (re.compile(r"(\d+(?:\.\d+)?)\s*days?\b"), r"\1日"))


def _note_zh(note: str) -> str | None:
    """A note in Chinese: known notes translated, Chinese kept, ``N h``/``N days`` in Chinese
    units; None for English prose the project has no Chinese for (the Chinese page leaves it out,
    the English page shows it)."""
    note = note.strip()
    if not note:
        return None
    if note in NOTES:
        return NOTES[note]
    if ";" in note:
        parts = [_note_zh(p) for p in note.split(";")]
        kept = [p for p in parts if p]
        return "；".join(kept) if kept else None
    m = re.fullmatch(r"profile\s+(\S+)", note)
    if m:
        return f"分级方案 {m.group(1)}"
    m = re.fullmatch(r"(.+?)\s*\(([^()]*)\)", note)
    if m:  # "24 h (tip_decide_hours)"
        head = _note_zh(m.group(1))
        return f"{head}（{m.group(2)}）" if head else None
    out = note
    for pattern, repl in _UNITS:
        out = pattern.sub(repl, out)
    if re.fullmatch(r"[\d.]+(小时|日)", out):
        return out
    if _CJK.search(note) and not re.search(r"[A-Za-z]{3,}", note):
        return note
    return None


def _split(text: str, sep: str) -> list[str]:
    """``text`` split on ``sep`` outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(depth - 1, 0)
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def _place_zh(place: str, document: str | None) -> str:
    """The place inside ``document``: articles 第N条, sections as numbered, paragraphs 第N款 of
    an article and 第N段 of a section."""
    out = place.strip()
    for pattern, repl in _PLACES:
        out = pattern.sub(repl, out)  # type: ignore[arg-type]
    return out.replace("\0", "款" if document in _ARTICLE_DOCS else "段").strip()


def _segment(segment: str, before: str | None) -> Part | None:
    """One ``;``-separated piece: a document's places with notes (``before`` is the document of
    the piece before, which a piece naming none continues), or a bare note."""
    text = segment.strip()
    if not text:
        return None
    document = None
    for prefix, title in DOCUMENTS:
        if text == prefix or text.startswith(prefix + " ") or text.startswith(prefix + ","):
            document, text = title, text[len(prefix):].lstrip(" ,")
            break
    # "project rule: 24 h (tip_decide_hours)"
    m = re.fullmatch(r"([A-Za-z ]+):\s*(.+)", text)
    if m and document is None and m.group(1).strip() in NOTES:
        value = _note_zh(m.group(2))
        note = NOTES[m.group(1).strip()] + (f"：{value}" if value else "")
        return Part(None, segment, "", (note,))
    notes: list[str] = []

    def keep_note(m: re.Match) -> str:
        inner = m.group(1)
        if re.fullmatch(r"\d+|[a-z]", inner):  # an item number, "(3)"
            return m.group(0)
        notes.append(inner)
        return ""
    place = re.sub(r"\s*\(([^()]*)\)", keep_note, text).strip()
    zh_notes = tuple(n for n in (_note_zh(x) for x in notes) if n)
    if document is None and not re.search(r"§|¶|\barts?\.|\bannex|\bcriteri|\bissue", place):
        note = _note_zh(place)
        return Part(None, segment, "", ((note,) if note else ()) + zh_notes)
    return Part(document, segment, _place_zh(place, document or before), zh_notes)


def parse(source: str) -> list[Part]:
    """The places ``source`` cites, in order (a piece without a document continues the one
    before it, as in "Plan §3.3; §3.5"); notes are in Chinese."""
    parts, document = [], None
    for piece in _split(source or "", ";"):
        part = _segment(piece, document)
        if part:
            document = part.document or document
            parts.append(part)
    return parts


@lru_cache(maxsize=4096)  # the citations are the code's own, a few hundred; lists repeat them
def render(source: str | None, locale: str = "zh_CN") -> str:
    """``source`` said in ``locale`` ("en" keeps the code's English form)."""
    if not source:
        return ""
    if locale == "en":
        return source
    out = []
    for part in parse(source):
        text = (part.document or "") + part.place_zh
        if text:
            text += "".join(f"（{n}）" for n in part.notes)
        else:
            text = "；".join(part.notes)
        if text:
            out.append(text)
    return "；".join(out)


_ONE = (r"(?:(?:Plan|Law|CAC 2025|City) )?(?:§\d+(?:\.\d+)*(?:[–-]§?\d+(?:\.\d+)*)?(?: ¶\d+)?"
        r"(?: ?\(\d\))?|arts?\. \d+(?:\(\d\))?(?:, \d+(?:\(\d\))?)*)")
_IN_TEXT = re.compile(r"(?:Plan|Law|CAC 2025|City) (?:§\d+(?:\.\d+)*(?:[–-]§?\d+(?:\.\d+)*)?"
                      r"(?: ¶\d+)?(?: ?\(\d\))?|arts?\. \d+(?:\(\d\))?(?:, \d+(?:\(\d\))?)*)"
                      r"(?:(?:[；;]|, ?)" + _ONE + ")*")


def in_text(text: str | None, locale: str = "zh_CN") -> str:
    """``text`` with the citations it contains ("…（Plan §8.1）") said in ``locale``."""
    if not text or locale == "en":
        return text or ""
    return _IN_TEXT.sub(lambda m: render(m.group(0).replace("；", ";"), locale), text)
