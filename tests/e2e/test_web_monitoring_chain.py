"""Reporting a unit's monitoring item on to the Emergency Office from the console (issue 17
item 8, Plan §3.2), through the real application on both databases."""

from __future__ import annotations

from fenghuo.org.accounts import principal_for
from fenghuo.warning import monitoring
from tests.e2e.test_web_form import csrf, login
from tests.integration.test_warnings import monitoring_in

EN = {"Accept-Language": "en-US,en;q=0.9"}


def test_the_office_reports_a_units_item_on_from_its_page(client, rt, clock):
    """Plan §3.2: the Beijing office sees the bank's important item with a button to report it
    to the Emergency Office; the bank does not; once reported, the page says when and by whom
    and the button is gone."""
    item = monitoring.submit(rt.uow, rt.clock,
                             principal=principal_for(rt.uow, username="bj_reporter"),
                             data=monitoring_in(clock, important=True))
    page = f"/web/monitoring/{item.ref}"
    login(client, "bj_reporter")
    assert 'id="report-up"' not in client.get(page).text
    login(client, "bj_duty")
    shown = client.get(page)
    assert 'id="report-up"' in shown.text and "报应急办" in shown.text
    assert "国家网络安全应急办公室" not in shown.text
    r = client.post(f"{page}/report-up", data={"csrf": csrf(shown.text)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == page
    after = client.get(page)
    assert "国家网络安全应急办公室" in after.text and "已报应急办" in after.text
    assert "bj_duty" in after.text and 'id="report-up"' not in after.text
    en = client.get(page, headers=EN)
    assert "Reported on to the Emergency Office" in en.text
    assert "reported on to the Emergency Office by a province or department" in en.text
    login(client, "bj_cert")
    refused = client.post(f"{page}/report-up", data={"csrf": csrf(client.get(page).text)})
    assert refused.status_code == 403 and "monitoring.report_up.not_in_chain" in refused.text
