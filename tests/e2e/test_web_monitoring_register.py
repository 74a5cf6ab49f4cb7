"""The constituency register in the console (issue 15 item 1; Law arts. 51–52, Plan §3.2) on
both databases, through real form posts: a unit registers and deletes its own networks and sees
only those (Law art. 30), an office registers its units' networks and its jurisdiction's address
space, the lookup says where an address, domain or AS lands and why, a file import is all or
nothing and names the bad row and field, and every POST needs the page's CSRF token."""

from __future__ import annotations

import re

from tests.e2e.test_web_form import csrf, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
PAGE = "/web/monitoring/register"


def _add(client, **fields):
    page = client.get(PAGE)
    data = {"csrf": csrf(page.text), "kind": "prefix", "role": "owner", "verified_by": "",
            "verified_at": "", "note": "", **fields}
    return client.post(PAGE, data=data, follow_redirects=False)


def _values(html: str) -> list[str]:
    return re.findall(r'<tr id="entry-\d+" data-value="([^"]+)"', html)


def _entry_id(html: str, value: str) -> str:
    return re.search(rf'<tr id="entry-(\d+)" data-value="{re.escape(value)}"', html).group(1)


def test_the_machine_monitoring_pages_need_a_login(client):
    for path in (PAGE, "/web/monitoring/feeds", "/web/monitoring/feeds/x",
                 "/web/monitoring/candidates", "/web/monitoring/candidates/MC-x"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/web/login?next=")
    for path in (PAGE, f"{PAGE}/import", f"{PAGE}/entries/1/delete", "/web/monitoring/feeds",
                 "/web/monitoring/candidates/MC-x/confirm"):
        r = client.post(path, data={"csrf": "x"}, follow_redirects=False)
        assert r.status_code == 303 and "/web/login" in r.headers["location"]


def test_a_unit_registers_sees_and_deletes_only_its_own(client):
    office = client.__class__(client.app)
    login(office, "bj_admin")
    assert _add(office, body="bj-telco", value="61.136.0.0/16").status_code == 303
    login(client, "bj_reporter")  # a user of bj-bank
    page = client.get(PAGE, headers=ZH)
    assert page.status_code == 200 and "网络归属登记" in page.text
    assert 'id="nav-monitoring-register" aria-current="page"' in page.text
    assert _values(page.text) == []  # the office's entry for bj-telco is not the unit's
    r = _add(client, body="bj-bank", value="61.135.0.0/16", verified_by="APNIC whois",
             verified_at="2026-10-30T09:00")
    assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?done=added"
    page = client.get(r.headers["location"], headers=ZH)
    assert "已登记。" in page.text and _values(page.text) == ["61.135.0.0/16"]
    assert "APNIC whois" in page.text and "2026年10月30日 09:00" in page.text
    # the other unit's entry: not the unit's to see nor to delete (404, Law art. 30)
    other = _entry_id(office.get(PAGE).text, "61.136.0.0/16")
    r = client.post(f"{PAGE}/entries/{other}/delete", data={"csrf": csrf(page.text)})
    assert r.status_code == 404
    assert _values(office.get(PAGE).text) == ["61.136.0.0/16", "61.135.0.0/16"]
    mine = _entry_id(page.text, "61.135.0.0/16")
    assert f'id="delete-{mine}-confirm"' in page.text  # the confirmation inside the row
    r = client.post(f"{PAGE}/entries/{mine}/delete", data={"csrf": "forged"})
    assert r.status_code == 401 and _values(client.get(PAGE).text) == ["61.135.0.0/16"]
    r = client.post(f"{PAGE}/entries/{mine}/delete", data={"csrf": csrf(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"], headers=ZH)
    assert "已删除该登记。" in page.text and _values(page.text) == []


def test_the_form_shows_errors_inline_and_needs_csrf(client):
    login(client, "bj_admin")
    page = client.get(PAGE)
    r = client.post(PAGE, data={"csrf": "forged", "body": "bj-bank", "kind": "prefix",
                                "value": "61.135.0.0/16", "role": "owner"})
    assert r.status_code == 401 and _values(client.get(PAGE).text) == []
    r = _add(client, body="bj-bank", value="61.135.0.1/16", note="<b>x</b>")
    assert r.status_code == 422 and 'id="value-error"' in r.text
    assert "not an IP prefix" in r.text and 'value="61.135.0.1/16"' in r.text
    assert "&lt;b&gt;x&lt;/b&gt;" in r.text and "<b>x</b>" not in r.text
    r = _add(client, body="bj-bank", value="", verified_at="yesterday")
    assert r.status_code == 422
    assert re.search(r'id="value-error">此项必填。', r.text)
    assert re.search(r'id="verified_at-error">请填写日期和时间。', r.text)
    # a unit holds no jurisdiction's address space; a taken network is a conflict on the value
    r = _add(client, body="bj-bank", value="222.186.0.0/16", role="jurisdiction")
    assert r.status_code == 422 and 'id="role-error"' in r.text
    assert _add(client, body="bj-bank", value="61.135.0.0/16").status_code == 303
    r = _add(client, body="bj-telco", value="61.135.0.0/16")
    assert r.status_code == 409 and "already registered to bj-bank" in r.text
    assert page.status_code == 200 and _values(client.get(PAGE).text) == ["61.135.0.0/16"]


def test_lookup_says_who_and_why(client):
    login(client, "bj_admin")
    assert _add(client, body="bj-bank", value="61.135.0.0/16").status_code == 303
    assert _add(client, body="110000.office", value="222.186.0.0/16",
                role="jurisdiction").status_code == 303
    assert _add(client, body="bj-bank", kind="domain", value="bank.example.com.cn"
                ).status_code == 303
    r = client.get(PAGE, params={"q": "61.135.3.3"}, headers=ZH)
    assert 'data-level="owner"' in r.text and 'id="lookup-body">北京某银行<' in r.text
    assert "它属于 61.135.0.0/16" in r.text and "自有网络" in r.text
    r = client.get(PAGE, params={"q": "222.186.9.9"}, headers={"Accept-Language": "en"})
    assert 'data-level="jurisdiction"' in r.text and "jurisdiction address space" in r.text
    r = client.get(PAGE, params={"q": "www.bank.example.com.cn"}, headers=ZH)
    assert 'data-level="owner"' in r.text and "bank.example.com.cn" in r.text
    r = client.get(PAGE, params={"q": "8.8.8.8"}, headers=ZH)
    assert 'data-level="national"' in r.text and "国家队列" in r.text
    r = client.get(PAGE, params={"q": "1.2.3"})
    assert 'id="lookup-error"' in r.text and "not an IP address" in r.text
    shanghai = client.__class__(client.app)
    login(shanghai, "sh_admin")
    r = shanghai.get(PAGE, params={"q": "61.135.3.3"}, headers=ZH)
    assert "权限范围以外" in r.text and "北京某银行" not in r.text
    assert _values(r.text) == []
    # filters: by kind and by holding body
    kinds = client.get(PAGE, params={"kind": "domain"}).text
    assert _values(kinds) == ["bank.example.com.cn"]
    held = client.get(PAGE, params={"body": "110000.office"}).text
    assert _values(held) == ["222.186.0.0/16"]


def _upload(client, name: str, content: bytes, token: str | None = None):
    page = client.get(PAGE)
    return client.post(f"{PAGE}/import", data={"csrf": token or csrf(page.text)},
                       files={"file": (name, content, "text/plain")}, follow_redirects=False)


def test_import_is_all_or_nothing_and_names_the_row(client):
    login(client, "bj_admin")
    bad = (b"body,kind,value,role\n"
           b"bj-bank,prefix,61.135.0.0/16,owner\n"
           b"bj-telco,prefix,61.136.0.0/16,\n"
           b"bj-telco,prefix,61.136.0.1/16,\n")
    r = _upload(client, "nets.csv", bad)
    assert r.status_code == 422 and 'id="import-errors"' in r.text
    assert "<code>nets.csv</code> · 第 3 行，字段 value：not an IP prefix" in r.text
    assert "not an IP prefix" in r.text and _values(client.get(PAGE).text) == []
    r = _upload(client, "nets.csv", b"body,kind,value\nbj-bank,ipnet,10.0.0.0/8\n")
    assert r.status_code == 422 and "第 1 行，字段 kind：请从所列选项中选择。" in r.text
    r = _upload(client, "nets.yaml", b"entries: [unclosed")
    assert r.status_code == 422 and "不是有效的 YAML" in r.text
    r = _upload(client, "nets.yaml", b"- {body: bj-bank, kind: prefix, value: 61.135.0.0/16}\n"
                                     b"- {body: sh-bank, kind: prefix, value: 58.32.0.0/16}\n")
    assert r.status_code == 422 and "第 2 行，字段 body" in r.text  # Shanghai: not in scope
    r = _upload(client, "nets.csv", bad, token="forged")
    assert r.status_code == 401
    page = client.get(PAGE)
    r = client.post(f"{PAGE}/import", data={"csrf": csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 422 and "请选择 CSV 或 YAML 文件。" in r.text
    assert _values(client.get(PAGE).text) == []
    good = ("entries:\n"
            "  - {body: bj-bank, kind: prefix, value: 61.135.0.0/16, verified_by: 合同}\n"
            "  - {body: bj-telco, kind: asn, value: AS64500}\n").encode()
    r = _upload(client, "nets.yml", good)
    assert r.status_code == 303 and "done=imported" in r.headers["location"]
    page = client.get(r.headers["location"], headers=ZH)
    assert "已导入：新增 2 条，更新 0 条，未变 0 条。" in page.text
    assert _values(page.text) == ["61.135.0.0/16", "64500"] and "AS64500" in page.text
    r = _upload(client, "again.csv", b"body,kind,value,verified_by\n"
                                     b"bj-bank,prefix,61.135.0.0/16,\n")
    page = client.get(r.headers["location"], headers=ZH)
    assert "新增 0 条，更新 1 条，未变 0 条" in page.text


def test_read_only_users_see_no_forms(client):
    login(client, "bj_ro")
    page = client.get(PAGE, headers=ZH)
    assert page.status_code == 200 and 'id="add-entry"' not in page.text
    assert 'id="import-entries"' not in page.text and 'id="lookup-form"' in page.text
    r = client.post(PAGE, data={"csrf": csrf(page.text), "body": "110000.office",
                                "kind": "prefix", "value": "10.0.0.0/8", "role": "owner"})
    assert r.status_code == 403
