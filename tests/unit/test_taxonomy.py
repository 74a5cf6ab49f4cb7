"""The incident taxonomy of Plan annex 1, its codes, labels and crosswalks (domain.md §2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fenghuo.incident.taxonomy import Category, Taxonomy, get_taxonomy, load_taxonomy

STANDARDS = Path(__file__).parents[3] / "shared" / "standards"
needs_standards = pytest.mark.skipif(
    not STANDARDS.is_dir(),
    reason=f"reference standards folder {STANDARDS} is absent (shared/ sits next to the repo)",
)

ANNEX1_NAMES_ZH = ["有害程序事件", "网络攻击事件", "信息破坏事件", "信息内容安全事件",
                   "设备设施故障", "灾害性事件", "其他事件"]
ANNEX1_CODES = ["harmful-program", "network-attack", "information-destruction",
                "information-content-security", "equipment-failure", "catastrophic", "other"]
SUBCATEGORY_COUNTS = [7, 7, 6, 0, 4, 0, 0]


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return get_taxonomy()


def all_codes(tax: Taxonomy) -> list[str]:
    return [c.code for c in tax.categories] + [
        s.code for c in tax.categories for s in c.subcategories]


def _normalise(name: str) -> str:
    """The annex spells 其他 and 其它 interchangeably."""
    return name.replace("其它", "其他")


class TestAnnex1:
    def test_seven_categories_in_annex_order(self, tax):
        """Plan annex 1 lists exactly seven categories, in this order."""
        assert [c.name_zh for c in tax.categories] == ANNEX1_NAMES_ZH
        assert [c.code for c in tax.categories] == ANNEX1_CODES
        assert [c.order for c in tax.categories] == list(range(1, 8))

    def test_subcategory_counts(self, tax):
        assert [len(c.subcategories) for c in tax.categories] == SUBCATEGORY_COUNTS

    @needs_standards
    def test_subcategories_match_the_crosswalk_file(self, tax):
        """Names and counts agree with ``cn2017_annex1`` of the mapping file, modulo 其它/其他."""
        data = json.loads((STANDARDS / "mapping-rsit-gbt20986-cn2017.json")
                          .read_text(encoding="utf-8"))
        annex = {k: v for k, v in data["cn2017_annex1"].items() if isinstance(v, list)}
        assert list(annex) == ANNEX1_NAMES_ZH
        for category in tax.categories:
            expected = [_normalise(n) for n in annex[category.name_zh]]
            assert [_normalise(s.name_zh) for s in category.subcategories] == expected

    def test_every_category_with_subcategories_has_an_other(self, tax):
        for category in tax.categories:
            if category.subcategories:
                assert category.subcategories[-1].code == f"{category.code}.other"

    def test_examples_from_the_brief_exist(self, tax):
        assert tax.subcategory("harmful-program.virus").name_zh == "计算机病毒事件"
        assert tax.subcategory("network-attack.dos").name_zh == "拒绝服务攻击事件"
        assert tax.subcategory("information-destruction.leak").name_zh == "信息泄露事件"


class TestCodesAndLabels:
    def test_codes_unique_and_well_formed(self, tax):
        codes = all_codes(tax)
        assert len(codes) == len(set(codes)) == 7 + sum(SUBCATEGORY_COUNTS)
        for code in codes:
            assert re.fullmatch(r"[a-z0-9.-]+", code), code

    def test_subcategory_codes_are_prefixed_by_their_category(self, tax):
        for category in tax.categories:
            for sub in category.subcategories:
                assert sub.category == category.code
                assert sub.code.startswith(category.code + ".")

    def test_every_label_is_bilingual(self, tax):
        han = re.compile(r"[\u4e00-\u9fff]")
        for code in all_codes(tax):
            zh, en = tax.label(code)
            assert zh and en and zh != en, code
            assert han.search(zh), code
            assert not han.search(en) and en.isascii(), code

    def test_label_of_unknown_code_raises(self, tax):
        with pytest.raises(KeyError):
            tax.label("no-such-code")

    def test_words_fall_back_to_the_code_for_messages(self, tax):
        assert tax.words("network-attack.dos") == tax.label("network-attack.dos")
        assert tax.words("no-such-code") == ("no-such-code", "no-such-code")

    def test_lookups(self, tax):
        assert isinstance(tax.category("other"), Category)
        assert tax.category("harmful-program.virus") is None
        assert tax.subcategory("harmful-program") is None
        assert tax.category("nope") is None and tax.subcategory("nope") is None

    def test_loaded_once(self):
        assert get_taxonomy() is get_taxonomy()


class TestProblem:
    @pytest.mark.parametrize(("category", "subcategory"), [
        ("harmful-program", "harmful-program.virus"),
        ("harmful-program", None),
        ("information-content-security", None),
        ("catastrophic", None),
        ("equipment-failure", "equipment-failure.other"),
    ])
    def test_valid(self, tax, category, subcategory):
        assert tax.problem(category, subcategory) is None

    def test_unknown_category(self, tax):
        message = tax.problem("malware", None)
        assert "unknown category 'malware'" in message
        assert "subcategory" not in message  # callers route on that word

    def test_subcategory_code_given_as_category(self, tax):
        message = tax.problem("harmful-program.virus", None)
        assert "did you mean 'harmful-program'" in message
        assert "subcategory" not in message

    def test_unknown_subcategory_with_hint(self, tax):
        message = tax.problem("harmful-program", "virus")
        assert "unknown subcategory 'virus'" in message
        assert "did you mean 'harmful-program.virus'" in message

    def test_subcategory_of_another_category(self, tax):
        message = tax.problem("harmful-program", "network-attack.dos")
        assert "belongs to category 'network-attack'" in message
        assert "subcategory" in message

    def test_subcategory_for_a_category_without_subcategories(self, tax):
        message = tax.problem("information-content-security", "information-content-security.x")
        assert "has no subcategories" in message


class TestMappings:
    def test_content_security_name_clash(self, tax):
        """Chinese 信息内容安全 is harmful content (Plan §1.3), i.e. RSIT abusive-content."""
        tags = tax.rsit_tags("information-content-security")
        assert any(t.startswith("rsit:abusive-content=") for t in tags)
        assert not any("information-content-security" in t for t in tags)
        category = tax.category("information-content-security")
        assert "abusive-content" in category.note_en
        assert "§1.3" in category.note_en

    def test_rsit_information_content_security_maps_to_information_destruction(self, tax):
        for category in tax.categories:
            uses = any("rsit:information-content-security=" in t
                       for t in tax.rsit_tags(category.code))
            assert uses == (category.code == "information-destruction"), category.code

    def test_category_tags_include_their_subcategories(self, tax):
        tags = tax.rsit_tags("harmful-program")
        assert 'rsit:malicious-code="c2-server"' in tags
        assert len(tags) == len(set(tags))
        assert tax.rsit_tags("harmful-program.botnet") == (
            'rsit:malicious-code="c2-server"', 'rsit:malicious-code="infected-system"')

    def test_gbt_codes_are_marked_unconfirmed(self, tax):
        nodes = [*tax.categories, *(s for c in tax.categories for s in c.subcategories)]
        mappings = [m for n in nodes for m in n.gbt20986_2023]
        assert all(c.gbt20986_2023 for c in tax.categories)
        assert mappings and not any(m.confirmed for m in mappings)

    @needs_standards
    def test_every_rsit_tag_exists_in_misp_rsit(self, tax):
        data = json.loads((STANDARDS / "misp-rsit-machinetag.json").read_text(encoding="utf-8"))
        known = {f'{data["namespace"]}:{v["predicate"]}="{e["value"]}"'
                 for v in data["values"] for e in v["entry"]}
        used = {t for code in all_codes(tax) for t in tax.rsit_tags(code)}
        assert used and used <= known, sorted(used - known)

    @needs_standards
    def test_every_gbt_code_and_name_exists_in_the_standard_file(self, tax):
        data = json.loads((STANDARDS / "gbt-20986-2023-categories.json")
                          .read_text(encoding="utf-8"))
        known = {(c["code_as_seen"], c["category"]) for c in data["categories"]}
        known |= {(s["code_as_seen"], s["name"])
                  for c in data["categories"] for s in c["subcategories"]}
        nodes = [*tax.categories, *(s for c in tax.categories for s in c.subcategories)]
        used = {(m.code, m.name) for n in nodes for m in n.gbt20986_2023}
        assert used <= known, sorted(used - known)

    def test_as_dicts_is_json_ready(self, tax):
        dumped = json.loads(json.dumps(tax.as_dicts(), ensure_ascii=False))
        assert [c["code"] for c in dumped] == ANNEX1_CODES
        assert dumped[0]["subcategories"][0]["code"] == "harmful-program.virus"
        assert dumped[3]["rsit"][0].startswith("rsit:abusive-content=")
        assert dumped[0]["gbt20986_2023"][0] == {"code": "MP", "name": "恶意程序事件",
                                                 "confirmed": False}


class TestValidation:
    def _data(self, tmp_path: Path, text: str) -> Path:
        path = tmp_path / "t.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def test_duplicate_codes_rejected(self, tmp_path):
        path = self._data(tmp_path, """
categories:
  - {code: a, name_zh: 甲, name_en: A}
  - {code: a, name_zh: 乙, name_en: B}
""")
        with pytest.raises(ValueError, match="duplicate"):
            load_taxonomy(path)

    def test_subcategory_outside_its_category_rejected(self, tmp_path):
        path = self._data(tmp_path, """
categories:
  - code: a
    name_zh: 甲
    name_en: A
    subcategories:
      - {code: b.x, name_zh: 乙, name_en: B}
      - {code: a.other, name_zh: 其他, name_en: Other}
""")
        with pytest.raises(ValueError, match="must be 'a.<name>'"):
            load_taxonomy(path)

    def test_bad_rsit_tag_rejected(self, tmp_path):
        path = self._data(tmp_path, """
categories:
  - {code: a, name_zh: 甲, name_en: A, rsit: ['malicious-code:infected-system']}
""")
        with pytest.raises(ValueError, match="RSIT"):
            load_taxonomy(path)
