"""Monitoring statistics over HTTP (issue 15 item 7): ``GET /api/v1/monitoring/statistics`` for
a week or a month in the caller's scope, a clear problem for a bad period, and the console page
(in Chinese by default) with the same numbers, on both databases."""

from __future__ import annotations

import re

from tests.e2e.test_web_form import login
from tests.integration.test_monitoring_statistics import seed


def test_api_statistics_for_a_week_and_a_month_in_scope(rt, principal, client, headers):
    seed(rt, principal)
    r = client.get("/api/v1/monitoring/statistics?period=2026-W44", headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    body = r.json()
    infected = next(x for x in body["statistics"] if x["key"] == "infected_hosts")
    assert infected["value"] == {"count": 7, "previous": 2, "delta": 5, "pct": 250}
    assert infected["name_zh"] == "感染主机" and infected["name_en"] == "infected hosts"
    assert body["previous_period"] == "2026-W43" and len(body["trend"]) == 8
    r = client.get("/api/v1/monitoring/statistics?period=2026-10", headers=headers("sh_admin"))
    assert r.status_code == 200
    assert {p["code"] for p in r.json()["provinces"]} == {"310000"}
    bad = client.get("/api/v1/monitoring/statistics?period=2026-W99",
                     headers=headers("nat_admin"))
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/monitoring/statistics?period=2026-W44").status_code == 401


def test_console_page_in_chinese_with_the_numbers(rt, principal, client):
    seed(rt, principal)
    login(client, "bj_admin")
    r = client.get("/web/monitoring/statistics?period=2026-W44",
                   headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert r.status_code == 200 and '<html lang="zh-CN">' in r.text
    assert "监测统计" in r.text and "感染主机按省（区、市）分布" in r.text
    card = re.search(r'id="stat-infected_hosts".*?data-value="(\d+)"', r.text, re.S)
    assert card.group(1) == "3"
    assert re.search(r'id="map-110000" class="map-tile ms-4" data-hosts="3"', r.text)
    assert 'id="map-310000" class="map-tile ms-0" data-hosts="0"' in r.text
    assert 'href="/web/monitoring/statistics"' in r.text  # in the navigation
    default = client.get("/web/monitoring/statistics")  # this week by default
    assert default.status_code == 200 and 'id="period">2026-W44<' in default.text
