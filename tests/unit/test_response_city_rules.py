"""Pure rules of issue 17 items 9–11 (no database): the city's headquarters and field command
(City §3.3.3–3.3.4), the relay of a Level II ending (Plan §4.3.2), content security left to its
special plan (Plan §1.3)."""

from __future__ import annotations

import pytest

from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org.rules import BodyKind
from fenghuo.response import ending, rules
from fenghuo.response.rules import (
    SPECIAL_PLAN_CATEGORIES,
    Actor,
    ResponseLevel,
    Subject,
    covers_city,
    may_act_for_command,
    may_activate,
    may_set_up_command,
)
from tests.unit.test_response_rules import (
    ACTORS,
    BJ,
    BJ_CITY,
    BJ_COUNTY,
    BJ_OFFICE,
    CITY_DEPT,
    CITY_OFFICE,
    COUNTY_OFFICE,
    EM,
    EO,
    MAJ,
    RMAJ,
    bilingual,
    codes,
)

I, II, III, IV = ResponseLevel.I, ResponseLevel.II, ResponseLevel.III, ResponseLevel.IV  # noqa: E741
HQ, FC = BodyKind.HEADQUARTERS, BodyKind.FIELD_COMMAND
OTHER_CITY = Actor(22, BodyKind.OFFICE, "/1/2/10/")
OTHER_COUNTY = Actor(31, BodyKind.OFFICE, "/1/2/9/28/")


def set_up(actor, kind, level=II, path=BJ_COUNTY, hq=False):
    return may_set_up_command(actor, kind, level, path, headquarters_set_up=hq)


class TestCityCommands:
    """City §3.3.3: the city office converts the coordination group into the headquarters for a
    major or especially major incident; §3.3.4: the county where it happened, or the city
    office, sets up the field command under it."""

    @pytest.mark.parametrize("level", [I, II])
    def test_city_3_3_3_the_city_office_sets_up_the_headquarters(self, level):
        d = set_up(CITY_OFFICE, HQ, level)
        assert d.allowed and d.basis.code == "city.headquarters"
        assert d.basis.source == "City §3.3.3"

    @pytest.mark.parametrize("level", [III, IV])
    def test_city_3_3_3_not_for_levels_iii_and_iv(self, level):
        assert codes(set_up(CITY_OFFICE, HQ, level)) == ["command.level"]
        assert codes(set_up(COUNTY_OFFICE, FC, level, hq=True)) == ["command.level"]

    @pytest.mark.parametrize("actor", [BJ_OFFICE, EO, COUNTY_OFFICE, CITY_DEPT])
    def test_city_3_3_2_only_the_city_office_sets_up_the_headquarters(self, actor):
        assert codes(set_up(actor, HQ)) == ["command.not_city_office"]

    @pytest.mark.parametrize("actor", [CITY_OFFICE, COUNTY_OFFICE])
    def test_city_3_3_4_the_county_or_the_city_office_sets_up_the_field_command(self, actor):
        d = set_up(actor, FC, hq=True)
        assert d.allowed and d.basis.code == "city.field_command"
        assert d.basis.source == "City §3.3.4"

    def test_city_3_3_4_a_province_does_not_set_up_a_field_command(self):
        assert codes(set_up(BJ_OFFICE, FC, hq=True)) == ["command.not_county_or_city_office"]

    def test_city_3_3_4_the_field_command_works_under_the_headquarters(self):
        assert codes(set_up(COUNTY_OFFICE, FC)) == ["command.needs_headquarters"]

    def test_city_3_3_3_a_city_or_county_outside_is_refused(self):
        assert codes(set_up(OTHER_CITY, HQ)) == ["command.outside_city"]
        assert codes(set_up(OTHER_COUNTY, FC, hq=True)) == ["command.outside_city"]
        # an incident at province level lies in no city
        assert codes(set_up(CITY_OFFICE, HQ, path=BJ)) == ["command.outside_city"]

    def test_every_refusal_is_given_at_once_and_cites(self):
        d = set_up(BJ_OFFICE, FC, III)
        assert codes(d) == ["command.level", "command.not_county_or_city_office",
                            "command.needs_headquarters"]
        assert all(bilingual(x) and x.source.startswith("City §3.3") for x in d.refusals)
        for actor in ACTORS:
            for kind in (HQ, FC):
                for level in ResponseLevel:
                    got = set_up(actor, kind, level)
                    assert all(bilingual(x) for x in got.refusals)

    def test_only_the_two_command_kinds(self):
        with pytest.raises(ValueError):
            set_up(CITY_OFFICE, BodyKind.OFFICE)

    def test_city_3_3_3_members_act_for_their_command(self):
        assert may_act_for_command(True).allowed
        assert codes(may_act_for_command(False)) == ["command.not_member"]

    def test_the_commands_report_progress(self):
        assert {"city_headquarters", "field_command"} <= set(rules.REPORTING_ROLES)
        assert set(rules.COMMAND_ROLES.values()) <= set(rules.PARTICIPANT_ROLE_LABELS)

    def test_covers_city(self):
        assert [covers_city(p) for p in ("/1/", BJ, BJ_CITY, BJ_COUNTY)] == [
            False, False, True, True]


class TestLevelIIRelay:
    """Plan §4.3.2: the Emergency Office, told of a Level II end, notifies the others."""

    def test_plan_4_3_2_only_level_ii_is_relayed(self):
        assert [ending.relays_end(x) for x in rules.LEVELS_DESC] == [False, True, False, False]
        assert ending.RELAY_BASIS.source == "Plan §4.3.2" and bilingual(ending.RELAY_BASIS)

    def test_plan_4_3_2_relay_to_leaves_out_the_office_and_the_activator_each_once(self):
        assert ending.relay_to(office=1, activator=2, taking_part=[2, 1, 5, 6],
                               supporting=[2, 7, 5], regulators=[8, 1, 6]) == [5, 6, 7, 8]
        assert ending.relay_to(office=1, activator=2, taking_part=[], supporting=[],
                               regulators=[]) == []

    def test_every_kind_of_notice_has_labels(self):
        assert set(ending.NOTICE_KIND_LABELS) == {"report", "relay", "notice"}


class TestContentSecurity:
    """Plan §1.3: content security incidents have their own special plan."""

    def test_plan_1_3_the_category_is_the_taxonomys_category_4(self):
        tax = get_taxonomy()
        assert [tax.category(c).order for c in SPECIAL_PLAN_CATEGORIES] == [4]
        assert "Plan §1.3" in tax.category("information-content-security").note_en

    @pytest.mark.parametrize(("actor", "level", "grade"), [
        (EO, I, EM), (BJ_OFFICE, II, MAJ), (CITY_OFFICE, III, RMAJ), (CITY_OFFICE, II, EM)])
    def test_plan_1_3_no_level_is_activated_whoever_asks(self, actor, level, grade):
        subject = Subject(BJ_CITY, "telecom", grade, "information-content-security")
        d = may_activate(actor, level, subject)
        assert codes(d) == ["activate.special_plan"]
        assert d.refusals[0].source == "Plan §1.3" and bilingual(d.refusals[0])
        assert "专项预案" in d.refusals[0].text_zh

    def test_other_categories_are_activated_as_before(self):
        for category in (None, "network-attack", "harmful-program"):
            assert may_activate(BJ_OFFICE, II, Subject(BJ_CITY, "telecom", MAJ,
                                                       category)).allowed
