"""Clause citations in Chinese (issue 19 item 6): the forms the code base writes, collected from
its source, all read as Chinese; the English form is kept as it is."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import fenghuo
from fenghuo.common.clauses import chinese_number, in_text, parse, render
from fenghuo.incident import grading

SRC = Path(fenghuo.__file__).parent
START = re.compile(r"^(Plan §|Plan annex|Law arts?\.|CAC 2025|CAC grading|City §"
                   r"|Support (obligation|rights) )")
#: what may stay Latin in a Chinese citation: names of standards, profiles and settings
LATIN_OK = re.compile(r"FIRST|TLP|GB/T|cac2025|tip_\w+|freshfromchina\.com|[a-z]\)")


def cited_in_code() -> set[str]:
    """Every string constant of the code base that is a citation (not a sentence about one:
    those with ": " or a full stop are sentences; an f-string's unbalanced head is left to the
    cases written out below)."""
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and START.match(node.value) and "\n" not in node.value
                    and len(node.value) < 90 and ": " not in node.value.strip()
                    and not node.value.rstrip().endswith(".") and "e.g." not in node.value
                    and node.value.count("(") == node.value.count(")")):
                found.add(node.value.strip())
    return found


def profile_sources() -> set[str]:
    out = set()
    for name in grading.available_profiles():
        out |= {t.source for t in grading.load_profile(name).thresholds}
    return out


def test_the_code_cites_many_forms():
    forms = cited_in_code()
    assert len(forms) > 100
    assert {"Plan §4.1", "Law art. 14", "CAC 2025 art. 4 (escalation)"} <= forms


@pytest.mark.parametrize("source", sorted(cited_in_code()) + [
    "Law art. 14 (in time); project rule: 24 h (tip_decide_hours)",
    "Plan §1.4 (1) criterion ①; annex 2 (important system); annex 3 a)",
    "Plan §1.4 (profile cac2025)", "Support obligation 4–5"])
def test_every_citation_of_the_code_reads_as_chinese(source):
    zh = render(source)
    assert zh and not re.search(r"§|¶|\barts?\.|\bPlan\b|\bLaw\b|CAC 2025", zh), zh
    rest = LATIN_OK.sub("", zh)
    assert not re.search(r"[A-Za-z]{2,}", rest), zh
    assert render(source, "en") == source


def test_grading_profile_sources_read_as_chinese():
    sources = profile_sources()
    assert sources
    for source in sources:
        zh = render(source)
        assert "《网络安全事件分级指南》" in zh and "CAC" not in zh, zh


@pytest.mark.parametrize(("source", "zh"), [
    ("CAC 2025 art. 4 (escalation)", "《网络安全事件报告管理办法》第四条（逐级报告）"),
    ("Plan §4.1", "《国家网络安全事件应急预案》4.1"),
    ("Law art. 21", "《网络安全法》第二十一条"),
    ("Law arts. 55, 56; Plan §2.3",
     "《网络安全法》第五十五条、第五十六条；《国家网络安全事件应急预案》2.3"),
    ("Law art. 54(3); art. 51", "《网络安全法》第五十四条第（三）项；第五十一条"),
    ("Law art. 42 ¶2", "《网络安全法》第四十二条第二款"),
    ("Plan §3.3 ¶1, ¶3", "《国家网络安全事件应急预案》3.3第一段、第三段"),
    ("Plan §3.3; §3.5", "《国家网络安全事件应急预案》3.3；3.5"),
    ("Plan §4.2–§4.3", "《国家网络安全事件应急预案》4.2至4.3"),
    ("Plan §5 (project flow)", "《国家网络安全事件应急预案》5（本系统流程）"),
    ("Plan §3.4.1 (2)", "《国家网络安全事件应急预案》3.4.1（2）"),
    ("Plan §3.3 ¶1 (本地区、本行业)", "《国家网络安全事件应急预案》3.3第一段（本地区、本行业）"),
    ("Plan §3.2; Law arts. 51–52",
     "《国家网络安全事件应急预案》3.2；《网络安全法》第五十一条至第五十二条"),
    ("CAC 2025 art. 8 (30 days)", "《网络安全事件报告管理办法》第八条（30日）"),
    ("Law art. 14 (in time); project rule: 24 h (tip_decide_hours)",
     "《网络安全法》第十四条（及时）；本系统规则：24小时（tip_decide_hours）"),
])
def test_examples(source, zh):
    assert render(source) == zh


def test_parse_keeps_the_document_for_pieces_that_continue_it():
    parts = parse("Law art. 54(3); art. 51")
    assert [p.document for p in parts] == ["《网络安全法》", None]
    assert [p.place_en for p in parts] == ["Law art. 54(3)", " art. 51"]


@pytest.mark.parametrize(("n", "zh"), [(1, "一"), (10, "十"), (14, "十四"), (21, "二十一"),
                                       (30, "三十"), (56, "五十六"), (100, "一百"),
                                       (105, "一百零五"), (110, "一百一十")])
def test_chinese_numbers(n, zh):
    assert chinese_number(n) == zh


def test_citations_inside_a_sentence():
    text = "应急预案每年评估一次（Plan §8.1）、演练（Plan §6.2；Law art. 34）"
    assert in_text(text) == ("应急预案每年评估一次（《国家网络安全事件应急预案》8.1）、"
                             "演练（《国家网络安全事件应急预案》6.2；《网络安全法》第三十四条）")
    assert in_text(text, "en") == text


def test_a_constant_clause_in_a_template_follows_each_pages_language():
    # Jinja folds a filter of a constant when it compiles a template; the locale-dependent
    # filters must not be folded, or a template first compiled for an English page keeps its
    # English clauses on every Chinese page after (seen in the suite, order-dependent)
    from fenghuo.web import i18n
    from fenghuo.web.pages import templates

    page = templates.env.from_string('{{ "Plan §3.3 ¶3" | clause }} {{ ("中", "en") | label }}')
    i18n.activate("en", "Asia/Shanghai")
    assert page.render() == "Plan §3.3 ¶3 en"
    i18n.activate("zh_CN", "Asia/Shanghai")
    assert page.render() == render("Plan §3.3 ¶3", "zh_CN") + " 中"
    assert "§" not in page.render()
