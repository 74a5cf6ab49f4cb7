"""Issue 19 item 3: the report form speaks the default grading profile (CAC 2025 grading guide):
its quantitative facts with their units and thresholds, the TLP, the provisional grade as the
user types (POST /web/report/grade, the server's own grading) and a filed report carrying the
facts and TLP, graded exactly as the API grades them. Both databases (the ``rt`` fixture)."""

from __future__ import annotations

import html
import re

from fenghuo.incident import grading
from tests.e2e.test_web_form import csrf, form_fields, login

FACTS = {"outage_hours": "1.5", "people_affected": "12万", "personal_records_leaked": "1,000,000",
         "direct_loss_yuan": "5000000", "defacement_exposure": "20000"}
AS_NUMBERS = {"outage_hours": 1.5, "people_affected": 120000, "personal_records_leaked": 1000000,
              "direct_loss_yuan": 5000000, "defacement_exposure": 20000}


def _report_page(client):
    login(client)
    page = client.get("/web/report")
    assert page.status_code == 200
    return page


def _incident_count(client, headers) -> int:
    return client.get("/api/v1/incidents", headers=headers("bj_admin")).json()["total"]


def test_the_form_renders_the_profiles_fields_thresholds_and_tlp(client):
    page = _report_page(client).text
    profile = grading.load_profile("cac2025")
    for quantity in {t.quantity for t in profile.thresholds}:  # from the profile, every one
        assert f'name="{quantity}"' in page and f'id="{quantity}-crossed"' in page
    for t in profile.thresholds:
        assert f'data-reason="cac2025.{t.code}.{t.grade.value}"' in page
    assert "中断：系统中断运行或不能访问的时长 <span class=\"hint\">(小时)</span>" in page
    assert ("≥ 6 小时：特别重大（I级），依据 《网络安全事件分级指南》（2025年正式版）特别重大第2项"
            in page)
    assert "≥ 1亿 人：特别重大（I级）" in page  # personal information, as people write it
    assert 'name="provincial_portal"' in page  # a flag a threshold of the profile requires
    tlp = re.search(r'<select id="tlp" name="tlp"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'value="([^"]+)"', tlp) == ["clear", "green", "amber", "amber+strict",
                                                   "red"]
    assert re.search(r'value="amber" selected', tlp)  # the API's default (ReportIn)
    assert "/web/static/report.js" in page and "<script>" not in page  # CSP: a file, not inline


def test_the_provisional_grade_is_the_servers_grading(client):
    page = _report_page(client)
    token = csrf(page.text)
    r = client.post("/web/report/grade", data={"csrf": token, "system": "core",
                                               "outage_hours": "24"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    got = r.json()
    # bj-bank is CII in the register: CAC 2025 guide 特别重大 item 2 (6 h), the draft's 2 h, 0.5 h
    expected = grading.grade(grading.GradingFacts(outage_hours=24, cii=True, important_system=True),
                             grading.load_profile("cac2025"))
    assert got["grade"] == expected.grade.value == "especially_major"
    assert got["codes"] == sorted(r.code for r in expected.reasons)
    assert got["summary"] == "暂定级别：特别重大（I级）"
    [crossed] = got["fields"]["outage_hours"]  # the gravest it crosses; the list marks all
    assert crossed["crossed"] and crossed["text"] == (
        "≥ 6 小时：特别重大（I级），依据 《网络安全事件分级指南》（2025年正式版）特别重大第2项；"
        "仅适用于：关键信息基础设施（据登记）")
    r = client.post("/web/report/grade", data={"csrf": token, "outage_hours": "1"})
    [crossed] = r.json()["fields"]["outage_hours"]
    assert crossed["text"].startswith("≥ 0.5 小时：较大（III级）")
    assert crossed["text"].endswith("征求意见稿数值，终稿未确认")  # a draft value says so
    assert r.headers["cache-control"] == "no-store"

    client.cookies.set("lang", "en")
    english = client.post("/web/report/grade", data={"csrf": token, "outage_hours": "24"}).json()
    assert english["summary"] == "Provisional grade: especially major (grade I)"
    assert english["fields"]["outage_hours"][0]["text"] == (
        "≥ 6 h: especially major (grade I) per CAC 2025 grading guide (final), 特别重大 item 2; "
        "only for: critical information infrastructure (per the register)")
    client.cookies.set("lang", "zh_CN")
    r = client.post("/web/report/grade", data={"csrf": token, "direct_loss_yuan": "500万"})
    assert r.json()["grade"] == "relatively_major"
    assert r.json()["summary"] == "暂定级别：较大（III级）"
    r = client.post("/web/report/grade", data={"csrf": token})
    assert r.json()["grade"] == "general" and r.json()["none"]

    r = client.post("/web/report/grade", data={"csrf": token, "outage_hours": "abc",
                                               "people_affected": "1.5"})
    assert r.status_code == 422
    assert r.json()["errors"] == {"outage_hours": "请输入数字。",
                                  "people_affected": "请输入整数。"}


def test_the_provisional_grade_is_scoped_and_csrf_checked(client):
    r = client.post("/web/report/grade", data={"outage_hours": "24"})
    assert r.status_code == 401 and r.json() == {"error": "login required"}
    page = _report_page(client)
    r = client.post("/web/report/grade", data={"csrf": "forged", "outage_hours": "24"})
    assert r.status_code == 403 and "grade" not in r.json()
    client.cookies.clear()
    login(client, "bj_duty")
    token = csrf(client.get("/web/report").text)
    r = client.post("/web/report/grade", data={"csrf": token, "unit": "sh-bank",
                                               "outage_hours": "24"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["unit"]  # not in its scope
    r = client.post("/web/report/grade", data={"csrf": token, "unit": "bj-telco",
                                               "outage_hours": "24"})
    got = r.json()  # bj-telco is no CII: the outage reaches the CII thresholds, which do not apply
    assert got["grade"] == "general" and got["cii"] is False
    [unmet] = got["fields"]["outage_hours"]
    assert not unmet["crossed"] and unmet["text"] == (
        "数值已达到，但该阈值仅适用于省级以上党政机关门户网站、中央重点新闻网站"
        "（≥ 24 小时：特别重大（I级））")
    assert page.status_code == 200


def test_a_report_through_the_form_carries_the_facts_and_tlp_graded_as_the_api(client, headers):
    page = _report_page(client)
    r = client.post("/web/report", data=form_fields(page.text, **FACTS, tlp="red"),
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    ref = r.headers["location"].rsplit("/", 1)[1]
    by_form = client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_admin")).json()
    assert {k: by_form["facts"][k] for k in AS_NUMBERS} == AS_NUMBERS
    assert by_form["tlp"] == "red"

    body = {"system": "core", "category": "network-attack", "subcategory":
            "network-attack.phishing", "title": "钓鱼邮件", "found_at": "2026-11-01T07:30:00Z",
            "impact": "三名员工点击", "measures": "重置口令", "facts": AS_NUMBERS, "tlp": "red"}
    by_api = client.post("/api/v1/incidents", json=body, headers=headers("bj_reporter"))
    assert by_api.status_code == 201, by_api.text
    by_api = by_api.json()
    assert by_form["grade"] == by_api["grade"] == "relatively_major"
    assert by_form["grade_reasons"] == by_api["grade_reasons"]
    assert by_form["facts"] == by_api["facts"]

    detail = client.get(f"/web/incidents/{ref}").text
    assert re.search(r'id="tlp">TLP:RED 仅限指定接收者<', detail)
    assert 'id="fact-outage_hours">1.5 小时<' in detail
    assert 'id="fact-people_affected">12万 人<' in detail
    assert 'id="fact-direct_loss_yuan">500万 元<' in detail


def test_the_tlp_defaults_to_the_apis_default(client, headers):
    page = _report_page(client)
    fields = form_fields(page.text)
    r = client.post("/web/report", data=fields, follow_redirects=False)
    ref = r.headers["location"].rsplit("/", 1)[1]
    assert client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_admin")).json()[
        "tlp"] == "amber"


def test_bad_values_are_refused_naming_the_field_and_nothing_is_written(client, headers):
    page = _report_page(client)
    before = _incident_count(client, headers)
    bad = form_fields(page.text, outage_hours="abc", people_affected="1.5",
                      direct_loss_yuan="-3", province_population_pct="101", tlp="purple",
                      defacement_exposure="inf")
    r = client.post("/web/report", data=bad)
    assert r.status_code == 422
    text = html.unescape(r.text)
    for field, message in (("outage_hours", "请输入数字。"), ("people_affected", "请输入整数。"),
                           ("direct_loss_yuan", "请输入不小于0的数字。"),
                           ("province_population_pct", "该数字过大。"),
                           ("defacement_exposure", "请输入整数。"),
                           ("tlp", "请从所列选项中选择。")):
        assert f'<span class="field-error" id="{field}-error">{message}</span>' in text, field
        assert f'href="#{field}"' in text, field
    assert 'value="abc"' in text  # what was typed is kept
    assert '<details id="more-facts" open>' in text  # a further fact with an error is shown
    assert "中断：系统中断运行或不能访问的时长</a>: 请输入数字。" in text  # the summary names it
    assert _incident_count(client, headers) == before
