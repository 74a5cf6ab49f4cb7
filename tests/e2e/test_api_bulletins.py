"""Bulletins over HTTP (Plan §3.2; Support rights 2): generate, list, read as JSON, HTML and PDF,
send once; scope (Law art. 30) and TLP 2.0 as in the service tests."""

from __future__ import annotations

from tests.integration.test_bulletins import seed_month


def test_generate_read_and_send_a_monthly_bulletin(rt, clock, client, headers):
    seed_month(rt)
    clock.advance(days=30)
    me = headers("bj_duty")
    r = client.post("/api/v1/bulletins", json={"kind": "monthly", "period": "2026-11"},
                    headers=me)
    assert r.status_code == 201, r.text
    b = r.json()
    ref = b["ref"]
    assert r.headers["Location"] == f"/api/v1/bulletins/{ref}"
    assert b["issuer"] == "110000.office" and b["tlp"] == "green"
    assert b["data"]["figures"]["incidents"]["count"] == 5  # Beijing's scope only
    html = client.get(f"/api/v1/bulletins/{ref}.html", headers=me)
    assert html.status_code == 200 and "《网络安全月报》" in html.text
    assert "text/html" in html.headers["content-type"]
    pdf = client.get(f"/api/v1/bulletins/{ref}.pdf", headers=me)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert [x["ref"] for x in client.get("/api/v1/bulletins", headers=me).json()] == [ref]
    assert client.get(f"/api/v1/bulletins/{ref}", headers=headers("sh_admin")).status_code == 404
    assert client.get(f"/api/v1/bulletins/{ref}.pdf",
                      headers=headers("bj_support")).status_code == 404  # not sent yet
    sent = client.post(f"/api/v1/bulletins/{ref}/send", json={"recipients": []}, headers=me)
    assert sent.status_code == 200 and sent.json()["sent_to"] == ["bj-support"]
    again = client.post(f"/api/v1/bulletins/{ref}/send", json={}, headers=me).json()
    assert again["sent_to"] == [] and again["already_sent"] == ["bj-support"]
    # delivered: the support unit fetches it; it may not send it on or generate one
    assert client.get(f"/api/v1/bulletins/{ref}.pdf",
                      headers=headers("bj_support")).status_code == 200
    assert client.post(f"/api/v1/bulletins/{ref}/send", json={},
                       headers=headers("bj_support")).status_code == 403


def test_bad_input_is_a_422_and_roles_are_checked(rt, clock, client, headers):
    me = headers("bj_duty")
    for body in ({"kind": "weekly", "period": "2026-11"}, {"kind": "daily", "period": "2026-11"},
                 {"kind": "monthly", "period": "2026-10", "extra": 1}):
        assert client.post("/api/v1/bulletins", json=body, headers=me).status_code == 422
    assert client.post("/api/v1/bulletins", json={"kind": "monthly", "period": "2026-10"},
                       headers=headers("bj_analyst")).status_code == 403
    assert client.get("/api/v1/bulletins/BL-NOPE", headers=me).status_code == 404
    r = client.post("/api/v1/bulletins", json={"kind": "monthly", "period": "2026-10"},
                    headers=me)
    assert r.status_code == 201
    bad = client.post(f"/api/v1/bulletins/{r.json()['ref']}/send",
                      json={"recipients": ["no-such-body"]}, headers=me)
    assert bad.status_code == 422
