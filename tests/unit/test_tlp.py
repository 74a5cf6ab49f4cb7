"""TLP 2.0 (FIRST, 2022) as pure rules (``sharing.tlp``) and the pure rules of incident sharing
(Plan §3.2; Law art. 29) in ``sharing.service``."""

from __future__ import annotations

import pytest

from fenghuo.common.scope import Scope
from fenghuo.incident import rules as incident_rules
from fenghuo.org.rules import BodyKind, JurisdictionLevel
from fenghuo.sharing import service
from fenghuo.sharing.tlp import (
    DEFAULT,
    REACH,
    TLP_LABELS,
    Relation,
    Tlp,
    may_receive,
    may_reshare,
    strictest,
)

N, S, C, P = Relation.NAMED, Relation.IN_SCOPE, Relation.COMMUNITY, Relation.PUBLIC

#: TLP 2.0 definitions, written out label by label (not derived from REACH):
#: CLEAR — disclosure not limited; GREEN — the community, not public; AMBER — the organization
#: and its clients (here: scope); AMBER+STRICT — the organization only (here: named);
#: RED — named recipients only.
EXPECTED = {
    Tlp.CLEAR: {N: True, S: True, C: True, P: True},
    Tlp.GREEN: {N: True, S: True, C: True, P: False},
    Tlp.AMBER: {N: True, S: True, C: False, P: False},
    Tlp.AMBER_STRICT: {N: True, S: False, C: False, P: False},
    Tlp.RED: {N: True, S: False, C: False, P: False},
}


@pytest.mark.parametrize("label", list(Tlp))
@pytest.mark.parametrize("relation", list(Relation))
def test_tlp2_each_label_reaches_exactly_its_recipients(label, relation):
    """TLP 2.0 definitions: every label × every relation."""
    d = may_receive(label, relation)
    assert d.allowed is EXPECTED[label][relation]
    if d.allowed:
        assert d.basis is not None and d.basis.code == f"tlp.{label.value}"
        assert d.basis.source == "TLP 2.0"
    else:
        assert [r.code for r in d.refusals] == ["tlp.beyond_reach"]
        assert label.marking in d.refusals[0].text_en and label.marking in d.refusals[0].text_zh


def test_tlp2_reach_table_matches_the_definitions():
    for label, row in EXPECTED.items():
        farthest = max(r for r, ok in row.items() if ok)
        assert REACH[label] == farthest


def test_tlp2_red_is_never_passed_on():
    """TLP 2.0: TLP:RED — no further disclosure."""
    d = may_reshare(Tlp.RED)
    assert not d.allowed and d.refusals[0].code == "tlp.red_no_onward"
    for label in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT):
        assert may_reshare(label).allowed


def test_strictest_label_of_a_whole_is_its_most_restricted_part():
    assert strictest(["clear", "amber", Tlp.GREEN]) == Tlp.AMBER
    assert strictest([Tlp.AMBER_STRICT, Tlp.AMBER]) == Tlp.AMBER_STRICT
    assert strictest([Tlp.RED, Tlp.CLEAR]) == Tlp.RED
    assert strictest([]) == Tlp.CLEAR


def test_tlp_spellings_markings_and_labels():
    assert Tlp("TLP:AMBER+STRICT") is Tlp.AMBER_STRICT
    assert Tlp("white") is Tlp.CLEAR  # TLP 1.0's name for CLEAR
    assert Tlp(" tlp:Red ") is Tlp.RED
    with pytest.raises(ValueError):
        Tlp("purple")
    assert Tlp.AMBER_STRICT.marking == "TLP:AMBER+STRICT"
    assert [t.rank for t in Tlp] == [0, 1, 2, 3, 4]
    assert DEFAULT is Tlp.AMBER
    assert set(TLP_LABELS) == set(Tlp)
    assert all(zh.startswith(t.marking) and en.startswith(t.marking)
               for t, (zh, en) in TLP_LABELS.items())


# --- sharing rules (Plan §3.2; Law art. 29) ---------------------------------------------------


def test_plan_3_2_only_the_national_emergency_office_shares():
    assert service.may_share_incident(national_emergency_office=True).allowed
    d = service.may_share_incident(national_emergency_office=False)
    assert [r.code for r in d.refusals] == ["share.not_emergency_office"]
    assert "Plan §3.2" in d.refusals[0].source


@pytest.mark.parametrize(("kind", "level", "ok"), [
    (BodyKind.OFFICE, JurisdictionLevel.PROVINCE, True),
    (BodyKind.DEPARTMENT, JurisdictionLevel.NATIONAL, True),
    (BodyKind.DEPARTMENT, JurisdictionLevel.PROVINCE, True),
    (BodyKind.OFFICE, JurisdictionLevel.CITY, False),
    (BodyKind.OFFICE, JurisdictionLevel.NATIONAL, False),
    (BodyKind.OPERATOR, JurisdictionLevel.PROVINCE, False),
    (BodyKind.CERT, JurisdictionLevel.PROVINCE, False),
])
def test_plan_3_2_shares_go_to_provinces_and_departments(kind, level, ok):
    problem = service.recipient_problem(kind=kind, level=level, active=True, is_sharer=False)
    assert (problem is None) is ok
    assert service.recipient_problem(kind=BodyKind.DEPARTMENT, level=level, active=False,
                                     is_sharer=False) == "is not active"
    assert service.recipient_problem(kind=BodyKind.DEPARTMENT, level=level, active=True,
                                     is_sharer=True) == "is your own body"


def test_tlp2_share_decision_checks_each_recipient():
    assert service.share_decision(Tlp.GREEN, {"310000.office": C, "cn.pbc": S}).allowed
    d = service.share_decision(Tlp.AMBER, {"310000.office": C, "cn.pbc": S})
    assert [r.code for r in d.refusals] == ["tlp.beyond_reach"]
    assert d.refusals[0].text_en.startswith("310000.office: ")
    d = service.share_decision(Tlp.AMBER_STRICT, {"a": S, "b": C, "c": N})
    assert [r.text_en.split(":")[0] for r in d.refusals] == ["a", "b"]


def test_tlp2_a_red_incident_is_not_shared_even_to_named_bodies():
    d = service.share_decision(Tlp.RED, {"310000.office": N})
    assert [r.code for r in d.refusals] == ["tlp.red_no_onward"]


def test_tlp_only_an_office_relabels():
    assert service.may_relabel(office=True).allowed
    assert [r.code for r in service.may_relabel(office=False).refusals] == ["tlp.office_only"]


def test_law_30_a_share_lets_the_recipient_read_but_not_handle():
    """Plan §3.2: a body the incident was shared with reads it (``shared``), it does not become
    one that handles it."""
    f = incident_rules.IncidentFacts(subject_body_id=500, reporting_body_id=500,
                                     jurisdiction_path="/1/2/3/", sector="finance",
                                     routed_body_ids=frozenset({201}),
                                     shared_body_ids=frozenset({700}))
    recipient = Scope(700, "/1/9/", frozenset(), None, False)
    other = Scope(701, "/1/9/", frozenset(), None, False)
    assert incident_rules.incident_visible(recipient, f, shared=True)
    assert not incident_rules.incident_visible(recipient, f)
    assert not incident_rules.incident_visible(other, f, shared=True)
