"""Traffic Light Protocol 2.0 (FIRST, 2022) as pure rules: which label an item carries and who
may receive it when it is shared or exported. No I/O.

TLP 2.0 (``../shared/standards/misp-tlp-machinetag.json``, FIRST TLP 2.0 definitions):

* **TLP:CLEAR** — disclosure is not limited (public warnings, Law arts. 54(3), 55).
* **TLP:GREEN** — limited to the community: any body of this system, not the public.
* **TLP:AMBER** — limited to the recipient's organization and its clients on a need-to-know
  basis: here, the bodies whose scope holds the item (Law art. 30) — the office of the region,
  the department of the sector, the unit itself.
* **TLP:AMBER+STRICT** — the recipient's organization only: here, the bodies the item names
  (who reported it, whom it concerns, whom it was routed or shared to), not their subtree.
* **TLP:RED** — named recipients only, no further disclosure: the named bodies, and no
  onward sharing, no bulletin, no feed.

Reads inside the system follow scope (Law art. 30); these rules add TLP's limits to every
**share and export** (Plan §3.2 sharing, bulletins, STIX/TAXII/MISP), on top of scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum, StrEnum
from types import MappingProxyType

from fenghuo.common.reasons import Decision, Reason, decide


class Tlp(StrEnum):
    """The five TLP 2.0 labels; ``white`` (TLP 1.0's CLEAR) and ``TLP:…`` spellings are
    accepted."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @classmethod
    def _missing_(cls, value: object) -> Tlp | None:
        text = str(value).strip().lower().removeprefix("tlp:")
        if text == "white":  # TLP 1.0 name of CLEAR
            return cls.CLEAR
        return next((m for m in cls if m.value == text), None)

    @property
    def rank(self) -> int:
        """0 for CLEAR up to 4 for RED: the higher, the more restricted."""
        return list(Tlp).index(self)

    @property
    def marking(self) -> str:
        """As written on documents: ``TLP:AMBER+STRICT``."""
        return f"TLP:{self.value.upper()}"


TLP_LABELS: Mapping[Tlp, tuple[str, str]] = MappingProxyType({
    Tlp.CLEAR: ("TLP:CLEAR 公开", "TLP:CLEAR public"),
    Tlp.GREEN: ("TLP:GREEN 社群内", "TLP:GREEN community"),
    Tlp.AMBER: ("TLP:AMBER 本单位及所辖", "TLP:AMBER organization and its clients"),
    Tlp.AMBER_STRICT: ("TLP:AMBER+STRICT 仅本单位", "TLP:AMBER+STRICT organization only"),
    Tlp.RED: ("TLP:RED 仅限指定接收者", "TLP:RED named recipients only"),
})

#: what an item carries when its author says nothing: need-to-know within the organization
DEFAULT = Tlp.AMBER


class Relation(IntEnum):
    """How a recipient stands to an item, from the closest to the farthest."""

    NAMED = 0  # it reported the item, the item concerns it, or it was routed/shared to it
    IN_SCOPE = 1  # the item is in its scope (Law art. 30): its region, its sector, itself
    COMMUNITY = 2  # another body of this system
    PUBLIC = 3  # anyone, without an account


#: the farthest relation each label reaches
REACH: Mapping[Tlp, Relation] = MappingProxyType({
    Tlp.CLEAR: Relation.PUBLIC, Tlp.GREEN: Relation.COMMUNITY, Tlp.AMBER: Relation.IN_SCOPE,
    Tlp.AMBER_STRICT: Relation.NAMED, Tlp.RED: Relation.NAMED})

_REACH_TEXT = {
    Relation.PUBLIC: ("可以公开", "may be made public"),
    Relation.COMMUNITY: ("限本系统内的机构", "to bodies of this system only"),
    Relation.IN_SCOPE: ("限本单位及其管辖范围内", "to the organization and its clients only"),
    Relation.NAMED: ("限指定接收者", "to the named recipients only"),
}
_RELATION_TEXT = {
    Relation.PUBLIC: ("公众", "the public"),
    Relation.COMMUNITY: ("本系统内的其他机构", "another body of this system"),
    Relation.IN_SCOPE: ("管辖范围内的机构", "a body whose scope holds it"),
    Relation.NAMED: ("指定接收者", "a named recipient"),
}


def may_receive(tlp: Tlp | str, relation: Relation) -> Decision:
    """Whether a recipient standing in ``relation`` to an item labelled ``tlp`` may receive it
    in a share or an export (TLP 2.0)."""
    tlp = Tlp(tlp)
    reach = REACH[tlp]
    zh, en = _REACH_TEXT[reach]
    basis = Reason(f"tlp.{tlp.value}", "TLP 2.0", f"{tlp.marking}：{zh}", f"{tlp.marking}: {en}")
    if relation <= reach:
        return decide((), basis)
    rz, re_ = _RELATION_TEXT[relation]
    return decide([Reason("tlp.beyond_reach", "TLP 2.0",
                          f"{tlp.marking}的信息{zh}，不能提供给{rz}",
                          f"{tlp.marking} information goes {en}, not to {re_}")])


def may_reshare(tlp: Tlp | str) -> Decision:
    """Whether a recipient may pass the item on at all: not TLP:RED (TLP 2.0: no further
    disclosure). Where it may go is :func:`may_receive` for the new recipient."""
    tlp = Tlp(tlp)
    if tlp == Tlp.RED:
        return decide([Reason("tlp.red_no_onward", "TLP 2.0", "TLP:RED信息不得再传递",
                              "TLP:RED information is not passed on")])
    return decide((), Reason("tlp.onward", "TLP 2.0", f"{tlp.marking}可在其范围内传递",
                             f"{tlp.marking} may be passed on within its reach"))


def strictest(labels: list[Tlp | str]) -> Tlp:
    """The label of a whole made of parts (a bulletin, a bundle): the most restricted part."""
    return max((Tlp(x) for x in labels), key=lambda t: t.rank, default=Tlp.CLEAR)
