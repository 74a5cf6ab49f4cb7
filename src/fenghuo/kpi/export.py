"""The KPIs of a report as CSV rows (issue 19 item 10): one row per KPI and body (the
all-bodies row has an empty ``body``), then one per support unit; hours with two decimals."""

from __future__ import annotations

import csv
import io

from fenghuo.kpi import rules
from fenghuo.kpi.rules import DEFINITIONS
from fenghuo.kpi.service import KpiReport

HEAD = ["period", "kpi", "kpi_zh", "kpi_en", "body", "body_zh", "body_en", "n", "open",
        "median_hours", "p90_hours", "mean_hours", "total_hours", "target_hours", "source"]
SUPPORT = ("support_hours", "支撑单位工时", "Support-unit hours",
           "Support obligation 5 (5×8 h a month)")


def rows(out: KpiReport) -> list[list[str]]:
    f = rules.fmt_hours
    lines = [[out.period, r.kpi.value, DEFINITIONS[r.kpi].zh, DEFINITIONS[r.kpi].en, r.body.key,
              r.body.zh, r.body.en, str(r.summary.n), str(r.summary.open), f(r.summary.median),
              f(r.summary.p90), f(r.summary.mean), "", "", DEFINITIONS[r.kpi].source]
             for r in out.rows]
    code, zh, en, source = SUPPORT
    lines += [[out.period, code, zh, en, r.body.key, r.body.zh, r.body.en, str(r.entries), "",
               "", "", "", f(r.hours), f(r.target), source] for r in out.support]
    return lines


def to_csv(out: KpiReport) -> str:
    """The CSV text, with a byte-order mark so that spreadsheet programs read the Chinese names
    as UTF-8."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEAD)
    w.writerows(rows(out))
    return "\ufeff" + buf.getvalue()


def filename(out: KpiReport) -> str:
    return f"fenghuo-kpi-{out.period}{'-' + out.body.key if out.body else ''}.csv"
