"""Bulletins in the console (issue 19 item 5; Plan §3.2; Support rights 2), through the real
application on both databases: generate a weekly bulletin from the form (it runs in a thread, the
progress page polls its status), its own HTML and PDF, sending it and who received it, and scope
(Law art. 30): another body's caller finds neither the bulletin nor the generation."""

from __future__ import annotations

import re

from fenghuo.common.periods import day_of
from fenghuo.sharing import bulletin_data
from fenghuo.web import bulletins as web_bulletins
from tests.e2e.test_web_form import csrf, login
from tests.waits import wait_until

JOB = re.compile(r"^/web/bulletins/jobs/((?:weekly|monthly)~[0-9W-]+~[0-9a-f]{32})$")
EN = {"Accept-Language": "en-US,en;q=0.9"}


def web(client, username: str):
    other = client.__class__(client.app)
    login(other, username)
    return other


def generated(c, rt, kind: str = "weekly") -> str:
    """Generate the last complete period's bulletin from the console; its ref."""
    page = c.get("/web/bulletins")
    period = str(bulletin_data.last_complete(kind, day_of(rt.clock.now())))
    assert f'name="period_{kind}" value="{period}"' in page.text  # the default period
    r = c.post("/web/bulletins", data={"csrf": csrf(page.text), "kind": kind,
                                       f"period_{kind}": period}, follow_redirects=False)
    assert r.status_code == 303, r.text
    job = JOB.match(r.headers["location"]).group(1)
    progress = c.get(r.headers["location"])  # the progress page, or the bulletin once done
    assert 'id="bulletin-job"' in progress.text or "《" in progress.text
    status = wait_until(lambda: (s := c.get(f"/web/bulletins/jobs/{job}.json").json())[
        "state"] != "running" and s, "the bulletin is generated", seconds=120, interval=0.2)
    assert status["state"] == "done", status
    assert status["url"] == f"/web/bulletins/{status['ref']}"
    return status["ref"]


def test_generate_a_weekly_bulletin_view_it_download_it_and_send_it(client, rt):
    duty = web(client, "bj_duty")
    ref = generated(duty, rt)
    page = duty.get(f"/web/bulletins/{ref}")
    assert page.status_code == 200 and "《网络安全信息与动态周报》" in page.text
    assert 'id="no-deliveries"' in page.text and "TLP:GREEN 社群内" in page.text
    listed = duty.get("/web/bulletins").text
    assert ref in listed and "网络安全信息与动态周报" in listed
    html = duty.get(f"/web/bulletins/{ref}.html")
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    assert "《网络安全信息与动态周报》" in html.text and "script-src" not in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]
    pdf = duty.get(f"/web/bulletins/{ref}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"

    r = duty.post(f"/web/bulletins/{ref}/send", data={"csrf": csrf(page.text),
                                                      "recipients": "bj-support"},
                  follow_redirects=False)
    assert r.status_code == 303
    after = duty.get(r.headers["location"]).text
    rows = re.search(r'<table id="deliveries">.*?</table>', after, re.S).group(0)
    assert "bj-support" in rows and 'id="sent-note"' in after
    assert ("通报名单" in rows) or ("依权利接收" in rows)
    again = duty.post(f"/web/bulletins/{ref}/send", data={"csrf": csrf(after),
                                                          "recipients": "no-such-body"})
    assert again.status_code == 422 and "no-such-body" in again.text
    # the support unit it was sent to reads it; Shanghai finds neither it nor its PDF
    assert web(client, "bj_support").get(f"/web/bulletins/{ref}.pdf").status_code == 200
    sh = web(client, "sh_admin")
    assert sh.get(f"/web/bulletins/{ref}").status_code == 404
    assert sh.get(f"/web/bulletins/{ref}.pdf").status_code == 404
    assert ref not in sh.get("/web/bulletins").text
    en = duty.get(f"/web/bulletins/{ref}", headers=EN).text
    assert "Who received it" in en and "Cybersecurity Information and Trends Weekly" in en


def test_a_generation_is_its_starters_and_bad_periods_are_refused(client, rt):
    duty = web(client, "bj_duty")
    page = duty.get("/web/bulletins")
    bad = duty.post("/web/bulletins", data={"csrf": csrf(page.text), "kind": "weekly",
                                            "period_weekly": "2026-11"})
    assert bad.status_code == 422 and 'id="period-error"' in bad.text
    future = duty.post("/web/bulletins", data={"csrf": csrf(page.text), "kind": "monthly",
                                               "period_monthly": "2030-01"})
    assert future.status_code == 422 and "该周期尚未开始" in future.text
    r = duty.post("/web/bulletins", data={"csrf": csrf(page.text), "kind": "monthly",
                                          "period_monthly": "2026-10"}, follow_redirects=False)
    job = JOB.match(r.headers["location"]).group(1)
    other = web(client, "bj_admin")
    assert other.get(f"/web/bulletins/jobs/{job}.json").status_code == 404
    assert other.get(f"/web/bulletins/jobs/{job}").status_code == 404
    wait_until(lambda: duty.get(f"/web/bulletins/jobs/{job}.json").json()["state"] == "done",
               "the monthly bulletin is generated", seconds=120, interval=0.2)
    # another server process (--processes N) has no such job in memory: it reads the database
    ref = duty.get(f"/web/bulletins/jobs/{job}.json").json()["ref"]
    with web_bulletins._LOCK:
        web_bulletins._JOBS.pop(job)
    elsewhere = duty.get(f"/web/bulletins/jobs/{job}.json").json()
    assert (elsewhere["state"], elsewhere["ref"]) == ("done", ref)
    pending = duty.get(f"/web/bulletins/jobs/weekly~2026-W40~{'a' * 32}.json").json()
    assert (pending["state"], pending["ref"]) == ("running", None)
    assert duty.get("/web/bulletins/jobs/monthly~2026-10.json").status_code == 404
    # a generation the service refused: its page says so, with the rule's reasons
    failed = web_bulletins.Job(id="weekly~2026-W40~" + "f" * 32, username="bj_duty",
                               kind="weekly", period="2026-W40",
                               state="failed", error="Refused by rule", reasons=[{
                                   "code": "bulletin.not_issuer", "source": "Plan §3.2",
                                   "text_zh": "只有应急办公室可以发布", "text_en": "offices only"}])
    web_bulletins._remember(failed)
    shown = duty.get(f"/web/bulletins/jobs/{failed.id}")
    assert shown.status_code == 200 and 'id="job-failed"' in shown.text
    assert "只有应急办公室可以发布" in shown.text and "bulletin.not_issuer" in shown.text
    assert duty.get(f"/web/bulletins/jobs/{failed.id}.json").json()["state"] == "failed"
    # a unit's analyst sees no form; a CII operator's reporter may not generate
    assert 'id="generate-form"' not in web(client, "bj_analyst").get("/web/bulletins").text
    rep = web(client, "bj_reporter")
    refused = rep.post("/web/bulletins", data={"csrf": csrf(rep.get("/web/bulletins").text),
                                               "kind": "monthly", "period_monthly": "2026-10"})
    assert refused.status_code == 403
