"""The console's warning pages through HTTP on both databases (Plan §3.3–§3.5): the issuance
form states the body's powers with their clauses before anything is typed, refuses what the body
may not issue naming each rule, and shows invalid input inline; a warning's page carries the
four-eyes approval, publication, acknowledgement and checklist progress, and lifting by the
issuer only. User content is escaped everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from fenghuo.common.clauses import render as zh_clause
from fenghuo.org import accounts, interchange
from fenghuo.org.schemas import UserIn
from fenghuo.warning import service as warnings
from fenghuo.warning.schemas import WarningIn
from tests.conftest import PASSWORD
from tests.e2e.test_api_warnings import warning as api_warning
from tests.e2e.test_web_form import csrf, login

EXAMPLES = Path(__file__).parents[2] / "examples"
SCRIPT = "<script>alert(1)</script>"


def as_user(client, username: str):
    """A second browser, logged in as ``username``."""
    other = client.__class__(client.app)
    login(other, username)
    return other


def fields(html: str, **overrides) -> dict:
    base = {"csrf": csrf(html), "title": "勒索软件攻击金融机构 Ransomware against banks",
            "category": "harmful-program", "level": "orange", "starts_at": "2026-11-01T16:00",
            "jurisdictions": "110000", "sectors": ["finance"],
            "items": "勒索软件利用VPN漏洞 ransomware via a VPN flaw\n",
            "measure_text_0": "修补VPN patch the VPN", "measure_deadline_0": "2026-11-02T16:00",
            "measure_text_1": "", "measure_deadline_1": "", "tlp": "amber", "assessment": ""}
    return {**base, **overrides}


def ref_of(response) -> str:
    assert response.status_code == 303, response.text
    return re.match(r"/web/warnings/([^?]+)\?done=", response.headers["location"]).group(1)


def stored(rt, ref: str, username: str = "bj_duty"):
    me = accounts.principal_for(rt.uow, username=username)
    return warnings.get_warning(rt.uow, rt.clock, principal=me, ref=ref)


def count(rt, username: str = "nat_admin") -> int:
    from fenghuo.common.pagination import PageParams
    me = accounts.principal_for(rt.uow, username=username)
    return warnings.list_warnings(rt.uow, principal=me, page=PageParams(limit=5, offset=0)).total


def add_officer(rt, username: str, body: str) -> None:
    """A second officer of a body, created through the accounts service (four eyes)."""
    admin = accounts.principal_for(rt.uow, username="nat_admin")
    accounts.create_user(rt.uow, rt.clock, principal=admin, data=UserIn(
        username=username, display_name=username, body=body, roles=["duty_officer"],
        password=PASSWORD))


def draft_through_form(client, **overrides) -> str:
    page = client.get("/web/warnings/new")
    return ref_of(client.post("/web/warnings", data=fields(page.text, **overrides),
                              follow_redirects=False))


def post(client, path: str, **data):
    page = client.get("/web/warnings")
    return client.post(path, data={"csrf": csrf(page.text), **data}, follow_redirects=False)


def test_the_form_states_the_powers_and_shows_invalid_input_inline(client, rt):
    r = client.get("/web/warnings/new", follow_redirects=False)
    assert r.status_code == 303 and "/web/login" in r.headers["location"]
    login(client, "bj_duty")
    assert 'id="new-warning" href="/web/warnings/new"' in client.get("/web/warnings").text
    page = client.get("/web/warnings/new")
    assert page.status_code == 200
    powers = page.text.split('id="powers"')[1].split("</section>")[0]
    assert 'data-level="red" data-allowed="no"' in powers and "authority.red_reserved" in powers
    assert "红色预警由应急办确定和发布" in powers and zh_clause("Plan §3.3 ¶2") in powers
    for level in ("orange", "yellow", "blue"):
        assert f'data-level="{level}" data-allowed="yes"' in powers
    assert "authority.multi_province" in powers and "本机构辖区：北京市" in powers
    assert "（110000）" not in powers
    assert re.search(r'id="level-red"[^>]*disabled', page.text)

    bad = fields(page.text, title=SCRIPT, items="", measure_deadline_0="")
    r = client.post("/web/warnings", data=bad)
    assert r.status_code == 422
    assert 'id="err-items"' in r.text and 'id="err-measures_0_deadline"' in r.text
    assert 'href="#measure_deadline_0"' in r.text and 'href="#items"' in r.text
    assert 'value="修补VPN patch the VPN"' in r.text  # what was typed is kept
    assert SCRIPT not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    r = client.post("/web/warnings", data=fields(page.text, title=""))
    assert r.status_code == 422 and 'id="err-title"' in r.text
    assert count(rt) == 0  # nothing half-written

    ref = ref_of(client.post("/web/warnings", data=fields(page.text, title=SCRIPT),
                             follow_redirects=False))
    w = stored(rt, ref)
    assert (w.state, w.level, w.drafted_by, w.title) == ("draft", "orange", "bj_duty", SCRIPT)
    assert [m.deadline for m in w.measures] == [datetime(2026, 11, 2, 8, tzinfo=UTC)]  # Shanghai
    detail = client.get(f"/web/warnings/{ref}?done=drafted")
    assert SCRIPT not in detail.text and "&lt;script&gt;" in detail.text
    assert 'id="w-state" class="wn-state-draft">草稿' in detail.text
    assert 'role="status"' in detail.text
    listed = client.get("/web/warnings?state=draft")
    assert ref in listed.text and SCRIPT not in listed.text and "北京市" in listed.text

    fin = as_user(client, "bj_fin")  # a department: its own sector only (Plan §3.3 ¶1; §2.3)
    scope = fin.get("/web/warnings/new").text.split('id="powers-scope"')[1].split("</ul>")[0]
    assert "authority.outside_sector" in scope and "finance" in scope
    assert "authority.multi_sector" in scope
    ro = as_user(client, "bj_ro")
    assert 'id="new-warning"' not in ro.get("/web/warnings").text
    assert ro.get("/web/warnings/new").status_code == 403
    r = ro.post("/web/warnings", data=fields(ro.get("/web/warnings").text, title=""))
    assert r.status_code == 403 and 'id="powers"' not in r.text


def test_a_city_office_may_issue_yellow_and_blue_and_is_refused_red(client, rt):
    doc = interchange.parse_yaml((EXAMPLES / "jincheng.yaml").read_text(), "jincheng.yaml")
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    add_officer(rt, "jc-duty", "jc.office")
    login(client, "jc-duty")
    page = client.get("/web/warnings/new")
    powers = page.text.split('id="powers"')[1].split("</section>")[0]
    assert 'data-level="yellow" data-allowed="yes"' in powers and zh_clause("City §3.3.3") in powers
    assert 'data-level="blue" data-allowed="yes"' in powers
    assert 'data-level="orange" data-allowed="no"' in powers and "authority.above_ceiling" in powers
    assert 'data-level="red" data-allowed="no"' in powers

    typed = fields(page.text, level="red", jurisdictions="140500", sectors=["water"],
                   title="供水 <i>VPN</i>")
    r = client.post("/web/warnings", data=typed)
    assert r.status_code == 403
    refused = r.text.split('id="refused"')[1].split("</div>")[0]
    assert "authority.red_reserved" in refused and "红色预警由应急办确定和发布" in refused
    assert zh_clause("Plan §3.3 ¶2") in refused
    assert 'value="供水 &lt;i&gt;VPN&lt;/i&gt;"' in r.text  # the input is kept, escaped
    r = client.post("/web/warnings", data={**typed, "level": "yellow",
                                           "jurisdictions": "140500 110000"})
    assert r.status_code == 403 and "authority.outside_jurisdiction" in r.text
    assert count(rt) == 0
    ref = ref_of(client.post("/web/warnings", data={**typed, "level": "yellow"},
                             follow_redirects=False))
    assert stored(rt, ref, "jc-duty").authority[0].code == "authority.city"


def test_four_eyes_publish_acknowledge_tasks_and_lift(client, rt, clock):
    login(client, "bj_duty")
    ref = draft_through_form(client)
    path = f"/web/warnings/{ref}"

    r = post(client, f"{path}/approve")  # the drafter may not approve
    assert r.status_code == 403 and "approve.four_eyes" in r.text
    assert "起草人不能审批自己起草的预警" in r.text.split('id="problem"')[1]
    assert stored(rt, ref).state == "draft"
    head = as_user(client, "bj_admin")
    assert 'id="approve"' in head.get(path).text
    assert post(head, f"{path}/approve", csrf="forged").status_code == 401
    assert ref_of(post(head, f"{path}/approve")) == ref
    page = head.get(path).text
    assert "bj_admin" in page.split('id="w-approved"')[1] and 'id="publish"' in page
    assert ref_of(post(head, f"{path}/publish")) == ref
    assert stored(rt, ref).state == "published"

    fin = as_user(client, "bj_fin")  # a receiving department
    page = fin.get(path).text
    assert 'id="acknowledge"' in page and 'id="lift-refused"' in page
    assert "lift.not_issuer" in page and 'id="lift"' not in page
    ref_of(post(fin, f"{path}/acknowledge"))
    task = re.search(rf'action="{path}/tasks/(\d+)/done"', fin.get(path).text).group(1)
    r = post(fin, f"{path}/tasks/{task}/done", evidence="x")
    assert r.status_code == 422 and 'id="err-task-' in r.text and ">x</textarea>" in r.text
    ref_of(post(fin, f"{path}/tasks/{task}/done", evidence="预案已启动 plan started"))
    r = post(fin, f"{path}/lift", reason="not ours to lift")
    assert r.status_code == 403 and "lift.not_issuer" in r.text.split('id="problem"')[1]
    assert stored(rt, ref).state == "published"

    bank = as_user(client, "bj_reporter")  # the operating unit (Plan §3.3 ¶1; issue 16)
    listed = bank.get("/web/warnings").text
    assert f'data-ref="{ref}"' in listed
    page = bank.get(path).text
    assert 'id="acknowledge"' in page and 'data-body="bj-finance-reg"' not in page  # Law 30
    ref_of(post(bank, f"{path}/acknowledge"))
    task = re.search(rf'action="{path}/tasks/(\d+)/done"', bank.get(path).text).group(1)
    ref_of(post(bank, f"{path}/tasks/{task}/done", evidence="VPN 已修补 patched"))
    assert {t.state for t in stored(rt, ref).tasks if t.body == "bj-bank"} == {"done"}

    clock.advance(hours=3)  # the orange plan start (2 h) is now overdue for the issuer
    page = client.get(path).text
    recipients = page.split('id="recipients"')[1].split("</section>")[0]
    row = recipients.split('data-body="bj-finance-reg"')[1].split("</tr>")[0]
    assert "已确认" in row and "bj_fin" in row
    progress = page.split('id="progress"')[1].split("</section>")[0]
    fin_row = progress.split('data-body="bj-finance-reg"')[1].split("</tr>")[0]
    w = stored(rt, ref)
    fin_tasks = [t for t in w.tasks if t.body == "bj-finance-reg"]
    assert f"1 / {len(fin_tasks)}" in fin_row
    own = progress.split('data-body="110000.office"')[1].split("</tr>")[0]
    assert "项超时" in own

    r = post(client, f"{path}/lift", reason="no")
    assert r.status_code == 422 and 'id="err-lift-reason"' in r.text
    assert stored(rt, ref).state == "published"
    ref_of(post(client, f"{path}/lift", reason=f"已修补 patched {SCRIPT}"))
    w = stored(rt, ref)
    assert w.state == "lifted" and all(t.state != "open" for t in w.tasks)
    page = client.get(path).text
    assert SCRIPT not in page and "已修补 patched &lt;script&gt;" in page
    listed = client.get("/web/warnings?state=lifted").text
    row = listed.split(f'data-ref="{ref}"')[1].split("</tr>")[0]
    assert "已解除" in row


def test_a_receiving_province_may_not_lift_the_emergency_offices_warning(client, rt):
    add_officer(rt, "nat_duty", "cn.emergency-office")
    nat = accounts.principal_for(rt.uow, username="nat_admin")
    data = WarningIn.model_validate(api_warning(rt.clock, level="red",
                                                jurisdictions=["110000", "310000"]))
    ref = warnings.draft(rt.uow, rt.clock, principal=nat, data=data).ref
    second = accounts.principal_for(rt.uow, username="nat_duty")
    warnings.approve(rt.uow, rt.clock, principal=second, ref=ref)
    warnings.publish(rt.uow, rt.clock, principal=nat, ref=ref)

    login(client, "bj_duty")
    page = client.get(f"/web/warnings/{ref}", headers={"Accept-Language": "en"}).text
    assert "You cannot lift this warning:" in page and "only the issuer may lift a warning" in page
    assert 'id="acknowledge"' in page
    r = post(client, f"/web/warnings/{ref}/lift", reason="over here")
    assert r.status_code == 403 and "lift.not_issuer" in r.text and zh_clause("Plan §3.5") in r.text
    assert stored(rt, ref, "nat_admin").state == "published"
    assert client.get("/web/warnings/WN-nope").status_code == 404


def test_the_powers_shown_agree_with_the_authority_rules():
    """What the form states before anything is typed is what drafting decides (Plan §3.3)."""
    from fenghuo.org.rules import BodyFunction, BodyKind
    from fenghuo.warning import authority
    from fenghuo.warning.rules import WarningScope

    issuers = [authority.Issuer(1, BodyKind.OFFICE, "/1/", function=(
                   BodyFunction.NATIONAL_EMERGENCY_OFFICE)),
               authority.Issuer(2, BodyKind.OFFICE, "/1/2/"),
               authority.Issuer(3, BodyKind.OFFICE, "/1/2/3/"),
               authority.Issuer(4, BodyKind.OFFICE, "/1/2/3/4/"),
               authority.Issuer(5, BodyKind.DEPARTMENT, "/1/", frozenset({"finance"})),
               authority.Issuer(6, BodyKind.OPERATOR, "/1/2/")]
    for issuer in issuers:
        own = WarningScope(frozenset({issuer.jurisdiction_path}), issuer.sectors)
        powers = authority.issuing_powers(issuer)
        assert [p.level.value for p in powers.levels] == ["red", "orange", "yellow", "blue"]
        for p in powers.levels:
            decision = authority.check_authority(issuer, own, p.level)
            assert p.allowed == decision.allowed, (issuer, p.level)
            assert p.reason in ((decision.basis,) if p.allowed else decision.refusals)
        assert powers.scope and all(r.source for r in powers.scope)
    assert authority.issuing_powers(issuers[2]).allowed_levels == ("yellow", "blue")
