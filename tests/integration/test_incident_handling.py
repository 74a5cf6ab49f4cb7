"""Issue 19: a response moves its incident's state — activation to handling, the end to
resolved with the final-report duty (Plan §4.2, §4.3; CAC 2025 art. 8), on both databases."""

from __future__ import annotations

from fenghuo.incident.queries import incident_out, visible_incident
from fenghuo.response import service as responses
from fenghuo.response.schemas import EndIn
from tests.integration.test_responses import level_one


def _incident(rt, principal, ref):
    with rt.uow() as s:
        return incident_out(s, visible_incident(s, principal("nat_admin").scope, ref))


def test_a_response_moves_its_incident_to_handling_then_resolved(rt, principal, clock):
    r = level_one(rt, principal, clock)
    active = _incident(rt, principal, r.incident)
    assert active.state == "handling" and active.resolution is None
    assert [d.kind for d in active.duties].count("final_report") == 0
    responses.propose_end(rt.uow, rt.clock, principal=principal("nat_admin"), ref=r.ref,
                          data=EndIn(reason="systems restored"))
    responses.approve_end(rt.uow, rt.clock, principal=principal("hq_lead"), ref=r.ref)
    ended = _incident(rt, principal, r.incident)
    assert ended.state == "resolved" and r.ref in ended.resolution
    assert [d.kind for d in ended.duties].count("final_report") == 1
    last = [e for e in ended.timeline if e.kind == "state"][-1]
    assert (last.detail["from"], last.detail["to"], last.detail["response"]) == (
        "handling", "resolved", r.ref)
