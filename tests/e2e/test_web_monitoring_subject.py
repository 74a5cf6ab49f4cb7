"""The console's monitoring form names the unit an item is about (issue 16 item 5, Support
obligation 7), through the real application on both databases."""

from __future__ import annotations

from sqlalchemy import select

from fenghuo.org.models import Body
from fenghuo.warning.models import MonitoringItem
from tests.e2e.test_web_form import csrf, login

FORM = {"title": "某银行网站被植入后门 Backdoor on a bank's site",
        "observed": "支撑单位监测发现 found by a support unit's monitoring",
        "observed_at": "2026-11-30T09:00", "category": "harmful-program", "tlp": "amber"}


def test_a_support_unit_names_the_unit_and_a_unit_out_of_scope_is_refused_on_the_field(
        client, rt):
    """Support obligation 7: bj_support reports about bj-bank from the form; the item is about
    that unit. A unit it may not report about is refused on the form's unit field with the
    rule, and nothing is stored."""
    login(client, "bj_support")
    page = client.get("/web/monitoring")
    assert '<input id="unit"' in page.text and "所涉单位" in page.text
    r = client.post("/web/monitoring", data={**FORM, "unit": "bj-bank",
                                             "csrf": csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    with rt.uow() as s:
        item = s.scalar(select(MonitoringItem).order_by(MonitoringItem.id.desc()))
        assert s.get(Body, item.subject_body_id).key == "bj-bank"
        before = s.scalar(select(MonitoringItem.id).order_by(MonitoringItem.id.desc()))
    page = client.get("/web/monitoring")
    refused = client.post("/web/monitoring", data={**FORM, "unit": "no-such-unit",
                                                   "csrf": csrf(page.text)})
    assert refused.status_code == 403 and 'id="unit-error"' in refused.text
    assert 'value="no-such-unit"' in refused.text
    with rt.uow() as s:
        assert s.scalar(select(MonitoringItem.id).order_by(MonitoringItem.id.desc())) == before
