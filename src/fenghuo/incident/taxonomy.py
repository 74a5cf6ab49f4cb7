"""The incident taxonomy of Plan annex 1 (7 categories and their subcategories), bilingual.

Plan annex 1 (网络安全事件分类, after GB/Z 20986-2007) sorts network security incidents into
有害程序事件, 网络攻击事件, 信息破坏事件, 信息内容安全事件, 设备设施故障, 灾害性事件 and 其他事件;
the first three and the fifth have subcategories (domain.md §2). The data lives in
``rules/taxonomy.yaml``: stable lowercase codes, Chinese and English labels, and an editorial
crosswalk to GB/T 20986-2023 (codes unverified, so ``confirmed`` is false) and to the ENISA RSIT
(MISP machine tags).

Name clash: Chinese 信息内容安全 (illegal or harmful content, handled under a separate special
plan, Plan §1.3) maps to RSIT ``abusive-content``; RSIT ``information-content-security`` is about
the confidentiality and integrity of data and maps to 信息破坏事件.

Pure: no framework imports; the YAML file is read once by :func:`get_taxonomy`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "rules" / "taxonomy.yaml"
CODE_PATTERN = re.compile(r"^[a-z0-9.-]+$")
RSIT_TAG_PATTERN = re.compile(r'^rsit:[a-z0-9-]+="[a-z0-9-]+"$')

GBT20986_2023 = "gbt20986_2023"
RSIT = "rsit"
SCHEMES = (GBT20986_2023, RSIT)


@dataclass(frozen=True)
class Mapping:
    """One cross-reference from a Plan annex 1 node to another scheme (editorial crosswalk).

    ``scheme`` is ``"gbt20986_2023"`` (``code`` as seen, e.g. ``"MPEVIR"``, ``name`` the
    standard's Chinese name) or ``"rsit"`` (``code`` a MISP machine tag such as
    ``rsit:malicious-code="infected-system"``). ``confirmed`` says whether the *code* itself is
    verified against its standard: false for GB/T 20986-2023 (see shared/standards/SOURCES.md),
    true for the verbatim RSIT tags. The equivalence is editorial either way.
    """

    scheme: str
    code: str
    name: str | None = None
    confirmed: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "confirmed": self.confirmed}


class _Mapped:
    """Cross-references by scheme, for categories and subcategories alike (their own only)."""

    mappings: tuple[Mapping, ...]

    @property
    def gbt20986_2023(self) -> tuple[Mapping, ...]:
        return tuple(m for m in self.mappings if m.scheme == GBT20986_2023)

    @property
    def rsit(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.mappings if m.scheme == RSIT)


@dataclass(frozen=True)
class Subcategory(_Mapped):
    """A subcategory of Plan annex 1, e.g. ``harmful-program.virus`` (计算机病毒事件)."""

    code: str
    category: str
    name_zh: str
    name_en: str
    description_zh: str | None = None
    description_en: str | None = None
    mappings: tuple[Mapping, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "category": self.category,
            "name_zh": self.name_zh, "name_en": self.name_en,
            "description_zh": self.description_zh, "description_en": self.description_en,
            "gbt20986_2023": [m.as_dict() for m in self.gbt20986_2023],
            "rsit": list(self.rsit),
        }


@dataclass(frozen=True)
class Category(_Mapped):
    """One of the 7 categories of Plan annex 1, in annex order (``order`` counts from 1)."""

    code: str
    order: int
    name_zh: str
    name_en: str
    description_zh: str | None = None
    description_en: str | None = None
    note_zh: str | None = None
    note_en: str | None = None
    mappings: tuple[Mapping, ...] = ()
    subcategories: tuple[Subcategory, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "order": self.order,
            "name_zh": self.name_zh, "name_en": self.name_en,
            "description_zh": self.description_zh, "description_en": self.description_en,
            "note_zh": self.note_zh, "note_en": self.note_en,
            "gbt20986_2023": [m.as_dict() for m in self.gbt20986_2023],
            "rsit": list(self.rsit),
            "subcategories": [s.as_dict() for s in self.subcategories],
        }


class Taxonomy:
    """The categories of Plan annex 1 with lookups by code; immutable once built."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self.categories: tuple[Category, ...] = tuple(categories)
        self._categories = {c.code: c for c in self.categories}
        self._subcategories = {s.code: s for c in self.categories for s in c.subcategories}
        _check(self.categories, self._categories, self._subcategories)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Taxonomy:
        """Build from the parsed YAML document (see ``rules/taxonomy.yaml``)."""
        if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
            raise ValueError("taxonomy: expected a mapping with a 'categories' list")
        return cls(_category(raw, order) for order, raw in enumerate(data["categories"], 1))

    def category(self, code: str) -> Category | None:
        return self._categories.get(code)

    def subcategory(self, code: str) -> Subcategory | None:
        return self._subcategories.get(code)

    def problem(self, category: str, subcategory: str | None) -> str | None:
        """Why this category/subcategory pair is invalid under Plan annex 1, or None if valid.

        A missing subcategory (None) is valid: it means "unspecified". Messages about the
        category never contain the word "subcategory", so callers can route them to a field.
        """
        cat = self._categories.get(category)
        if cat is None:
            hint = ""
            parent = self._subcategories.get(category)
            if parent is not None:
                hint = f" (did you mean {parent.category!r}?)"
            known = ", ".join(self._categories)
            return f"unknown category {category!r}{hint}; expected one of: {known}"
        if subcategory is None:
            return None
        if not cat.subcategories:
            return (f"category {cat.code!r} has no subcategories in Plan annex 1; "
                    "leave the subcategory empty")
        sub = self._subcategories.get(subcategory)
        if sub is None:
            hint = ""
            if f"{cat.code}.{subcategory}" in self._subcategories:
                hint = f" (did you mean {cat.code + '.' + subcategory!r}?)"
            known = ", ".join(s.code for s in cat.subcategories)
            return (f"unknown subcategory {subcategory!r} for category {cat.code!r}{hint}; "
                    f"expected one of: {known}")
        if sub.category != cat.code:
            return (f"subcategory {sub.code!r} belongs to category {sub.category!r}, "
                    f"not to {cat.code!r}")
        return None

    def label(self, code: str) -> tuple[str, str]:
        """(Chinese, English) name of a category or subcategory code; KeyError if unknown."""
        node = self._node(code)
        return node.name_zh, node.name_en

    def words(self, code: str) -> tuple[str, str]:
        """(Chinese, English) name of a code for a message; the code itself if it is unknown
        (a message is never refused for a label)."""
        node = self._categories.get(code) or self._subcategories.get(code)
        return (node.name_zh, node.name_en) if node else (code, code)

    def rsit_tag(self, code: str) -> str | None:
        """The one RSIT machine tag that classifies something of this code: the code's own first
        mapping (the crosswalk lists the closest RSIT class first), never its subcategories'
        (a category spanning several RSIT classes, such as network-attack, has none of its own:
        None). KeyError if the code is unknown. Used by the MISP export (issue 20 item 3)."""
        node = self._node(code)
        return node.rsit[0] if node.rsit else None

    def rsit_tags(self, code: str) -> tuple[str, ...]:
        """Every RSIT machine tag a code can stand for: a category's own tags followed by its
        subcategories' (to read a tag back to a code; to classify one thing, see ``rsit_tag``).

        KeyError if the code is unknown.
        """
        node = self._node(code)
        tags = list(node.rsit)
        if isinstance(node, Category):
            tags.extend(t for s in node.subcategories for t in s.rsit)
        return tuple(dict.fromkeys(tags))

    def as_dicts(self) -> list[dict[str, Any]]:
        """JSON-ready list of the categories, in annex order, with subcategories and mappings."""
        return [c.as_dict() for c in self.categories]

    def _node(self, code: str) -> Category | Subcategory:
        node = self._categories.get(code) or self._subcategories.get(code)
        if node is None:
            raise KeyError(f"unknown taxonomy code {code!r} (Plan annex 1)")
        return node


def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    """Read and validate a taxonomy YAML file (by default the shipped Plan annex 1 data)."""
    return Taxonomy.from_data(yaml.safe_load(path.read_text(encoding="utf-8")))


@functools.cache
def get_taxonomy() -> Taxonomy:
    """The taxonomy of Plan annex 1, loaded once from ``rules/taxonomy.yaml``."""
    return load_taxonomy()


# --- parsing and validation -------------------------------------------------------------------


def _text(raw: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"taxonomy: {where}: {key!r} must be a non-empty string")
    return value.strip()


def _mappings(raw: dict[str, Any], where: str) -> tuple[Mapping, ...]:
    found: list[Mapping] = []
    for entry in raw.get(GBT20986_2023) or []:
        if not isinstance(entry, dict):
            raise ValueError(f"taxonomy: {where}: {GBT20986_2023} entries must be mappings")
        code = _text(entry, "code", where, required=True)
        confirmed = entry.get("confirmed", False)
        if not isinstance(confirmed, bool):
            raise ValueError(f"taxonomy: {where}: 'confirmed' must be true or false")
        found.append(Mapping(GBT20986_2023, code, _text(entry, "name", where), confirmed))
    for tag in raw.get(RSIT) or []:
        if not isinstance(tag, str) or not RSIT_TAG_PATTERN.match(tag):
            raise ValueError(f"taxonomy: {where}: {tag!r} is not an RSIT machine tag")
        found.append(Mapping(RSIT, tag))
    return tuple(found)


def _subcategory(raw: Any, category: str) -> Subcategory:
    if not isinstance(raw, dict):
        raise ValueError(f"taxonomy: {category}: subcategories must be mappings")
    code = _text(raw, "code", category, required=True)
    return Subcategory(
        code=code, category=category,
        name_zh=_text(raw, "name_zh", code, required=True),
        name_en=_text(raw, "name_en", code, required=True),
        description_zh=_text(raw, "description_zh", code),
        description_en=_text(raw, "description_en", code),
        mappings=_mappings(raw, code),
    )


def _category(raw: Any, order: int) -> Category:
    if not isinstance(raw, dict):
        raise ValueError(f"taxonomy: category #{order} must be a mapping")
    code = _text(raw, "code", f"category #{order}", required=True)
    return Category(
        code=code, order=order,
        name_zh=_text(raw, "name_zh", code, required=True),
        name_en=_text(raw, "name_en", code, required=True),
        description_zh=_text(raw, "description_zh", code),
        description_en=_text(raw, "description_en", code),
        note_zh=_text(raw, "note_zh", code),
        note_en=_text(raw, "note_en", code),
        mappings=_mappings(raw, code),
        subcategories=tuple(_subcategory(s, code) for s in raw.get("subcategories") or []),
    )


def _check(categories: tuple[Category, ...], by_code: dict[str, Category],
           subs: dict[str, Subcategory]) -> None:
    codes = [c.code for c in categories] + [s.code for c in categories for s in c.subcategories]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates or len(by_code) + len(subs) != len(codes):
        raise ValueError(f"taxonomy: duplicate codes: {', '.join(duplicates)}")
    for code in codes:
        if not CODE_PATTERN.match(code):
            raise ValueError(f"taxonomy: code {code!r} must match {CODE_PATTERN.pattern}")
    for cat in categories:
        if "." in cat.code:
            raise ValueError(f"taxonomy: category code {cat.code!r} must not contain '.'")
        for sub in cat.subcategories:
            rest = sub.code.removeprefix(f"{cat.code}.")
            if rest == sub.code or not rest or "." in rest:
                raise ValueError(f"taxonomy: subcategory {sub.code!r} must be "
                                 f"'{cat.code}.<name>'")
        if cat.subcategories and f"{cat.code}.other" not in subs:
            raise ValueError(f"taxonomy: category {cat.code!r} lacks '{cat.code}.other'")
