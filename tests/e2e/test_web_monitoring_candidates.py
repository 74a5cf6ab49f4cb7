"""Candidate monitoring items in the console (issue 15 item 6; Plan §3.2, Law art. 54(2)) on both
databases: Suricata alerts of one malware family at units in three provinces open a national
spread candidate and a CII one for the Emergency Office, and a Beijing-only spread for the
Beijing office; each office sees its own (Law art. 30); a candidate's page shows its evidence
and pre-filled assessment; dismissing needs a reason; confirming makes a monitoring item whose
page leads to the warning form, with the assessment's proposed level; every POST needs CSRF."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from fenghuo.common.periods import CST
from fenghuo.monitoring import candidates, ingest, register
from fenghuo.monitoring.constituency import EntryKind, Role
from fenghuo.monitoring.detection import Thresholds
from fenghuo.monitoring.schemas import EntryIn, FeedIn
from fenghuo.org.accounts import principal_for
from tests.e2e.test_web_form import csrf, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
PAGE = "/web/monitoring/candidates"
EMOTET = "ET MALWARE Win32/Emotet CnC Activity"
TRICKBOT = "ET MALWARE Win32/TrickBot CnC Activity"
THRESHOLDS = Thresholds(provinces=3, units=2)


def alert(at: datetime, src: str, sig: str = EMOTET, sid: int = 2024217) -> bytes:
    return json.dumps({"timestamp": at.astimezone(CST).strftime("%Y-%m-%dT%H:%M:%S.000000+0800"),
                       "event_type": "alert", "src_ip": src, "src_port": 4444,
                       "dest_ip": "203.0.113.9", "dest_port": 443, "proto": "TCP",
                       "alert": {"signature_id": sid, "signature": sig,
                                 "category": "A Network Trojan was Detected",
                                 "severity": 1}}).encode()


def seed(rt, now: datetime, *, register_bank: bool = True) -> None:
    """Units in Beijing (bj-bank is CII) and Shanghai, Guangdong's address space, a national
    sensor and the alerts of the hours before ``now``; then one detection run. With
    ``register_bank=False`` the bank's prefix is left for the test to register."""
    bj, sh, nat = (principal_for(rt.uow, username=u) for u in ("bj_admin", "sh_admin",
                                                                 "nat_admin"))
    rows = [EntryIn(body="bj-telco", kind=EntryKind.PREFIX, value="61.136.0.0/16"),
            EntryIn(body="bj-support", kind=EntryKind.PREFIX, value="61.137.0.0/16")]
    if register_bank:
        rows.append(EntryIn(body="bj-bank", kind=EntryKind.PREFIX, value="61.135.0.0/16"))
    register.import_entries(rt.uow, rt.clock, principal=bj, rows=rows)
    register.put_entry(rt.uow, rt.clock, principal=sh, data=EntryIn(
        body="sh-bank", kind=EntryKind.PREFIX, value="58.32.0.0/16"))
    register.put_entry(rt.uow, rt.clock, principal=nat, data=EntryIn(
        body="440000.office", kind=EntryKind.PREFIX, value="113.96.0.0/16",
        role=Role.JURISDICTION))
    ingest.create_feed(rt.uow, rt.clock, principal=nat, data=FeedIn(
        code="ids-1", name_zh="国家传感器", name_en="national sensor", body="cn.cncert",
        format="suricata"))
    hours = [now - timedelta(hours=h) for h in (7, 6.9, 6.8, 6, 5, 4, 3, 2.5)]
    lines = [alert(hours[0], "61.135.1.1"), alert(hours[1], "61.135.1.2"),
             alert(hours[2], "61.135.1.1"), alert(hours[3], "61.136.4.4"),
             alert(hours[4], "58.32.7.7"), alert(hours[5], "113.96.5.5"),
             alert(hours[6], "61.136.9.9", TRICKBOT, 2030001),
             alert(hours[7], "61.137.2.2", TRICKBOT, 2030001),
             b"not an alert"]
    ingest.take_in(rt.uow, rt.clock, feed="ids-1", fmt=None,
                   chunks=[ingest.Chunk("morning", lines)], received_by="test")
    candidates.detect(rt.uow, rt.clock, thresholds=THRESHOLDS)


def refs(html: str) -> dict[str, str]:
    """ref → state of the candidates listed."""
    return dict(re.findall(r'<tr id="candidate-([^"]+)" data-state="(\w+)"', html))


def _ref(rt, rule: str, indicator: str) -> str:
    nat = principal_for(rt.uow, username="nat_admin")
    [found] = [c.ref for c in candidates.list_candidates(rt.uow, principal=nat)
               if c.rule == rule and c.indicator == indicator]
    return found


def test_each_office_sees_its_own_candidates(client, rt):
    seed(rt, rt.clock.now())
    spread, cii = _ref(rt, "spread", "malware:emotet"), _ref(rt, "cii", "malware:emotet")
    beijing = _ref(rt, "spread", "malware:trickbot")
    login(client, "nat_admin")
    page = client.get(PAGE, headers=ZH)
    assert page.status_code == 200 and "候选监测信息" in page.text
    assert 'id="nav-monitoring-candidates" aria-current="page"' in page.text
    assert refs(page.text) == {spread: "open", cii: "open", beijing: "open"}
    row = re.search(rf'<tr id="candidate-{spread}".*?</tr>', page.text, re.S).group(0)
    assert 'cd-provinces">3<' in row and 'cd-units">3<' in row and "多省或多单位扩散" in row
    assert "黄色" in row and "malware:emotet" in row  # Plan §3.1 (issue 17 item 2)
    en = client.get(PAGE, headers={"Accept-Language": "en"}).text
    assert "Candidate monitoring items" in en and "spread across provinces or units" in en
    office = client.__class__(client.app)
    login(office, "bj_admin")
    assert refs(office.get(PAGE).text) == {beijing: "open"}
    assert office.get(f"{PAGE}/{spread}").status_code == 404
    r = office.post(f"{PAGE}/{spread}/confirm", data={"csrf": csrf(page.text)})
    assert r.status_code == 401  # the office's own page gave it no token yet
    r = office.post(f"{PAGE}/{spread}/confirm", data={"csrf": csrf(office.get(PAGE).text)})
    assert r.status_code == 404
    shanghai = client.__class__(client.app)
    login(shanghai, "sh_admin")
    assert refs(shanghai.get(PAGE).text) == {}
    assert refs(client.get(PAGE, params={"state": "dismissed"}).text) == {}


def test_evidence_assessment_and_dismissal(client, rt):
    seed(rt, rt.clock.now())
    spread, cii = _ref(rt, "spread", "malware:emotet"), _ref(rt, "cii", "malware:emotet")
    login(client, "nat_admin")
    page = client.get(f"{PAGE}/{spread}", headers=ZH)
    assert page.status_code == 200 and 'id="ev-count">6<' in page.text
    assert 'id="ev-units">3<' in page.text and 'id="ev-provinces">3<' in page.text
    assert re.search(r'id="ev-province-110000"><th scope="row">北京市</th><td class="n">4<',
                     page.text)
    assert 'id="ev-unit-bj-bank"' in page.text and "北京某银行" in page.text
    assert len(re.findall(r'<tr class="ev-sample">', page.text)) == 6
    assert "113.96.5.5:4444" in page.text  # the latest sample
    assert 'id="as-likelihood">可能性高<' in page.text and "黄色" in page.text  # Plan §3.1
    assert "只有应急办可以发布该预警" in page.text and "candidate.spread.provinces" in page.text
    assert 'id="confirm-form"' in page.text and 'id="dismiss-form"' in page.text
    token = csrf(page.text)
    r = client.post(f"{PAGE}/{cii}/dismiss", data={"csrf": "forged", "reason": "重复 dup"})
    assert r.status_code == 401
    r = client.post(f"{PAGE}/{cii}/dismiss", data={"csrf": token, "reason": "  "})
    assert r.status_code == 422 and 'id="reason-error"' in r.text and "请说明理由" in r.text
    assert refs(client.get(PAGE).text)[cii] == "open"
    r = client.post(f"{PAGE}/{cii}/dismiss", data={"csrf": token,
                                                   "reason": "<i>与扩散重复</i> duplicate"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=dismissed")
    done = client.get(r.headers["location"], headers=ZH)
    assert "已排除，理由已记录。" in done.text and 'id="candidate-state">已排除<' in done.text
    assert "&lt;i&gt;与扩散重复&lt;/i&gt; duplicate" in done.text
    assert 'id="decide"' not in done.text
    assert refs(client.get(PAGE, params={"state": "dismissed"}).text) == {cii: "dismissed"}
    r = client.post(f"{PAGE}/{cii}/dismiss", data={"csrf": token, "reason": "again"})
    assert r.status_code == 409


def test_confirm_makes_an_item_that_leads_to_a_warning(client, rt):
    seed(rt, rt.clock.now())
    spread = _ref(rt, "spread", "malware:emotet")
    reader = client.__class__(client.app)
    login(reader, "bj_ro")
    assert 'id="decide"' not in reader.get(f"{PAGE}/{_ref(rt, 'spread', 'malware:trickbot')}"
                                           ).text
    login(client, "nat_admin")
    page = client.get(f"{PAGE}/{spread}", headers=ZH)
    r = client.post(f"{PAGE}/{spread}/confirm", data={"csrf": "forged"})
    assert r.status_code == 401
    r = client.post(f"{PAGE}/{spread}/confirm", data={"csrf": csrf(page.text), "title": ""},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=confirmed")
    done = client.get(r.headers["location"], headers=ZH)
    item = re.search(r'id="item-link">([^<]+)<', done.text).group(1)
    assert "已确认：已成为监测信息。" in done.text and 'id="assess-form"' in done.text
    shown = client.get(f"/web/monitoring/{item}", headers=ZH)
    assert shown.status_code == 200 and "多省或多单位扩散" in shown.text
    assert 'href="/web/warnings/new" id="draft-warning"' in shown.text
    again = client.post(f"{PAGE}/{spread}/confirm", data={"csrf": csrf(page.text)})
    assert again.status_code == 409
    r = client.post(f"{PAGE}/{spread}/assess", data={"csrf": "forged"})
    assert r.status_code == 401
    r = client.post(f"{PAGE}/{spread}/assess", data={"csrf": csrf(done.text)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(
        "/web/warnings/new?assessment=RA-")
    form = client.get(r.headers["location"], headers=ZH)
    assert form.status_code == 200
    assert "风险评估建议的级别" in form.text
    # Plan §3.1: the spread's relatively major possible incident is yellow (issue 17 item 2)
    assert re.search(r'id="level-yellow" name="level" value="yellow" checked', form.text)


def test_the_forms_show_only_to_those_who_may_decide(client, rt):
    seed(rt, rt.clock.now())
    beijing = _ref(rt, "spread", "malware:trickbot")  # for the Beijing office
    login(client, "bj_cert")  # CNCERT's Beijing branch sees it but does not decide it
    page = client.get(f"{PAGE}/{beijing}", headers=ZH)
    assert page.status_code == 200
    assert 'id="confirm-form"' not in page.text and 'id="dismiss-form"' not in page.text
    office = client.__class__(client.app)
    login(office, "bj_admin")
    page = office.get(f"{PAGE}/{beijing}", headers=ZH).text
    assert 'id="confirm-form"' in page and 'id="dismiss-form"' in page
    r = office.post(f"{PAGE}/{beijing}/dismiss", data={"csrf": csrf(page), "reason": "测试流量"})
    assert r.status_code in (200, 303)
    page = office.get(f"{PAGE}/{beijing}", headers=ZH).text
    assert 'id="dismiss-form"' not in page  # decided: no second decision offered
