"""The SQL translation of scope (org.scoping) agrees with the pure rules (org.rules) for every
caller and every body and jurisdiction of the seeded world, on both databases (Law art. 30)."""

from __future__ import annotations

from sqlalchemy import select

from fenghuo.org import rules, scoping
from fenghuo.org.accounts import principal_of
from fenghuo.org.models import Body, Jurisdiction, User
from fenghuo.org.service import facts
from tests.conftest import USERS


def test_sql_scope_matches_pure_rules(rt):
    with rt.uow() as s:
        bodies = s.scalars(select(Body)).all()
        juris = s.scalars(select(Jurisdiction)).all()
        users = s.scalars(select(User).where(User.username.in_(USERS))).all()
        assert len(users) == len(USERS)
        for user in users:
            scope = principal_of(user).scope
            sql_bodies = set(s.scalars(select(Body.id).where(scoping.visible_bodies(scope))))
            pure_bodies = {b.id for b in bodies if rules.body_visible(scope, facts(b))}
            assert sql_bodies == pure_bodies, user.username
            sql_j = set(s.scalars(select(Jurisdiction.id).where(
                scoping.visible_jurisdictions(scope))))
            pure_j = {j.id for j in juris if rules.jurisdiction_visible(scope, j.id, j.path)}
            assert sql_j == pure_j, user.username


def test_expected_visibility_in_the_world(rt):
    """Spot checks written out by hand, so a wrong rule cannot pass by agreeing with itself."""
    def visible(username):
        with rt.uow() as s:
            user = s.scalar(select(User).where(User.username == username))
            scope = principal_of(user).scope
            return set(s.scalars(select(Body.key).where(scoping.visible_bodies(scope))))

    bj = visible("bj_admin")
    assert {"bj-bank", "bj-telco", "bj-support", "bj-finance-reg", "110000.office",
            "110000.cncert"} == bj
    assert visible("bj_reporter") == {"bj-bank"}
    assert visible("bj_support") == {"bj-support"}
    assert visible("bj_fin") == {"bj-bank", "bj-finance-reg"}
    nat = visible("nat_admin")
    assert {"sh-bank", "bj-bank", "cn.mps"} <= nat and len(nat) > 70
