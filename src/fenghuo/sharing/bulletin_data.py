"""Pure rules of the weekly 《网络安全信息与动态周报》 and monthly 《网络安全月报》 (Plan §3.2;
Support rights 2: support units receive the bulletins): the period, titles, tallies with the
change against the previous period, which incidents are notable, which items a bulletin may
list individually under TLP 2.0, and the bulletin's own label. No I/O.

**Readers and TLP.** A bulletin is written for its distribution list, on which the support
units stand by right; they are COMMUNITY readers (``sharing.tlp.Relation``). So a bulletin
lists individually only items whose label reaches the community (TLP:CLEAR, TLP:GREEN); its
counts cover everything in the issuer's scope (Law art. 30), which discloses no item, and the
bulletin says so. The figures are labelled TLP:GREEN (not for the public); the bulletin's label
is the strictest of its sections' (``sharing.tlp.strictest``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from fenghuo.common.periods import Month, Week
from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.sharing.tlp import Relation, Tlp, may_receive, strictest


class Kind(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


#: (Chinese, English) name of each kind; the Chinese is printed in 《》
TITLES: Mapping[Kind, tuple[str, str]] = {
    Kind.WEEKLY: ("网络安全信息与动态周报", "Cybersecurity Information and Trends Weekly"),
    Kind.MONTHLY: ("网络安全月报", "Cybersecurity Monthly Report"),
}

#: who reads a bulletin: the support units on its list by right (Support rights 2)
AUDIENCE = Relation.COMMUNITY

#: the figures count items of every label in scope: they are for the community, not the public
FIGURES_TLP = Tlp.GREEN

#: notable incidents: relatively major (Level III) and above (Plan §1.4), the grades whose
#: response is activated by a region or higher (Plan §4.2)
NOTABLE_GRADES = ("especially_major", "major", "relatively_major")
#: a bulletin lists at most this many notable incidents, most serious first; the rest are
#: counted and said to be there (a readable document at national scale: issue 21 item 3)
NOTABLE_LISTED = 100
NOTABLE_RULE = ("较大及以上（Ⅲ级及以上）网络安全事件",
                "relatively major and above (Level III and above)")

#: issuing bodies: the Emergency Office and the offices of the regions (Plan §3.2, §2.2), and
#: CNCERT and its branches (Support rights 2: CNCERT's bulletins to its support units)
ISSUER_KINDS = ("office", "cert")


def parse_period(kind: Kind | str, text: str) -> Week | Month:
    """``2026-W47`` for a weekly bulletin, ``2026-11`` for a monthly one; ValueError if not."""
    period: Week | Month = Week.parse(text) if Kind(kind) == Kind.WEEKLY else Month.parse(text)
    if not 2000 <= period.year <= 2199:
        raise ValueError(f"{text!r}: the year is out of range")
    return period


def last_complete(kind: Kind | str, today: date) -> Week | Month:
    """The last whole period before ``today`` (China Standard Time): last ISO week on any day of
    this week, last month on any day of this month."""
    if Kind(kind) == Kind.WEEKLY:
        return Week.of(today).previous()
    return Month.of(today).previous()


def due_today(kind: Kind | str, today: date) -> bool:
    """The scheduled generation: the weekly bulletin on Monday, the monthly on the 1st (China
    Standard Time), each for the period just ended."""
    return today.isoweekday() == 1 if Kind(kind) == Kind.WEEKLY else today.day == 1


def title(kind: Kind | str, period: Week | Month) -> tuple[str, str]:
    """The bulletin's title in Chinese and English, e.g. 《网络安全月报》（2026年11月）."""
    zh, en = TITLES[Kind(kind)]
    if isinstance(period, Week):
        return (f"《{zh}》（{period.year}年第{period.week}周）",
                f"{en}, week {period.week} of {period.year} ({period})")
    return (f"《{zh}》（{period.year}年{period.month}月）", f"{en}, {period}")


def may_issue(body_kind: str) -> Decision:
    """Bulletins are issued by an office or by CNCERT or a branch, for their scope (Plan §3.2;
    Support rights 2)."""
    if body_kind in ISSUER_KINDS:
        return decide((), Reason("bulletin.issuer", "Plan §3.2; Support rights 2",
                                 "应急办公室或国家互联网应急中心（分中心）发布通报",
                                 "offices and CNCERT (or a branch) issue bulletins"))
    return decide([Reason("bulletin.not_issuer", "Plan §3.2; Support rights 2",
                          "只有应急办公室或国家互联网应急中心（分中心）可以发布网络安全通报",
                          "only an office or CNCERT (or a branch) issues bulletins")])


def scope_words(body_kind: str, jurisdiction_zh: str, jurisdiction_en: str,
                issuer_zh: str, issuer_en: str) -> dict:
    """What a bulletin's figures cover, in words. An office's scope is its jurisdiction (管辖
    范围, Plan §2.2); CNCERT and its branches have none: they work over the public internet of
    their region (Plan §2.3, §3.2), so their scope is named by the region (全国, 北京市)."""
    if body_kind == "office":
        return {"zh": f"{issuer_zh}管辖范围内", "en": f"within the jurisdiction of {issuer_en}"}
    national = jurisdiction_en.lower() == "national"
    return {"zh": f"{jurisdiction_zh}范围内",
            "en": "nationwide" if national else f"in {jurisdiction_en}"}


def listable(tlp: Tlp | str) -> bool:
    """Whether an item may be listed individually in a bulletin for its readers (TLP 2.0)."""
    return may_receive(tlp, AUDIENCE).allowed


def change(now: int, before: int) -> dict:
    """The change against the previous period: difference and percentage (None from zero)."""
    pct = None if before == 0 else round((now - before) * 100 / before)
    return {"count": now, "previous": before, "delta": now - before, "pct": pct}


@dataclass(frozen=True)
class Row:
    """A category of a tally: its code and (Chinese, English) label."""

    code: str
    zh: str
    en: str


def tally(current: Iterable[str], previous: Iterable[str], rows: Sequence[Row],
          *, keep_empty: bool = False) -> list[dict]:
    """Counts per code this period and the previous, in the order of ``rows`` (codes not in
    ``rows`` are appended under their own name); rows empty in both periods are left out unless
    ``keep_empty``."""
    now, before = Counter(current), Counter(previous)
    known = {r.code for r in rows}
    extra = sorted((set(now) | set(before)) - known)
    out = []
    for r in [*rows, *(Row(c, c, c) for c in extra)]:
        if keep_empty or now[r.code] or before[r.code]:
            out.append({"code": r.code, "zh": r.zh, "en": r.en,
                        **change(now[r.code], before[r.code])})
    return out


def bulletin_tlp(section_labels: Mapping[str, Sequence[Tlp | str]]) -> tuple[dict[str, str], Tlp]:
    """Each section's label (the strictest of what it lists, the figures at least
    ``FIGURES_TLP``) and the bulletin's (the strictest section)."""
    sections = {name: strictest([FIGURES_TLP, *labels]) if name == "figures"
                else strictest(list(labels)) for name, labels in section_labels.items()}
    return ({k: v.value for k, v in sections.items()}, strictest(list(sections.values())))


def bars(rows: Sequence[dict], *, width: float = 100.0) -> list[dict]:
    """Bar lengths for a chart of ``rows`` (as from :func:`tally`): this period and the previous
    on the same scale, in units of ``width`` for the longest."""
    top = max([1, *(r["count"] for r in rows), *(r["previous"] for r in rows)])
    return [{**r, "bar": round(r["count"] * width / top, 2),
             "bar_previous": round(r["previous"] * width / top, 2)} for r in rows]
