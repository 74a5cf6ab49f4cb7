"""Issue 19 item 4, through HTTP on both databases: approvers see the drafts waiting for them
(the decision the approve action takes), publish and lift are confirmed on a page naming the
bodies the action notifies (the very bodies notified afterwards), the form's scope is picked by
name, and the body search answers within the caller's scope only."""

from __future__ import annotations

import re

from sqlalchemy import select

from fenghuo.notify.models import OutboxMessage
from fenghuo.org import accounts
from fenghuo.org.models import Body
from fenghuo.warning import service as warnings
from fenghuo.warning.models import EarlyWarning
from tests.e2e.test_web_form import login
from tests.e2e.test_web_warnings import as_user, draft_through_form, post, ref_of, stored


def listed_bodies(html: str, action: str) -> set[str]:
    part = html.split(f'id="{action}-recipients"')[1].split("</ul>")[0]
    return set(re.findall(r'data-body="([^"]+)"', part))


def test_approvers_see_the_drafts_waiting_for_them(client, rt):
    login(client, "bj_duty")
    ref = draft_through_form(client)
    mine = client.get("/web/warnings").text  # the drafter may not approve: not waiting for them
    assert 'id="awaiting"' not in mine

    head = as_user(client, "bj_admin")
    page = head.get("/web/warnings").text
    assert "待我审批" in page
    row = page.split('id="awaiting"')[1].split("</section>")[0].split(f'data-ref="{ref}"')[1]
    row = row.split("</tr>")[0]
    assert "bj_duty" in row and "勒索软件攻击金融机构" in row
    assert "Waiting for my approval" in head.get(
        "/web/warnings", headers={"Accept-Language": "en"}).text

    # the service agrees with the approve action: every listed draft is approvable
    admin = accounts.principal_for(rt.uow, username="bj_admin")
    waiting = warnings.awaiting_approval(rt.uow, admin, 20)
    assert ref in [a.summary.ref for a in waiting]
    assert all(warnings.available_actions(rt.uow, principal=admin, ref=a.summary.ref)
               .approve.allowed for a in waiting)
    duty = accounts.principal_for(rt.uow, username="bj_duty")
    assert ref not in [a.summary.ref for a in warnings.awaiting_approval(rt.uow, duty, 20)]
    other = accounts.principal_for(rt.uow, username="sh_admin")  # another body
    assert ref not in [a.summary.ref for a in warnings.awaiting_approval(rt.uow, other, 20)]

    ref_of(post(head, f"/web/warnings/{ref}/approve"))  # once approved it waits no longer
    assert ref not in [a.summary.ref for a in warnings.awaiting_approval(rt.uow, admin, 20)]


def test_the_confirmation_names_the_bodies_the_action_notifies(client, rt):
    login(client, "bj_duty")
    ref = draft_through_form(client)
    head = as_user(client, "bj_admin")
    ref_of(post(head, f"/web/warnings/{ref}/approve"))
    path = f"/web/warnings/{ref}"

    page = head.get(path).text  # the button opens the dialog, or the confirm page without JS
    assert f'action="{path}/confirm"' in page and '<dialog id="confirm-publish"' in page
    dialog = listed_bodies(page, "publish")
    confirm = head.get(f"{path}/confirm?action=publish").text
    listed = listed_bodies(confirm, "publish")
    assert listed and listed == dialog and "bj-finance-reg" in listed
    assert f'action="{path}/publish"' in confirm
    assert re.search(r"发布后将通知以下 (\d+) 个机构", confirm).group(1) == str(len(listed))
    assert stored(rt, ref).state == "approved"  # nothing happened yet
    with rt.uow() as s:
        w = s.scalar(select(EarlyWarning).where(EarlyWarning.ref == ref))
        assert not s.scalars(select(OutboxMessage).where(OutboxMessage.warning_id == w.id)).all()

    ref_of(post(head, f"{path}/publish"))
    w = stored(rt, ref)
    assert w.state == "published"
    assert {r.body for r in w.recipients} == listed
    with rt.uow() as s:
        wid = s.scalar(select(EarlyWarning.id).where(EarlyWarning.ref == ref))
        sent = set(s.scalars(select(Body.key).join(OutboxMessage, OutboxMessage.body_id == Body.id)
                             .where(OutboxMessage.warning_id == wid)))
    assert sent and sent <= listed

    confirm = head.get(f"{path}/confirm?action=lift&reason=patched").text
    assert listed_bodies(confirm, "lift") == listed and 'value="patched"' in confirm
    assert "解除后将通知" in confirm
    again = head.get(f"{path}/confirm?action=publish").text  # published: no second time
    assert 'id="confirm-refused"' in again and "publish-confirmed" not in again
    fin = as_user(client, "bj_fin")  # not the issuer: the confirmation refuses, naming the rule
    r = fin.get(f"{path}/confirm?action=lift")
    assert 'id="confirm-refused"' in r.text and "lift-confirmed" not in r.text
    assert head.get(f"{path}/confirm?action=approve").status_code == 404


def test_a_public_warning_says_it_goes_to_the_public_feeds(client, rt):
    login(client, "bj_duty")
    ref = draft_through_form(client, tlp="clear", public="1")
    head = as_user(client, "bj_admin")
    ref_of(post(head, f"/web/warnings/{ref}/approve"))
    confirm = head.get(f"/web/warnings/{ref}/confirm?action=publish").text
    assert 'id="publish-public"' in confirm and "公众页面" in confirm
    other = draft_through_form(client)
    ref_of(post(head, f"/web/warnings/{other}/approve"))
    assert 'id="publish-public"' not in head.get(
        f"/web/warnings/{other}/confirm?action=publish").text


def test_the_form_picks_regions_and_sectors_by_name(client, rt):
    login(client, "bj_duty")
    page = client.get("/web/warnings/new").text
    regions = page.split('id="region-list"')[1].split("</div>")[0]
    codes = re.findall(r'name="jurisdictions" value="([^"]+)"', regions)
    assert "110000" in codes and "310000" not in codes  # only the caller's own region and below
    assert all(c.startswith("11") for c in codes)
    assert re.search(r'value="110000" checked', regions) and "北京" in regions
    assert not re.search(r">\s*1100\d\d\s*<", regions)  # names shown, not codes
    assert "金融" in page.split('id="sectors"')[1].split("</fieldset>")[0]
    assert "(110000)" not in page and "（110000）" not in page
    nat = as_user(client, "nat_admin")
    national = nat.get("/web/warnings/new").text.split('id="region-list"')[1]
    assert 'value="310000"' in national and 'value="110000"' in national
    # the picker posts codes; several ticked boxes make the scope
    picked = ["110000", *[c for c in codes if c != "110000"][:1]]
    ref = draft_through_form(client, jurisdictions=picked)
    assert [j.code for j in stored(rt, ref).jurisdictions] == picked


def test_a_typed_body_is_resolved_by_key_or_exact_name(rt):
    from fenghuo.common.errors import ValidationFailed
    from fenghuo.web.warnings import resolve_body
    me = accounts.principal_for(rt.uow, username="bj_duty")
    with rt.uow() as s:
        bank = s.scalar(select(Body).where(Body.key == "bj-bank"))
        zh, en = bank.name_zh, bank.name_en
    assert resolve_body(rt, me, "bj-bank") == "bj-bank"
    assert resolve_body(rt, me, zh) == "bj-bank" and resolve_body(rt, me, en.lower()) == "bj-bank"
    sh = accounts.principal_for(rt.uow, username="sh_admin")
    for who, typed in ((sh, "bj-bank"), (me, "no such body"), (me, "")):
        try:
            resolve_body(rt, who, typed)
        except ValidationFailed as exc:
            assert exc.errors[0].field == "body"
        else:
            raise AssertionError(f"{typed!r} resolved for {who.username}")


def test_the_body_search_answers_within_the_callers_scope(client, rt):
    assert client.get("/web/directory/search.json?q=bank").status_code == 401
    login(client, "bj_duty")
    found = client.get("/web/directory/search.json?q=bj-bank").json()
    assert "bj-bank" in [b["key"] for b in found]
    with rt.uow() as s:
        bank = s.scalar(select(Body).where(Body.key == "bj-bank"))
    by_zh = client.get("/web/directory/search.json", params={"q": bank.name_zh[:4]}).json()
    assert "bj-bank" in [b["key"] for b in by_zh]
    by_en = client.get("/web/directory/search.json",
                       params={"q": bank.name_en.upper()[:6]}).json()
    assert "bj-bank" in [b["key"] for b in by_en]
    assert len(client.get("/web/directory/search.json?q=o").json()) <= 20
    assert client.get("/web/directory/search.json?q=").json() == []
    sh = as_user(client, "sh_admin")  # Shanghai does not see a Beijing unit (Law art. 30)
    assert "bj-bank" not in [b["key"] for b in sh.get(
        "/web/directory/search.json?q=bj-bank").json()]
    assert "bj-bank" not in [b["key"] for b in sh.get(
        "/web/directory/search.json", params={"q": bank.name_zh}).json()]
