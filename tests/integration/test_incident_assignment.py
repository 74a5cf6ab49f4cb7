"""Issue 19 item 1: an incident is assigned to an active user of a body handling it (routed to
it, or its unit), unassigned, and found under "mine" — audited and on the timeline, on both
databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from fenghuo.common.errors import Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.incident import assignment, queries
from fenghuo.org.models import User
from tests.integration.test_reporting_chain import file
from tests.integration.test_sharing import audit_actions


def assign(rt, principal, ref, username, user="bj_duty"):
    return assignment.assign(rt.uow, rt.clock, principal=principal(user), ref=ref,
                             username=username)


def mine(rt, principal, user, assignee):
    return [i.ref for i in queries.list_incidents(rt.uow, principal=principal(user),
                                                  page=PageParams(limit=50),
                                                  assignee=assignee).items]


def test_assign_refuse_an_outsider_unassign_and_audit(rt, principal, clock):
    out = file(rt, principal, clock)
    assert out.assignee is None
    done = assign(rt, principal, out.ref, "bj_analyst")  # the Beijing office it was routed to
    with rt.uow() as s:
        name = s.scalar(select(User.display_name).where(User.username == "bj_analyst"))
        s.execute(update(User).where(User.username == "bj_ro").values(active=False))
    assert (done.assignee.username, done.assignee.display_name) == ("bj_analyst", name)
    ev = [e for e in done.timeline if e.kind == "assigned"]
    assert [(e.actor, e.detail["from"], e.detail["to"]) for e in ev] == [
        ("bj_duty", None, "bj_analyst")]
    # the unit itself handles its incident too
    assert assign(rt, principal, out.ref, "bj_reporter").assignee.username == "bj_reporter"
    for outsider in ("sh_admin", "no_such_user", "bj_ro"):  # elsewhere; nobody; inactive
        with pytest.raises(ValidationFailed) as refused:
            assign(rt, principal, out.ref, outsider)
        assert refused.value.errors[0].field == "username"
    again = queries.get_incident(rt.uow, principal=principal("bj_admin"), ref=out.ref,
                                 now=clock.now())
    assert again.assignee.username == "bj_reporter"  # nothing half-written
    gone = assign(rt, principal, out.ref, None)
    assert gone.assignee is None
    assert [e.kind for e in gone.timeline if e.kind.endswith("assigned")] == [
        "assigned", "assigned", "unassigned"]
    assert audit_actions(rt, out.ref).count("incident.assign") == 2
    assert audit_actions(rt, out.ref).count("incident.unassign") == 1
    assign(rt, principal, out.ref, None)  # unassigning again changes and writes nothing
    assert audit_actions(rt, out.ref).count("incident.unassign") == 1


def test_only_a_handler_in_scope_assigns(rt, principal, clock):
    out = file(rt, principal, clock)
    with pytest.raises(Forbidden):  # reads, does not handle
        assign(rt, principal, out.ref, "bj_duty", user="bj_ro")
    with pytest.raises(NotFound):  # out of scope answers like missing (Law art. 30)
        assign(rt, principal, out.ref, "sh_admin", user="sh_admin")


def test_the_mine_filter(rt, principal, clock):
    first = file(rt, principal, clock)
    second = file(rt, principal, clock, title="第二起 second")
    assign(rt, principal, first.ref, "bj_duty")
    assign(rt, principal, second.ref, "bj_analyst")
    assert mine(rt, principal, "bj_duty", "bj_duty") == [first.ref]
    assert mine(rt, principal, "bj_admin", "bj_analyst") == [second.ref]
    assert mine(rt, principal, "bj_admin", "nobody_at_all") == []
    assert set(mine(rt, principal, "bj_admin", None)) >= {first.ref, second.ref}
    assert mine(rt, principal, "sh_admin", "bj_duty") == []  # still scoped
    assign(rt, principal, first.ref, None)
    assert mine(rt, principal, "bj_duty", "bj_duty") == []
