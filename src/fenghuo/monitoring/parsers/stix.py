"""STIX 2.1 bundles (OASIS STIX Version 2.1: §4.7 indicator, §5.2 sighting, §8 bundle, §9
patterning): one JSON document, read whole.

* An ``indicator`` with ``pattern_type`` ``stix`` gives one event per value its pattern compares
  at ``valid_from`` (else ``created``), with the indicator's ``confidence``. Its pattern is
  parsed with the ``stix2`` library's pattern machinery
  (:func:`stix2.pattern_visitor.create_pattern_object`); only plain equality comparisons of
  ``ipv4-addr:value``, ``ipv6-addr:value``, ``domain-name:value``, ``url:value`` and
  ``file:hashes.'SHA-256'`` (or ``SHA-1``, ``MD5``), joined by ``OR`` inside or between
  observations, are read. ``AND``, ``FOLLOWEDBY``, qualifiers, other operators, negation
  (``NOT``, ``!=``), other object paths and values that are not valid for their type reject the
  indicator with the reason.
* A ``sighting`` of an indicator of the bundle gives one event at its ``last_seen`` (else
  ``first_seen``, else ``created``), with the indicator's values merged into it (the first
  value of each type) and the sighting's ``confidence`` (else the indicator's). A sighting of
  anything else is rejected. An indicator with a sighting at its own time (``valid_from``)
  gives no event of its own: that sighting is the same observation (a Fenghuo export has one
  such sighting per indicator of a monitoring item, issue 20 item 1: each value is one event,
  not two).
* Other objects give no events; ``malware`` objects name the family of the indicators that
  ``indicates`` relationships link to them. Revoked indicators and sightings, and indicators
  typed ``benign`` (allow-list entries), are skipped.

Kind of an indicator (STIX has no vocabulary for it; ``indicator-type-ov`` is coarse): a name,
description, ``indicator_types`` or ``labels`` saying phishing → phishing, saying C2 / C&C /
botnet / command and control → c2-server; ``compromised`` → infected-system; else a URL or
file hash is taken as malware-distribution (unless typed ``anomalous-activity``,
``anonymization`` or ``attribution``); else words naming scanning / brute force give those
kinds; anything else is ``other``.

A document that is not JSON or not a bundle is one Rejected (line 1); an object's Rejected has
the object's 1-based position in ``objects`` as its line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

import msgspec
from stix2 import patterns
from stix2.pattern_visitor import create_pattern_object
from stix2patterns.exceptions import ParseException

from fenghuo.monitoring.events import Event, Rejected
from fenghuo.monitoring.parsers.common import (
    canonical_ip,
    clean,
    kind_from_name,
    lower,
    normalize_domain,
    normalize_hash,
    parse_time,
    split_host,
    to_int,
    url_host,
)

Observable = tuple[str, str]  # (field, normalized value): ("ip", "192.0.2.1"), ("url", …)


class Unsupported(ValueError):
    """A pattern this parser does not read, with the reason."""


def parse(fp: BinaryIO, *, feed: str, now: datetime | None = None) -> Iterator[Event | Rejected]:
    """Events of a STIX 2.1 bundle (``now`` is unused: indicators and sightings have times)."""
    text = fp.read().decode("utf-8", "replace")
    try:
        doc = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        yield Rejected(line_no=1, reason=f"malformed JSON: {exc}", raw=text)
        return
    objects = doc.get("objects") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("type") != "bundle" or not isinstance(objects, list):
        yield Rejected(line_no=1, reason="not a STIX bundle with an objects list", raw=text)
        return
    yield from _Bundle(objects, feed).events()


class _Bundle:
    def __init__(self, objects: list[Any], feed: str) -> None:
        self.objects, self.feed = objects, feed
        self.by_id = {_id(o): o for o in objects if _id(o)}
        self.malware = self._malware_names()
        self.sighted = {(_ref(o, "sighting_of_ref"), _sighting_time(o)) for o in objects
                        if isinstance(o, dict) and o.get("type") == "sighting"
                        and o.get("revoked") is not True}
        self._read: dict[int, list[Observable] | str] = {}

    def _malware_names(self) -> dict[str, str]:
        """Indicator id → malware family, from ``indicates`` relationships to ``malware``."""
        names = {}
        for obj in self.objects:
            if isinstance(obj, dict) and obj.get("relationship_type") == "indicates":
                target = self.by_id.get(_ref(obj, "target_ref"), {})
                if target.get("type") == "malware" and lower(target.get("name")):
                    names[_ref(obj, "source_ref")] = lower(target.get("name"))
        return names

    def observables(self, indicator: dict[str, Any]) -> list[Observable] | str:
        """The values of an indicator's pattern, or the reason they cannot be read (cached)."""
        key = id(indicator)
        if key not in self._read:
            if indicator.get("pattern_type", "stix") != "stix":
                self._read[key] = f"pattern_type {indicator.get('pattern_type')!r} not supported"
            else:
                try:
                    self._read[key] = pattern_observables(indicator.get("pattern"))
                except Unsupported as exc:
                    self._read[key] = str(exc)
        return self._read[key]

    def events(self) -> Iterator[Event | Rejected]:
        for no, obj in enumerate(self.objects, 1):
            if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
                yield Rejected(line_no=no, reason="not a STIX object", raw=_dump(obj))
            elif obj.get("revoked") is True:
                continue
            elif obj["type"] == "indicator":
                yield from self._indicator(no, obj)
            elif obj["type"] == "sighting":
                yield from self._sighting(no, obj)

    def _indicator(self, no: int, ind: dict[str, Any]) -> Iterator[Event | Rejected]:
        raw, values = _dump(ind), self.observables(ind)
        if isinstance(values, str):
            yield Rejected(line_no=no, reason=f"indicator {ind.get('id')}: {values}", raw=raw)
            return
        time = parse_time(ind.get("valid_from")) or parse_time(ind.get("created"))
        if time is None:
            yield Rejected(line_no=no, reason="indicator without valid_from or created", raw=raw)
            return
        kind = indicator_kind(ind, values, _id(ind) in self.malware)
        if kind is None or (_id(ind), time) in self.sighted:
            return
        for value in values:
            yield self._event(ind, [value], time, kind, _confidence(ind), raw)

    def _sighting(self, no: int, sighting: dict[str, Any]) -> Iterator[Event | Rejected]:
        raw, ref = _dump(sighting), _ref(sighting, "sighting_of_ref")
        ind = self.by_id.get(ref, {})
        if ind.get("type") != "indicator":
            yield Rejected(line_no=no, raw=raw,
                           reason=f"sighting of {ref!r}, not of an indicator in this bundle")
            return
        values = self.observables(ind)
        time = _sighting_time(sighting)
        if isinstance(values, str) or time is None:
            reason = f"indicator {ref}: {values}" if isinstance(values, str) else "no time"
            yield Rejected(line_no=no, reason=f"sighting: {reason}", raw=raw)
            return
        kind = indicator_kind(ind, values, ref in self.malware)
        if kind is not None and ind.get("revoked") is not True:
            event = self._event(ind, values, time, kind,
                                _confidence(sighting) or _confidence(ind), raw)
            event.description = _sighting_text(sighting, ind, self.by_id)
            yield event

    def _event(self, ind: dict[str, Any], values: list[Observable], time: datetime, kind: str,
               confidence: int | None, raw: str) -> Event:
        event = Event(time=time, kind=kind, feed=self.feed, signature=clean(ind.get("name")),
                      malware=self.malware.get(_id(ind)), confidence=confidence,
                      description=clean(ind.get("description")), raw=raw)
        for field, value in values:  # the first value of each field wins
            name = "source_ip" if field == "ip" else field
            if getattr(event, name) is None:
                setattr(event, name, value)
        if event.url is not None:  # the URL's host fills what no value of its own gave
            ip, domain = split_host(url_host(event.url))
            event.source_ip, event.domain = event.source_ip or ip, event.domain or domain
        return event


def _sighting_time(sighting: dict[str, Any]) -> datetime | None:
    """When a sighting saw it: ``last_seen``, else ``first_seen``, else ``created``."""
    return next(filter(None, map(parse_time, (
        sighting.get("last_seen"), sighting.get("first_seen"), sighting.get("created")))), None)


def _id(obj: object) -> str | None:
    return _ref(obj, "id")


def _ref(obj: object, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


def _dump(obj: Any) -> str:
    return msgspec.json.encode(obj).decode()


def _confidence(obj: dict[str, Any]) -> int | None:
    value = to_int(obj.get("confidence"))
    return value if value is not None and 0 <= value <= 100 else None


def _sighting_text(sighting: dict[str, Any], ind: dict[str, Any], by_id: dict[str, Any]) -> str:
    where = [clean(by_id.get(r, {}).get("name")) or str(r)
             for r in sighting.get("where_sighted_refs") or [] if isinstance(r, str)]
    text = f"sighting of {clean(ind.get('name')) or ind.get('id')}"
    if (count := to_int(sighting.get("count"))) is not None:
        text += f", {count} times"
    return text + (f", by {', '.join(where)}" if where else "")


# --- patterns ----------------------------------------------------------------------------------

_VALUE_PATHS = {"ipv4-addr": "ip", "ipv6-addr": "ip", "domain-name": "domain", "url": "url"}
_HASH_NAMES = frozenset({"sha-256", "sha256", "sha-1", "sha1", "md5"})


def pattern_observables(pattern: object) -> list[Observable]:
    """The ``(field, value)`` pairs of a pattern of ORed equality comparisons.

    Raises :class:`Unsupported` with the reason for anything else.
    """
    if not isinstance(pattern, str):
        raise Unsupported("no pattern")
    try:
        tree = create_pattern_object(pattern, version="2.1")
    except (ParseException, ValueError, TypeError) as exc:
        raise Unsupported(f"invalid STIX pattern: {exc}") from exc
    return [_observable(c) for c in _comparisons(tree)]


def _comparisons(expr: object) -> list[patterns.EqualityComparisonExpression]:
    if isinstance(expr, patterns.ObservationExpression):
        return _comparisons(expr.operand)
    if isinstance(expr, patterns.ParentheticalExpression):
        return _comparisons(expr.expression)
    if isinstance(expr, patterns.OrObservationExpression | patterns.OrBooleanExpression):
        return [c for operand in expr.operands for c in _comparisons(operand)]
    if isinstance(expr, patterns.EqualityComparisonExpression):
        if expr.negated:
            raise Unsupported("negated comparison (NOT, !=) not supported")
        return [expr]
    name = getattr(expr, "operator", None) or type(expr).__name__
    raise Unsupported(f"pattern construct {name} not supported (only = joined by OR)")


def _observable(comparison: patterns.EqualityComparisonExpression) -> Observable:
    lhs, rhs = comparison.lhs, comparison.rhs
    path = [p.property_name for p in lhs.property_path]
    if not isinstance(rhs, patterns.StringConstant) or not all(
            type(p) is patterns.BasicObjectPathComponent for p in lhs.property_path):
        raise Unsupported(f"comparison of {lhs} with a non-string value not supported")
    value = rhs.value.replace("\\'", "'").replace("\\\\", "\\")
    if lhs.object_type_name == "file" and len(path) == 2 and path[0] == "hashes":
        field = "hash" if str(path[1]).lower() in _HASH_NAMES else None
    else:
        field = _VALUE_PATHS.get(lhs.object_type_name) if path == ["value"] else None
    if field is None:
        raise Unsupported(f"object path {lhs} not supported")
    normalized = _normalize(field, value)
    if normalized is None:
        raise Unsupported(f"{lhs} value {value!r} is not valid")
    return field, normalized


def _normalize(field: str, value: str) -> str | None:
    if field == "ip":
        return canonical_ip(value)
    if field == "domain":
        return normalize_domain(value)
    if field == "hash":
        return normalize_hash(value)
    return clean(value) if url_host(value) else None


_NOT_MALICIOUS = frozenset({"anomalous-activity", "anonymization", "attribution"})


def indicator_kind(ind: dict[str, Any], values: list[Observable], has_malware: bool) -> str | None:
    """The event kind of an indicator (see the module docstring); None for a benign one."""
    types = {t for t in map(lower, _strings(ind.get("indicator_types"))) if t}
    if "benign" in types:
        return None
    words = " ".join(filter(None, [clean(ind.get("name")), clean(ind.get("description")),
                                   *types, *_strings(ind.get("labels"))]))
    named = kind_from_name(words)
    if named in ("phishing", "c2-server"):
        return named
    if "compromised" in types:
        return "infected-system"
    if (has_malware or any(f in ("url", "hash") for f, _ in values)) and not (
            types & _NOT_MALICIOUS):
        return "malware-distribution"
    return named if named in ("scanner", "brute-force") else "other"


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
