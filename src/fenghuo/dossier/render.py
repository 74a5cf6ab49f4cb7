"""The dossier as JSON (the record) and as HTML and PDF (the document a person sends).

The PDF's footer carries the SHA-256 of the JSON export of the same dossier, so the two files
can be matched. Times are shown in one time zone, named on the first page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from fenghuo.dossier.service import Dossier
from fenghuo.incident import grading
from fenghuo.incident import rules as incident_rules
from fenghuo.response import ending, investigation
from fenghuo.response import rules as response_rules

DEFAULT_TIMEZONE = "Asia/Shanghai"


def to_json(dossier: Dossier) -> bytes:
    """The dossier as UTF-8 JSON; the same dossier always gives the same bytes."""
    return dossier.model_dump_json(indent=2).encode("utf-8")


def json_sha256(dossier: Dossier) -> str:
    return hashlib.sha256(to_json(dossier)).hexdigest()


def to_html(dossier: Dossier, *, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The dossier as a bilingual (中文 / English) HTML document, laid out for A4 print."""
    tz = ZoneInfo(timezone)
    return _env().get_template("dossier.html").render(
        d=dossier, i=dossier.incident, tz_name=timezone,
        tz_offset=_offset(dossier.generated_at, tz),
        json_sha256=json_sha256(dossier), timeline=_timeline(dossier),
        grading_history=[e for e in dossier.incident.timeline
                         if e.kind in ("graded", "regraded")],
        facts=_facts(dossier.incident.facts),
        when=lambda moment: _when(moment, tz), label=_label,
        sections=investigation.REPORT_SECTIONS,
        address=_address, detail=_detail, size=_size)


def to_pdf(dossier: Dossier, *, timezone: str = DEFAULT_TIMEZONE) -> bytes:
    """The dossier as an A4 PDF with page numbers; Chinese is set in Noto Sans CJK SC (Debian
    ``fonts-noto-cjk``)."""
    from weasyprint import HTML  # heavy: imported only when a PDF is made

    return HTML(string=to_html(dossier, timezone=timezone), url_fetcher=_fetch_nothing).write_pdf()


def _fetch_nothing(url: str, *args: Any, **kwargs: Any) -> dict:
    """The document is self-contained: nothing named in it is ever fetched."""
    raise ValueError(f"the dossier fetches no resources ({url[:100]})")


@cache
def _env() -> Environment:
    return Environment(loader=PackageLoader("fenghuo.dossier", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


# --- labels (presentation only; the rules' own labels where they exist) -----------------------

LABELS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "incident_state": incident_rules.STATE_LABELS,
    "grade": grading.GRADE_LABELS,
    "degree": grading.DEGREE_LABELS,
    "level": response_rules.LEVEL_LABELS,
    "support_state": response_rules.SUPPORT_STATE_LABELS,
    "progress_state": {**response_rules.PROGRESS_LABELS,
                       "not_required": ("无需报告", "not required")},
    "investigation_clock": investigation.INVESTIGATION_STATE_LABELS,
    "report_state": investigation.REPORT_STATE_LABELS,
    "organizer": investigation.ORGANIZER_LABELS,
    "notify": ending.NOTIFY_LABELS,
    "response_state": response_rules.RESPONSE_STATE_LABELS,
    "role": response_rules.PARTICIPANT_ROLE_LABELS,
    "duty_kind": {"report": ("报告时限", "reporting deadline"),
                  "acknowledge": ("接收时限", "acknowledgement deadline"),
                  "final_report": ("总结报告时限", "final report deadline")},
    "clock": {"met": ("按时", "met"), "late": ("迟延", "late"), "due": ("未到期", "due"),
              "overdue": ("已逾期", "overdue")},
    "delivery": {"pending": ("待发送", "pending"), "sending": ("发送中", "sending"),
                 "delivered": ("已送达", "delivered"), "dead": ("投递失败", "failed")},
    "event": {
        "reported": ("首报", "first report"), "graded": ("定级", "graded"),
        "regraded": ("重新定级", "regraded"), "routed": ("报送", "routed"),
        "no_channel": ("无可用渠道", "no channel"), "supplementary": ("补报", "supplementary"),
        "acknowledged": ("接收确认", "acknowledged"), "state": ("状态变更", "state changed"),
        "finding": ("认定", "finding"), "clock_overdue": ("时限逾期", "clock overdue"),
        "evidence_added": ("保存证据", "evidence preserved"),
        "from_tip": ("来自举报", "from a tip"), "activated": ("启动响应", "response activated"),
        "progress": ("进展报告", "progress report"),
        "progress_overdue": ("进展报告逾期", "progress report overdue"),
        "support_requested": ("请求支援", "support requested"),
        "dispatched": ("派出支援", "support dispatched"),
        "end_proposed": ("建议结束", "end proposed"), "ended": ("响应结束", "response ended"),
        "investigation_submitted": ("调查报告提交审核", "investigation submitted"),
        "investigation_approved": ("调查报告批准", "investigation approved"),
    },
}

FACT_LABELS: Mapping[str, tuple[str, str]] = {
    "system_loss": ("系统损失（标准①）", "system loss (criterion ①)"),
    "data_threat": ("数据安全威胁（标准②）", "threat from data (criterion ②)"),
    "other_threat": ("其他威胁（标准③）", "other threat (criterion ③)"),
    "outage_hours": ("中断时长（小时）", "outage (hours)"),
    "people_affected": ("影响人数", "people affected"),
    "personal_records_leaked": ("泄露个人信息（条）", "personal records leaked"),
    "direct_loss_yuan": ("直接经济损失（元）", "direct loss (yuan)"),
    "defacement_exposure": ("篡改页面浏览量", "defacement exposure"),
    "provincial_portal": ("省级以上党政门户", "provincial-or-above portal"),
    "prefectural_portal": ("地市级党政门户", "prefecture-level portal"),
    "main_function_outage_hours": ("主要功能中断（小时）", "main function outage (hours)"),
    "province_population_pct": ("影响全省人口比例（%）", "province population affected (%)"),
    "prefecture_population_pct": ("影响地市人口比例（%）",
                                  "prefecture population affected (%)"),
    "defacement_homepage_hours": ("首页被篡改（小时）", "homepage defaced (hours)"),
    "defacement_other_page_hours": ("其他页面被篡改（小时）", "other page defaced (hours)"),
    "defacement_reposts": ("篡改内容转发量", "reposts of defaced content"),
}


def _label(kind: str, value: Any) -> tuple[str, str]:
    """(Chinese, English) label of ``value`` of a kind; the raw value when none is known."""
    if value is None:
        return "—", "—"
    found = LABELS[kind].get(str(value))
    return found if found else (str(value), str(value))


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _offset(moment: datetime, tz: ZoneInfo) -> str:
    z = moment.astimezone(tz).strftime("%z")
    return f"UTC{z[:3]}:{z[3:]}"


def _address(address: str) -> str:
    """A delivery address as printed: URLs lose their query, fragment and credentials (robot
    webhooks carry their access token there). The JSON export keeps the whole address."""
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https"):
        return address
    secret = bool(parts.query or parts.fragment or "@" in parts.netloc)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "…" if secret else "", ""))


def _detail(detail: Mapping[str, Any]) -> list[str]:
    """An event's detail as short ``key: value`` lines; reasons by their code (their text is
    printed where they belong, e.g. the basis of a response's activation)."""
    out = []
    for key, value in detail.items():
        items = value if isinstance(value, list) else [value]
        text = ", ".join(_short(v) for v in items)
        out.append(f"{key}: {text if len(text) <= 300 else text[:299] + '…'}")
    return out


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return str(value["code"]) if "code" in value else json.dumps(
            value, ensure_ascii=False, default=str)
    return "—" if value is None else str(value)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _facts(facts: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Known facts as (Chinese label, English label, value); unknowns and false flags left out."""
    out = []
    for key, value in facts.items():
        if value is None or value is False:
            continue
        zh, en = FACT_LABELS.get(key, (key, key))
        if value is True:
            shown = "是 yes"
        elif key in ("system_loss", "data_threat", "other_threat"):
            shown = " / ".join(_label("degree", value))
        else:
            shown = str(value)
        out.append((zh, en, shown))
    return out


def _timeline(d: Dossier) -> list[dict]:
    """The incident's and its responses' timelines, merged in time order."""
    entries = [{"at": e.at, "record": d.incident.ref, "kind": e.kind, "actor": e.actor,
                "detail": e.detail} for e in d.incident.timeline]
    for r in d.responses:
        entries += [{"at": e.at, "record": r.ref, "kind": e.kind, "actor": e.actor,
                     "detail": e.detail} for e in r.timeline]
    return sorted(entries, key=lambda e: e["at"])
