"""Owner notices in the console and the API (issue 16 item 2; Law arts. 51–52, Plan §3.2) on
both databases: the bank's reporter sees its notice and, on its page, only its own events (n6's
model, Law art. 30); a feedback without text is shown inline and changes nothing; the feedback
is recorded, the office closes the notice, and a feedback on the closed notice is a 409; the
API's ``my-events`` shows the caller's own events only."""

from __future__ import annotations

import re

import pytest

from fenghuo.common.clock import FakeClock
from fenghuo.monitoring import ingest, notices, register
from fenghuo.monitoring.schemas import FeedIn
from fenghuo.org.accounts import principal_for
from tests.e2e.test_cli_monitoring_walkthrough import MOMENT, SAMPLES
from tests.e2e.test_web_form import csrf, login
from tests.integration.test_owner_notices import ENTRIES

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
PAGE = "/web/monitoring/notices"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MOMENT)


def _seed(rt) -> str:
    me = {u: principal_for(rt.uow, username=u) for u in ("bj_admin", "nat_admin")}
    register.import_entries(rt.uow, rt.clock, principal=me["bj_admin"], rows=ENTRIES)
    ingest.create_feed(rt.uow, rt.clock, principal=me["nat_admin"], data=FeedIn(
        code="samples", name_zh="样本", name_en="Samples", body="cn.cncert", format="suricata"))
    lines = (SAMPLES / "suricata-eve.json").read_bytes().splitlines()
    ingest.take_in(rt.uow, rt.clock, feed="samples", fmt=None,
                   chunks=[ingest.Chunk("eve", lines)], received_by="test")
    [ref] = notices.generate(rt.uow, rt.clock).immediate
    return ref


def test_the_unit_answers_in_the_console_and_sees_only_its_events(client, rt, headers):
    ref = _seed(rt)
    login(client, "bj_reporter")
    listed = client.get(PAGE, headers=ZH)
    assert listed.status_code == 200 and 'id="nav-monitoring-notices"' in listed.text
    assert re.findall(r'<tr id="notice-([^"]+)"', listed.text) == [ref]
    page = client.get(f"{PAGE}/{ref}", headers=ZH)
    assert page.status_code == 200 and "即时通报" in page.text and "TLP:AMBER" in page.text
    bodies = re.findall(r'<tr class="ev-row" data-body="([^"]+)"', page.text)
    assert bodies and set(bodies) == {"bj-bank"} and "222.186." not in page.text
    assert 'id="ack-form"' in page.text and 'id="close-form"' not in page.text
    token = csrf(page.text)
    r = client.post(f"{PAGE}/{ref}/feedback", data={"csrf": token, "text": " "})
    assert r.status_code == 422 and 'id="text-error"' in r.text
    assert 'id="notice-state">已通报<' in client.get(f"{PAGE}/{ref}", headers=ZH).text
    r = client.post(f"{PAGE}/{ref}/feedback", data={"csrf": token, "text": "已清除木马程序"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=feedback")
    done = client.get(r.headers["location"], headers=ZH).text
    assert 'id="notice-state">已反馈处置情况<' in done and "已清除木马程序" in done

    office = client.__class__(client.app)
    login(office, "bj_duty")
    seen = office.get(f"{PAGE}/{ref}")
    assert 'id="close-form"' in seen.text and 'id="feedback-form"' not in seen.text
    r = office.post(f"{PAGE}/{ref}/close", data={"csrf": csrf(seen.text), "note": "同意"},
                    follow_redirects=False)
    assert r.status_code == 303
    again = client.post(f"{PAGE}/{ref}/feedback", data={"csrf": token, "text": "再次反馈"})
    assert again.status_code == 409

    # the API: 409 on the closed notice; the unit's own events and nobody else's
    api = client.post(f"/api/v1/monitoring/notices/{ref}/feedback", json={"text": "再次反馈"},
                      headers=headers("bj_reporter"))
    assert api.status_code == 409 and "closed" in api.json()["detail"]
    mine = client.get("/api/v1/monitoring/my-events", params={"limit": 500},
                      headers=headers("bj_reporter")).json()
    assert mine["total"] > 0 and {e["body"] for e in mine["items"]} == {"bj-bank"}
    assert client.get(f"/api/v1/monitoring/notices/{ref}",
                      headers=headers("sh_admin")).status_code == 404
