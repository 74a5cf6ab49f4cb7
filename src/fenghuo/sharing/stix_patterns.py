"""Our indicators ↔ STIX 2.1 patterns (STIX 2.1 §9 "STIX Patterning"; issue 20 item 1).

Patterns are built with the ``stix2`` pattern classes (``ObjectPath``,
``EqualityComparisonExpression``, ``ObservationExpression``) and checked with
``stix2patterns``; patterns we receive are parsed by ``stix2``'s pattern visitor (the
``stix2patterns`` grammar), never by regular expressions. Only positive equality comparisons
yield indicators: a negated comparison (``[ipv4-addr:value NOT = '1.2.3.4']``), ``!=``, or a
pattern that does not parse (STIX 2.1 has no observation-level ``NOT``, so
``NOT [ipv4-addr:value = '1.2.3.4']`` is not a pattern) yields nothing. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator

import stix2.patterns as sp
from stix2.pattern_visitor import create_pattern_object
from stix2patterns.validator import run_validator

#: our hash kinds ↔ STIX hash-algorithm-ov names (STIX 2.1 §10.6)
HASHES = {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5"}
_HASH_BACK = {v: k for k, v in HASHES.items()} | {"SHA256": "sha256", "SHA1": "sha1"}
#: our kind → the SCO type and property it is compared on (IPs: by address family)
_SCOS = {"domain": ("domain-name", "value"), "url": ("url", "value"),
         "email": ("email-addr", "value")}
#: SCO type:property → our kind
_PATHS = {("ipv4-addr", "value"): "ip", ("ipv6-addr", "value"): "ip"} | {
    sco: kind for kind, sco in _SCOS.items()}


def sco_path(kind: str, value: str) -> tuple[str, list[str]] | None:
    """The SCO type and property path an indicator of ours is compared on, or None (CVEs
    become vulnerabilities; ``other`` has no pattern)."""
    if kind == "ip":
        return ("ipv6-addr" if ":" in value else "ipv4-addr"), ["value"]
    if kind in _SCOS:
        return _SCOS[kind][0], [_SCOS[kind][1]]
    if kind in HASHES:
        return "file", ["hashes", HASHES[kind]]
    return None


def pattern_for(kind: str, value: str) -> str | None:
    """The STIX pattern of one of our indicators (``[ipv4-addr:value = '203.0.113.7']``), or
    None when the kind has none."""
    value = value.strip()
    path = sco_path(kind, value)
    if path is None:
        return None
    expr = sp.ObservationExpression(sp.EqualityComparisonExpression(
        sp.ObjectPath(path[0], path[1]), sp.StringConstant(value)))
    pattern = str(expr)
    if run_validator(pattern, stix_version="2.1"):  # the list of errors
        return None
    return pattern


def _unescape(text: str) -> str:
    """A parsed string literal's value: STIX 2.1 §9.2 escapes only ``\\'`` and ``\\\\``."""
    out, chars = [], iter(text)
    for c in chars:
        out.append(next(chars, "") if c == "\\" else c)
    return "".join(out)


def _comparisons(node: object) -> Iterator[sp.EqualityComparisonExpression]:
    """The equality comparisons of a parsed pattern, through AND/OR/FOLLOWEDBY, parentheses
    and qualifiers."""
    if isinstance(node, sp.EqualityComparisonExpression):
        yield node
        return
    for child in _children(node):
        yield from _comparisons(child)


_COMPOUND = (sp.AndBooleanExpression, sp.OrBooleanExpression, sp.AndObservationExpression,
             sp.OrObservationExpression, sp.FollowedByObservationExpression)


def _children(node: object) -> list[object]:
    """The sub-expressions of a node (other comparisons — <, LIKE, IN … — have none)."""
    if isinstance(node, _COMPOUND):
        return list(node.operands)
    if isinstance(node, sp.QualifiedObservationExpression):
        return [node.observation_expression]
    if isinstance(node, sp.ParentheticalExpression):
        return [node.expression]
    if isinstance(node, sp.ObservationExpression):
        return [node.operand]
    return []


def indicators_of(pattern: str) -> list[tuple[str, str]]:
    """Our (kind, value) pairs from the positive equality comparisons of a STIX pattern;
    comparisons we have no kind for, negated ones, and unparsable patterns give nothing."""
    try:
        tree = create_pattern_object(pattern, version="2.1")
    except Exception:  # noqa: BLE001 — stix2patterns raises ParseException and others
        return []
    out: list[tuple[str, str]] = []
    for cmp in _comparisons(tree):
        if cmp.negated or cmp.operator != "=" or not isinstance(cmp.rhs, sp.StringConstant):
            continue
        names = [c.property_name for c in cmp.lhs.property_path]
        value = _unescape(cmp.rhs.value) if not cmp.rhs.needs_to_be_quoted else cmp.rhs.value
        kind = _kind(cmp.lhs.object_type_name, names)
        if kind and (kind, value) not in out:
            out.append((kind, value))
    return out


def _kind(sco_type: str, names: list[str]) -> str | None:
    if len(names) == 1:
        return _PATHS.get((sco_type, names[0]))
    if sco_type == "file" and len(names) == 2 and names[0] == "hashes":
        return _HASH_BACK.get(names[1].upper())
    return None
