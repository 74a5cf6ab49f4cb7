"""Sharing in the console (issue 19 item 5; Plan §3.2; Law art. 29), through the real application
on both databases: the Emergency Office shares an incident from its page, the recipient
acknowledges it from its own session, the shares page of each side; TLP:RED not passed on; a
caller out of scope finds nothing (404); STIX 2.1 and MISP exports of an incident and of a page
of the incidents list; monitoring information shared with a body and acknowledged."""

from __future__ import annotations

import json
import re
from html import unescape

from fenghuo.org.accounts import principal_for
from fenghuo.warning import monitoring
from tests.e2e.test_api_sharing import filed
from tests.e2e.test_web_bulletins import web
from tests.e2e.test_web_form import csrf
from tests.integration.test_warnings import monitoring_in

EN = {"Accept-Language": "en-US,en;q=0.9"}


def section(html: str, ident: str) -> str:
    return re.search(rf'id="{ident}".*?</(?:table|section)>', html, re.S).group(0)


def test_share_an_incident_and_acknowledge_it_from_the_recipients_session(client, headers):
    ref = filed(client, headers, tlp="green")["ref"]
    page_path = f"/web/incidents/{ref}"
    sh = web(client, "sh_admin")
    assert sh.get(page_path).status_code == 404  # not shared yet: out of scope
    nat = web(client, "nat_admin")
    page = nat.get(page_path).text
    assert 'id="share-form"' in page and 'value="310000.office"' in page
    assert 'id="no-shares"' in page
    # the Beijing office handles it but is not the Emergency Office: no form
    assert 'id="share-form"' not in web(client, "bj_admin").get(page_path).text

    empty = nat.post(f"{page_path}/shares", data={"csrf": csrf(page), "note": "x"})
    assert empty.status_code == 422 and "请至少选择一个接收单位" in empty.text
    r = nat.post(f"{page_path}/shares", data={"csrf": csrf(page), "bodies": ["310000.office"],
                                             "note": "请排查 please check"},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{page_path}#shares"
    rows = section(nat.get(page_path).text, "share-rows")
    assert "310000.office" in rows and "未确认接收" in rows and "TLP:GREEN 社群内" in rows
    sent = section(nat.get("/web/shares").text, "sent-rows")
    assert ref in sent and "310000.office" in sent

    # Shanghai now reads it, and acknowledges it from its shares page
    shares = sh.get("/web/shares").text
    received = section(shares, "received-rows")
    assert ref in received and "TLP:GREEN 社群内" in received
    share_id = re.search(r'/web/shares/(\d+)/acknowledge', received).group(1)
    assert sh.get(page_path).status_code == 200
    # another body's caller cannot acknowledge Shanghai's share
    bj = web(client, "bj_admin")
    other = bj.post(f"/web/shares/{share_id}/acknowledge",
                    data={"csrf": csrf(bj.get("/web/shares").text)})
    assert other.status_code == 404
    r = sh.post(f"/web/shares/{share_id}/acknowledge", data={"csrf": csrf(shares)},
                follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/shares#received"
    assert "sh_admin" in section(sh.get("/web/shares").text, "received-rows")
    rows = section(nat.get(page_path).text, "share-rows")
    assert "sh_admin" in rows and "未确认接收" not in rows
    en = section(nat.get(page_path, headers=EN).text, "shares")
    assert "Sharing and exports" in en and "TLP:GREEN community" in en


def test_red_is_not_passed_on(client, headers):
    ref = filed(client, headers, tlp="red")["ref"]
    nat = web(client, "nat_admin")
    page = nat.get(f"/web/incidents/{ref}").text
    assert 'id="share-form"' not in page and "TLP:RED信息不得再传递" in page
    r = nat.post(f"/web/incidents/{ref}/shares", data={"csrf": csrf(page),
                                                      "bodies": ["310000.office"]})
    assert r.status_code == 403 and "tlp.red_no_onward" in r.text


def test_stix_and_misp_exports_for_the_session(client, headers):
    a = filed(client, headers, tlp="green")["ref"]
    b = filed(client, headers, tlp="green")["ref"]
    duty = web(client, "bj_duty")
    page = duty.get(f"/web/incidents/{a}").text
    assert f'/web/exports/stix.json?ref={a}' in page and f'/web/exports/misp.json?ref={a}' in page
    r = duty.get(f"/web/exports/stix.json?ref={a}")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    bundle = json.loads(r.content)
    assert bundle["type"] == "bundle" and bundle["id"].startswith("bundle--")
    incidents = [o for o in bundle["objects"] if o["type"] == "incident"]
    assert len(incidents) == 1 and a in json.dumps(incidents[0])
    m = duty.get(f"/web/exports/misp.json?ref={a}")
    assert m.status_code == 200
    events = json.loads(m.content)  # a list of {"Event": …} (issue 20 item 3)
    assert len(events) == 1 and events[0]["Event"]["info"].startswith(a)
    # the list's page: its refs, both formats
    listed = unescape(duty.get("/web/incidents").text)
    link = re.search(r'href="(/web/exports/misp\.json\?ref=[^"]+)"', listed).group(1)
    assert a in link and b in link
    both = json.loads(duty.get(link).content)
    assert {a, b} <= {e["Event"]["info"].split(" ")[0] for e in both}
    stix_link = re.search(r'href="(/web/exports/stix\.json\?ref=[^"]+)"', listed).group(1)
    assert json.loads(duty.get(stix_link).content)["type"] == "bundle"
    # out of scope: Shanghai finds neither export (as for a missing incident)
    sh = web(client, "sh_admin")
    assert sh.get(f"/web/exports/stix.json?ref={a}").status_code == 404
    assert sh.get(f"/web/exports/misp.json?ref={a}").status_code == 404
    assert duty.get("/web/exports/misp.json").status_code == 404  # nothing named


def test_incoming_monitoring_information_is_listed_and_acknowledged(client, rt, clock):
    item = monitoring.submit(rt.uow, rt.clock,
                             principal=principal_for(rt.uow, username="bj_reporter"),
                             data=monitoring_in(clock, important=True))
    duty = web(client, "bj_duty")
    page = duty.get("/web/monitoring/incoming").text
    rows = section(page, "incoming-rows")
    assert item.ref in rows and f'/web/monitoring/incoming/{item.ref}/acknowledge' in rows
    assert "/web/monitoring/statistics" in page and 'id="nav-monitoring-incoming"' in page
    # the unit that submitted it received nothing
    assert 'id="no-incoming"' in web(client, "bj_reporter").get(
        "/web/monitoring/incoming").text
    sh = web(client, "sh_admin")
    refused = sh.post(f"/web/monitoring/incoming/{item.ref}/acknowledge",
                      data={"csrf": csrf(sh.get("/web/monitoring/incoming").text)})
    assert refused.status_code == 404
    r = duty.post(f"/web/monitoring/incoming/{item.ref}/acknowledge",
                  data={"csrf": csrf(page)}, follow_redirects=False)
    assert r.status_code == 303
    rows = section(duty.get("/web/monitoring/incoming").text, "incoming-rows")
    assert "bj_duty" in rows and "/acknowledge" not in rows
