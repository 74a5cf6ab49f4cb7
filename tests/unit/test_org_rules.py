"""Pure rules of the organization model (no database)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenghuo.org import rules
from fenghuo.org.rules import BodyFacts, BodyKind, Channel, JurisdictionLevel, Permission, Role

NATION, BJ, SH, BJ_CITY = "/1/", "/1/2/", "/1/3/", "/1/2/9/"


def body(id_: int, kind: BodyKind, path: str, sectors: set[str] = frozenset()) -> BodyFacts:
    return BodyFacts(id_, kind, path, frozenset(sectors))


class TestTree:
    """Plan §2, City §3: national → province → city → county."""

    @pytest.mark.parametrize(("parent", "child", "ok"), [
        (None, JurisdictionLevel.NATIONAL, True),
        (None, JurisdictionLevel.PROVINCE, False),
        (JurisdictionLevel.NATIONAL, JurisdictionLevel.PROVINCE, True),
        (JurisdictionLevel.PROVINCE, JurisdictionLevel.CITY, True),
        (JurisdictionLevel.CITY, JurisdictionLevel.COUNTY, True),
        (JurisdictionLevel.NATIONAL, JurisdictionLevel.CITY, False),
        (JurisdictionLevel.COUNTY, JurisdictionLevel.COUNTY, False),
        (JurisdictionLevel.PROVINCE, JurisdictionLevel.PROVINCE, False),
    ])
    def test_child_level(self, parent, child, ok):
        assert rules.child_level_ok(parent, child) is ok

    def test_paths(self):
        assert rules.child_path(None, 1) == "/1/"
        assert rules.child_path("/1/2/", 9) == "/1/2/9/"
        assert rules.path_ids("/1/2/9/") == [1, 2, 9]

    @pytest.mark.parametrize(("code", "ok"), [("110000", True), ("14050", False), ("XPCC", False)])
    def test_division_codes(self, code, ok):
        assert rules.division_code_ok(code) is ok


class TestScope:
    """Law art. 30; Plan §2.3 (departments: their sector), §2.4 (provinces: their region),
    §1.5 (operators answer for their own networks)."""

    def test_office_sees_its_subtree_in_every_sector(self):
        scope = rules.scope_for(body(5, BodyKind.OFFICE, BJ))
        assert scope.sectors is None and not scope.own_body_only
        assert rules.body_visible(scope, body(6, BodyKind.OPERATOR, BJ_CITY, {"finance"}))
        assert not rules.body_visible(scope, body(7, BodyKind.OPERATOR, SH, {"finance"}))
        assert not rules.body_visible(scope, body(8, BodyKind.OFFICE, NATION))

    def test_department_sees_only_its_sectors(self):
        scope = rules.scope_for(body(5, BodyKind.DEPARTMENT, BJ, {"finance"}))
        assert scope.sectors == {"finance"}
        assert rules.body_visible(scope, body(6, BodyKind.OPERATOR, BJ_CITY, {"finance"}))
        assert not rules.body_visible(scope, body(7, BodyKind.OPERATOR, BJ, {"telecom"}))
        assert not rules.body_visible(scope, body(8, BodyKind.OFFICE, BJ))
        assert rules.body_visible(scope, body(5, BodyKind.DEPARTMENT, BJ, {"finance"}))

    @pytest.mark.parametrize("kind", [BodyKind.OPERATOR, BodyKind.SUPPORT_UNIT,
                                      BodyKind.SUPPORT_TEAM])
    def test_units_see_only_themselves(self, kind):
        scope = rules.scope_for(body(5, kind, BJ, {"finance"}))
        assert scope.own_body_only
        assert rules.body_visible(scope, body(5, kind, BJ, {"finance"}))
        assert not rules.body_visible(scope, body(6, BodyKind.OPERATOR, BJ, {"finance"}))
        assert not rules.jurisdiction_visible(scope, 9, BJ_CITY)
        assert rules.jurisdiction_visible(scope, 2, BJ)
        assert rules.jurisdiction_visible(scope, 1, NATION)

    def test_ancestors_visible_by_name_siblings_not(self):
        scope = rules.scope_for(body(5, BodyKind.OFFICE, BJ_CITY))
        assert scope.ancestor_jurisdiction_ids == {1, 2}
        assert rules.jurisdiction_visible(scope, 1, NATION)
        assert rules.jurisdiction_visible(scope, 2, BJ)
        assert not rules.jurisdiction_visible(scope, 3, SH)

    def test_national_office_is_national(self):
        assert rules.scope_for(body(1, BodyKind.OFFICE, NATION)).is_national
        assert not rules.scope_for(body(1, BodyKind.OFFICE, BJ)).is_national
        assert not rules.scope_for(body(1, BodyKind.DEPARTMENT, NATION, {"finance"})).is_national

    def test_prefix_of_a_different_id_is_not_a_subtree(self):
        """/1/2/ must not cover /1/23/."""
        scope = rules.scope_for(body(5, BodyKind.OFFICE, "/1/2/"))
        assert not rules.body_visible(scope, body(6, BodyKind.OPERATOR, "/1/23/", {"water"}))

    def test_where_bodies_may_be_placed(self):
        office = rules.scope_for(body(5, BodyKind.OFFICE, BJ))
        dept = rules.scope_for(body(6, BodyKind.DEPARTMENT, BJ, {"finance"}))
        op = rules.scope_for(body(7, BodyKind.OPERATOR, BJ, {"finance"}))
        assert rules.may_place_body(office, jurisdiction_path=BJ_CITY, sectors=frozenset())
        assert not rules.may_place_body(office, jurisdiction_path=SH, sectors=frozenset())
        assert rules.may_place_body(dept, jurisdiction_path=BJ, sectors=frozenset({"finance"}))
        assert not rules.may_place_body(dept, jurisdiction_path=BJ,
                                        sectors=frozenset({"finance", "energy"}))
        assert not rules.may_place_body(dept, jurisdiction_path=BJ, sectors=frozenset())
        assert not rules.may_place_body(op, jurisdiction_path=BJ, sectors=frozenset({"finance"}))

    @given(st.lists(st.integers(1, 50), min_size=1, max_size=5),
           st.lists(st.integers(1, 50), min_size=1, max_size=5))
    def test_subtree_is_exactly_path_descent(self, a, b):
        pa, pb = "/" + "/".join(map(str, a)) + "/", "/" + "/".join(map(str, b)) + "/"
        scope = rules.scope_for(body(999, BodyKind.OFFICE, pa))
        visible = rules.body_visible(scope, body(1000, BodyKind.OPERATOR, pb, {"x"}))
        assert visible == (b[: len(a)] == a)


class TestRoles:
    """The permission each role carries; explicit so a change to the table fails here."""

    R = {Permission.ORG_READ, Permission.INCIDENT_READ, Permission.MONITORING_READ,
         Permission.WARNING_READ, Permission.RESPONSE_READ, Permission.PREPAREDNESS_READ,
         Permission.SUPERVISION_READ}
    EXPECTED = {
        Role.ADMINISTRATOR: set(Permission),
        Role.DUTY_OFFICER: R | {Permission.USER_READ, Permission.INCIDENT_REPORT,
                                Permission.INCIDENT_HANDLE, Permission.MONITORING_SUBMIT,
                                Permission.REGISTER_WRITE,
                                Permission.WARNING_DRAFT, Permission.WARNING_ISSUE,
                                Permission.WARNING_RESPOND, Permission.RESPONSE_COMMAND,
                                Permission.RESPONSE_REPORT, Permission.PREPAREDNESS_WRITE,
                                Permission.SUPPORT_LOG, Permission.SUPPORT_MANAGE,
                                Permission.SUPERVISION_WRITE, Permission.SUPERVISION_RESPOND},
        Role.ANALYST: R | {Permission.INCIDENT_REPORT, Permission.INCIDENT_HANDLE,
                           Permission.MONITORING_SUBMIT, Permission.REGISTER_WRITE,
                           Permission.WARNING_DRAFT,
                           Permission.WARNING_RESPOND, Permission.RESPONSE_REPORT,
                           Permission.PREPAREDNESS_WRITE, Permission.SUPPORT_LOG},
        Role.OPERATOR_REPORTER: R | {Permission.SYSTEM_WRITE, Permission.INCIDENT_REPORT,
                                     Permission.MONITORING_SUBMIT, Permission.REGISTER_WRITE,
                                     Permission.PREPAREDNESS_WRITE, Permission.WARNING_RESPOND,
                                     Permission.SUPERVISION_RESPOND},
        Role.SUPPORT_MEMBER: R | {Permission.INCIDENT_REPORT, Permission.MONITORING_SUBMIT,
                                  Permission.REGISTER_WRITE,
                                  Permission.WARNING_RESPOND, Permission.RESPONSE_REPORT,
                                  Permission.SUPPORT_LOG, Permission.SUPERVISION_RESPOND},
        Role.READ_ONLY: R,
    }

    @pytest.mark.parametrize("role", list(Role))
    def test_permissions(self, role):
        assert rules.permissions_of({role.value}) == self.EXPECTED[role]

    def test_roles_combine(self):
        got = rules.permissions_of({"read_only", "operator_reporter"})
        assert got == self.R | {Permission.SYSTEM_WRITE, Permission.INCIDENT_REPORT,
                                Permission.MONITORING_SUBMIT, Permission.REGISTER_WRITE,
                                Permission.PREPAREDNESS_WRITE, Permission.WARNING_RESPOND,
                                Permission.SUPERVISION_RESPOND}

    def test_every_role_and_kind_is_labelled_in_both_languages(self):
        for labels in (rules.ROLE_LABELS, rules.BODY_KIND_LABELS, rules.LEVEL_LABELS):
            for zh, en in labels.values():
                assert zh and en and zh != en
        assert set(rules.ROLE_LABELS) == set(Role)
        assert set(rules.BODY_KIND_LABELS) == set(BodyKind)


class TestContacts:
    @pytest.mark.parametrize(("channel", "value", "ok"), [
        (Channel.PHONE, "+86 10 8299 0999", True),
        (Channel.PHONE, "call me", False),
        (Channel.EMAIL, "duty@example.cn", True),
        (Channel.EMAIL, "duty.example.cn", False),
        (Channel.WEBHOOK, "https://hooks.example.cn/x", True),
        (Channel.WEBHOOK, "ftp://hooks.example.cn/x", False),
    ])
    def test_values(self, channel, value, ok):
        assert (rules.contact_value_problem(channel, value) is None) is ok

    @pytest.mark.parametrize(("key", "ok"), [("cn.emergency-office", True), ("110000.office", True),
                                             ("Bad Key", False), ("-x", False), ("a", False)])
    def test_keys(self, key, ok):
        assert (rules.key_problem(key) is None) is ok


class TestEscalation:
    """Plan §2.2 / Support: a notification reaches the most urgent contacts; a reminder the
    next ones."""

    @dataclass
    class C:
        name: str
        priority: int

    def test_tiers_by_priority(self):
        a, b, c, d = self.C("a", 10), self.C("b", 10), self.C("c", 20), self.C("d", 30)
        contacts = [d, c, b, a]
        assert rules.contact_tier(contacts, 0) == [b, a]
        assert rules.contact_tier(contacts, 1) == [c]
        assert rules.contact_tier(contacts, 2) == [d]
        assert rules.contact_tier(contacts, 7) == [d]  # past the last rank: the last again
        assert rules.contact_tier([], 0) == []


def test_division_order_is_gbt_2260_then_codes_outside_it():
    """Issue 17 item 17: provinces in GB/T 2260 order, XPCC (not in the standard) after."""
    from fenghuo.org.rules import division_order

    codes = ["310000", "XPCC", "110000", "650000", "120000"]
    assert sorted(codes, key=division_order) == ["110000", "120000", "310000", "650000", "XPCC"]
