"""Who gives commendations (Plan §7.10; Support obligation 9 通报表扬)."""

from __future__ import annotations

import pytest

from fenghuo.org.rules import BodyKind
from fenghuo.preparedness.rules import COMMENDING_KINDS, may_commend


@pytest.mark.parametrize("kind", list(BodyKind))
def test_only_groups_offices_departments_and_cncert_commend(kind):
    decision = may_commend(kind)
    assert decision.allowed is (kind in COMMENDING_KINDS)
    if decision.allowed:
        assert decision.basis.source == "Plan §7.10"
    else:
        assert [r.code for r in decision.refusals] == ["commend.not_authority"]


def test_the_commending_kinds():
    assert {BodyKind.OFFICE, BodyKind.CERT, BodyKind.DEPARTMENT} <= COMMENDING_KINDS
    assert BodyKind.OPERATOR not in COMMENDING_KINDS
    assert BodyKind.SUPPORT_UNIT not in COMMENDING_KINDS
