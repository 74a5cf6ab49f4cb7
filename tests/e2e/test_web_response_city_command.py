"""Issue 17 items 9–11 in the console, on both databases: Jincheng sets up its headquarters
inside Shanxi's Level II response and a member reports for it (City §3.3.3–3.3.4), the page
shows who was told of the end (Plan §4.3.2), and the activation form refuses a content security
incident with Plan §1.3."""

from __future__ import annotations

import re

from fenghuo.common.clauses import render as zh_clause
from tests.e2e.test_api_response_city_command import incident as water_incident
from tests.e2e.test_web_responses import api, incident, post, text, web
from tests.integration.test_response_city_command import shanxi  # noqa: F401 (a fixture)


def test_city_3_3_3_in_the_console_and_plan_4_3_2_who_was_told(client, headers,
                                                              shanxi):  # noqa: F811
    """City §3.3.3: the city office's form, the province refused with the rule, a member's
    progress for the headquarters; Plan §4.3.2: the end's notices are listed."""
    r = client.post("/api/v1/responses", headers=headers("sx_duty"), json={
        "incident": water_incident(client, headers, "serious"), "level": "II"})
    ref = r.json()["ref"]
    hq = f"hq.{ref.lower()}"
    city, province, lead = web(client, "jc_duty"), web(client, "sx_duty"), web(client, "jc_lead")

    page = city.get(f"/web/responses/{ref}").text
    assert 'id="commands"' in page and zh_clause("City §3.3.3") in page
    section = page.split('id="command-field_command"')[1].split("</div>")[0]
    assert "command.needs_headquarters" in section  # the field command waits (City §3.3.4)
    r = post(province, f"/web/responses/{ref}/commands", **{
        "kind": "headquarters", "hq-0-name": "市长 Mayor"})
    assert r.status_code == 403 and "command.not_city_office" in r.text
    r = post(city, f"/web/responses/{ref}/commands", **{
        "kind": "headquarters", "hq-0-name": "市长 Mayor", "hq-0-title": "总指挥",
        "hq-0-username": "jc_lead", "hq-1-name": "市公安局 Police",
        "hq-1-body": "jc.emergency-center"})
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("done=command-headquarters#command-headquarters")
    page = text(city.get(r.headers["location"]).text)
    assert "指挥部已在本响应中成立" in page and "市应急处置指挥部" in page and "已成立" in page

    # the member reports for the headquarters, chosen on the progress form
    page = lead.get(f"/web/responses/{ref}").text
    assert re.search(rf'<option value="{re.escape(hq)}">晋城市网络安全事件应急处置指挥部', page)
    r = post(lead, f"/web/responses/{ref}/progress", developments="水厂恢复",
             progress="切换备用", command=hq)
    assert r.status_code == 303, r.text
    assert api(client, headers, ref)["progress"][-1]["body"] == hq

    # the province ends it: the page lists who was told, by whom
    assert post(province, f"/web/responses/{ref}/end", reason="已恢复").status_code == 303
    page = city.get(f"/web/responses/{ref}").text
    assert 'id="end-notices"' in page and 'id="told-cn.emergency-office-report"' in page
    row = re.search(rf'<tr id="told-{re.escape(hq)}-relay">.*?</tr>', page, re.S).group(0)
    assert "应急办通报" in row and "无可送达的联系方式" in row
    en = city.get(f"/web/responses/{ref}", headers={"Accept-Language": "en"}).text
    assert "relayed by the Emergency Office" in en


def test_plan_1_3_the_activation_form_refuses_content_security(client, headers):
    """Plan §1.3: every level is refused with the clause and the special plan."""
    inc = incident(client, headers, "bj_reporter", system="www",
                   category="information-content-security", subcategory=None,
                   facts={"other_threat": "serious"})
    page = web(client, "bj_duty").get(f"/web/responses/new?incident={inc}").text
    assert page.count("activate.special_plan") >= 4 and zh_clause("Plan §1.3") in page
    assert "activate.jurisdiction_level" not in page
    assert re.search(r'<button type="submit"\s+disabled', page)
