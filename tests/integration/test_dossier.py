"""The dossier of one incident (issue 5 item 7): its whole record as JSON and as a PDF, within
the caller's scope, on both databases."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta

import pytest

from fenghuo import dossier
from fenghuo.common.errors import NotFound
from fenghuo.incident import evidence, handling
from fenghuo.org import interchange, registers
from fenghuo.org.schemas import ContactIn
from fenghuo.response import service as responses
from fenghuo.response.schemas import (
    ActivateIn,
    DispatchIn,
    EndIn,
    ProgressIn,
    SectionsIn,
    ShiftIn,
    SupportIn,
)
from tests.integration.test_responses import SECTIONS, incident
from tests.integration.test_warnings import TEAMS

ROBOT = "https://oapi.dingtalk.com/robot/send?access_token=dossier-secret-token-0001"
PCAP = b"\xd4\xc3\xb2\xa1" + bytes(range(60))


@dataclass(frozen=True)
class Scenario:
    incident: str
    response: str
    sha256: str


def scenario(rt, principal, clock) -> Scenario:
    """A major incident at the Beijing bank: routed, notified and acknowledged; a Level II
    response by the Beijing office with a duty shift, a progress report and support the
    Emergency Office dispatches; ended by the province; its investigation written and
    submitted; a packet capture preserved as evidence. Also used by
    tools/render_dossier_sample.py."""
    interchange.import_document(rt.uow, rt.clock, principal=None,
                                doc=interchange.parse_yaml(TEAMS.read_text(), TEAMS.name))
    registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"),
                          body="cn.emergency-office", data=ContactIn(
                              name="值班机器人 Duty robot", channel="dingtalk", value=ROBOT))
    registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"),
                          body="110000.office", data=ContactIn(
                              name="Duty", channel="email", value="duty@110000.example"))
    inc = incident(rt, principal, clock, "serious")
    clock.advance(minutes=5)
    handling.acknowledge(rt.uow, rt.clock, principal=principal("bj_duty"), ref=inc.ref)
    added = evidence.add(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=inc.ref,
                         filename="capture.pcap", content_type="application/vnd.tcpdump.pcap",
                         content=PCAP)
    duty = principal("bj_duty")
    now = clock.now()
    responses.add_shift(rt.uow, rt.clock, principal=duty, data=ShiftIn(
        officer="王值班 Wang", contact="+86 10 0000 0000", starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=23), handover_note="watch the bank"))
    r = responses.activate(rt.uow, rt.clock, principal=duty,
                           data=ActivateIn(incident=inc.ref, level="II"))
    clock.advance(minutes=40)
    responses.report_progress(rt.uow, rt.clock, principal=duty, ref=r.ref, data=ProgressIn(
        developments="攻击流量已回落 attack traffic down", progress="清洗生效 scrubbing works"))
    out = responses.request_support(rt.uow, rt.clock, principal=duty, ref=r.ref,
                                    data=SupportIn(needs="取证队伍 forensics team on site"))
    responses.dispatch(rt.uow, rt.clock, principal=principal("nat_admin"), ref=r.ref,
                       request_ref=out.support[0].ref,
                       data=DispatchIn(body="cn.team-forensics", note="arrives 14:00"))
    clock.advance(hours=3)
    responses.end(rt.uow, rt.clock, principal=duty, ref=r.ref,
                  data=EndIn(reason="已恢复 services restored"))
    clock.advance(days=2)
    responses.write_investigation(rt.uow, rt.clock, principal=duty, ref=r.ref,
                                  data=SectionsIn(sections=SECTIONS))
    responses.advance_investigation(rt.uow, rt.clock, principal=duty, ref=r.ref,
                                    target="submitted")
    clock.advance(hours=1)
    return Scenario(inc.ref, r.ref, added.sha256)


def test_the_dossier_holds_the_whole_record(rt, principal, clock):
    sc = scenario(rt, principal, clock)
    d = dossier.build(rt.uow, rt.clock, principal=principal("bj_duty"), ref=sc.incident)
    assert (d.generated_by, d.generated_at) == ("bj_duty", clock.now())
    doc = json.loads(dossier.to_json(d))
    inc = doc["incident"]
    assert inc["ref"] == sc.incident and inc["grade"] == "major"
    kinds = [e["kind"] for e in inc["timeline"]]
    assert kinds[:2] == ["reported", "graded"] and "acknowledged" in kinds
    assert "evidence_added" in kinds
    routes = {r["body"]: r for r in inc["routes"]}
    assert routes["110000.office"]["acknowledged_by"] == "bj_duty"
    assert "cn.emergency-office" in routes
    assert {m["channel"] for m in inc["deliveries"]} >= {"email", "dingtalk"}
    # the duty officer may not manage the robot: its token stays out of the dossier (issue 18)
    assert "https://oapi.dingtalk.com/…" in {m["address"] for m in inc["deliveries"]}
    assert b"dossier-secret-token-0001" not in dossier.to_json(d)
    assert inc["duties"] and inc["grade_reasons"]
    [resp] = doc["responses"]
    assert (resp["ref"], resp["level"], resp["state"]) == (sc.response, "II", "ended")
    assert resp["progress"][0]["progress"] == "清洗生效 scrubbing works"
    assert resp["support"][0]["dispatches"][0]["body"] == "cn.team-forensics"
    duty = {p["body"]: (p["role"], p["duty_24h"]) for p in resp["participants"]}
    assert duty == {"110000.office": ("activator", True),
                    "cn.emergency-office": ("informed", False)}
    inv = resp["investigation"]
    assert (inv["organizer_body"], inv["state"], inv["clock"]) == ("110000.office",
                                                                  "submitted", "due")
    assert inv["sections"] == SECTIONS
    assert doc["evidence"] == [{
        "id": doc["evidence"][0]["id"], "filename": "capture.pcap",
        "content_type": "application/vnd.tcpdump.pcap", "size": len(PCAP),
        "sha256": hashlib.sha256(PCAP).hexdigest(), "added_at": doc["evidence"][0]["added_at"],
        "added_by": "bj_reporter"}]
    assert dossier.to_json(d) == dossier.to_json(d)  # stable bytes, for the footer's hash


def test_the_dossier_is_scoped_like_the_incident(rt, principal, clock):
    sc = scenario(rt, principal, clock)
    with pytest.raises(NotFound):
        dossier.build(rt.uow, rt.clock, principal=principal("sh_admin"), ref=sc.incident)
    with pytest.raises(NotFound):
        dossier.build(rt.uow, rt.clock, principal=principal("bj_duty"), ref="IN-19700101-0000")
    # the reporting unit sees its incident, but not a response its body takes no part in
    own = dossier.build(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=sc.incident)
    assert own.incident.ref == sc.incident and own.responses == []
    # building the dossier is a view of the evidence in its chain of custody
    files = evidence.list_evidence(rt.uow, rt.clock, principal=principal("bj_admin"),
                                   ref=sc.incident)
    assert ("bj_reporter", "viewed") in {(c["actor"], c["action"]) for c in files[0].custody}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_pdf_shows_the_record_in_chinese_and_english(rt, principal, clock, tmp_path):
    sc = scenario(rt, principal, clock)
    d = dossier.build(rt.uow, rt.clock, principal=principal("bj_duty"), ref=sc.incident)
    pdf = dossier.to_pdf(d)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "dossier.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    for needle in (sc.incident, sc.response, sc.sha256, "网络安全事件档案", "应急响应",
                   "证据哈希", "调查评估", "cn.team-forensics",
                   hashlib.sha256(dossier.to_json(d)).hexdigest()):
        assert needle in text, needle
    assert re.search(r"第 1 / \d+ 页 · page 1 of \d+", text)  # page numbers
    assert "dossier-secret-token" not in text  # robot tokens are not printed
    hostile = d.model_copy(update={"incident": d.incident.model_copy(
        update={"title": "<script>alert(1)</script>"})})
    html = dossier.to_html(hostile)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
