"""The constituency register, pure part: who owns which network (Law arts. 51–52, Plan §3.2:
CNCERT "finds the owners of what it sees"; n6's per-owner distribution is the model).

Entries are IPv4/IPv6 prefixes, AS numbers and domains, each held by a body in one of two
roles: ``owner`` (an operator unit, CII operator or support unit registering its own networks)
or ``jurisdiction`` (an office registering its jurisdiction's address space, a province's ISP
allocations, so that an address with no registered owner still lands with the right province).

Attribution (:class:`AttributionIndex`): a registered owner wins over a jurisdiction; among
owners the longest prefix wins (a hosting customer's /28 beats its provider's /16), among
jurisdictions too. Domains match by suffix up to the registrable domain (``a.b.example.com.cn``
→ ``b.example.com.cn`` if registered, else ``example.com.cn``), with the public-suffix list
shipped by ``publicsuffixlist`` (offline). Single lookups use ``pytricia`` prefix trees; bulk
IPv4 lookups use the same entries flattened into disjoint intervals and ``numpy.searchsorted``.

Pure: no database, no framework.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pytricia
from publicsuffixlist import PublicSuffixList


class EntryKind(StrEnum):
    PREFIX = "prefix"
    ASN = "asn"
    DOMAIN = "domain"


class Role(StrEnum):
    OWNER = "owner"  # the unit's own networks
    JURISDICTION = "jurisdiction"  # an office's jurisdiction address space


class Level(StrEnum):
    """How an event was attributed (item 4: owner, else jurisdiction, else the national queue)."""

    OWNER = "owner"
    JURISDICTION = "jurisdiction"
    NATIONAL = "national"


@functools.cache
def public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def canonical_prefix(value: str) -> str:
    """``value`` as a canonical network (``10.1.0.0/16``, ``2001:db8::/32``); a bare address is
    a host prefix. ValueError with the reason when it is not a network or has host bits set."""
    try:
        net = ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        raise ValueError(f"not an IP prefix: {exc}") from None
    return str(net)


def canonical_asn(value: str | int) -> str:
    text = str(value).strip().upper().removeprefix("AS")
    if not text.isdigit() or not 0 < int(text) < 2**32:
        raise ValueError("not an AS number: expected 1–4294967295, optionally written AS64500")
    return str(int(text))


def canonical_domain(value: str) -> str:
    """A registrable domain or a name below one, lower-case ASCII (IDNA), no trailing dot."""
    text = value.strip().rstrip(".").lower()
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("not a domain name") from None
    labels = text.split(".")
    if len(labels) < 2 or not all(0 < len(x) <= 63 for x in labels) or len(text) > 253:
        raise ValueError("not a domain name: expected a name such as example.com.cn")
    if public_suffixes().privatesuffix(text) is None:
        raise ValueError(f"{text!r} is a public suffix: register a domain below it")
    return text


def canonical(kind: EntryKind, value: str) -> str:
    return {EntryKind.PREFIX: canonical_prefix, EntryKind.ASN: canonical_asn,
            EntryKind.DOMAIN: canonical_domain}[kind](value)


@dataclass(frozen=True)
class Entry:
    """One register entry as the index needs it: the body it attributes to."""

    kind: EntryKind
    value: str  # canonical
    role: Role
    body_id: int


@dataclass(frozen=True)
class Attribution:
    body_id: int | None  # None: the national queue
    level: Level
    matched: str | None = None  # the entry that matched, e.g. "10.1.0.0/16"


NATIONAL = Attribution(None, Level.NATIONAL)


class _Intervals:
    """Nested IPv4 prefixes flattened into disjoint segments, each carrying the body of the
    innermost (longest) prefix covering it, for vectorized longest-prefix match."""

    def __init__(self, prefixes: Iterable[tuple[int, int, int]]) -> None:
        """``prefixes``: (first address, last address, body id), any order, no duplicates."""
        points: list[int] = []
        values: list[int] = []
        stack: list[tuple[int, int]] = []  # (last address, body id), outermost first
        for first, last, body in sorted(prefixes, key=lambda p: (p[0], -p[1])):
            while stack and stack[-1][0] < first:
                end, _ = stack.pop()
                points.append(end + 1)
                values.append(stack[-1][1] if stack else -1)
            stack.append((last, body))
            points.append(first)
            values.append(body)
        while stack:
            end, _ = stack.pop()
            points.append(end + 1)
            values.append(stack[-1][1] if stack else -1)
        pts = np.asarray(points, dtype=np.int64)
        vals = np.asarray(values, dtype=np.int64)
        # the last boundary written at a point wins (it is the innermost prefix starting there)
        keep = np.ones(len(pts), dtype=bool)
        if len(pts) > 1:
            keep[:-1] = pts[1:] != pts[:-1]
        self.points = pts[keep]
        self.values = vals[keep]

    def lookup(self, addresses: np.ndarray) -> np.ndarray:
        """Body id per address (int64), -1 where no prefix covers it."""
        if not len(self.points):
            return np.full(len(addresses), -1, dtype=np.int64)
        idx = np.searchsorted(self.points, addresses.astype(np.int64), side="right") - 1
        out = self.values[np.maximum(idx, 0)]
        out[idx < 0] = -1
        return out


class AttributionIndex:
    """Every register entry, ready for lookups: owner before jurisdiction, longest prefix,
    domain suffix, AS number."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._tries = {(r, v): pytricia.PyTricia(b) for r in Role for v, b in ((4, 32), (6, 128))}
        self._domains: dict[Role, dict[str, int]] = {r: {} for r in Role}
        self._asns: dict[Role, dict[int, int]] = {r: {} for r in Role}
        v4: dict[Role, list[tuple[int, int, int]]] = {r: [] for r in Role}
        self.size = 0
        for e in entries:
            self.size += 1
            if e.kind is EntryKind.PREFIX:
                net = ipaddress.ip_network(e.value)
                self._tries[(e.role, net.version)][e.value] = e.body_id
                if net.version == 4:
                    first = int(net.network_address)
                    v4[e.role].append((first, first + net.num_addresses - 1, e.body_id))
            elif e.kind is EntryKind.DOMAIN:
                self._domains[e.role][e.value] = e.body_id
            else:
                self._asns[e.role][int(e.value)] = e.body_id
        self._intervals = {r: _Intervals(v4[r]) for r in Role}

    def address(self, ip: str) -> Attribution:
        """Attribution of one address (IPv4 or IPv6), NATIONAL when nothing covers it."""
        version = 6 if ":" in ip else 4
        for role in Role:
            trie = self._tries[(role, version)]
            try:
                key = trie.get_key(ip)
            except ValueError:
                return NATIONAL
            if key is not None:
                return Attribution(trie[key], Level(role.value), key)
        return NATIONAL

    def domain(self, name: str) -> Attribution:
        """Attribution of a domain by its longest registered suffix, up to the registrable
        domain; NATIONAL when none is registered."""
        labels = name.lower().rstrip(".").split(".")
        for role in Role:
            table = self._domains[role]
            for i in range(len(labels) - 1):
                candidate = ".".join(labels[i:])
                if candidate in table:
                    return Attribution(table[candidate], Level(role.value), candidate)
        return NATIONAL

    def asn(self, number: int) -> Attribution:
        for role in Role:
            if number in self._asns[role]:
                return Attribution(self._asns[role][number], Level(role.value), f"AS{number}")
        return NATIONAL

    def ipv4_bulk(self, addresses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(body ids, levels) for uint32 addresses: the owner's body where one covers the
        address, else the jurisdiction's, else -1; level 0 owner, 1 jurisdiction, 2 national."""
        owners = self._intervals[Role.OWNER].lookup(addresses)
        juris = self._intervals[Role.JURISDICTION].lookup(addresses)
        bodies = np.where(owners >= 0, owners, juris)
        levels = np.where(owners >= 0, 0, np.where(juris >= 0, 1, 2)).astype(np.int8)
        return bodies, levels


LEVELS: Sequence[Level] = (Level.OWNER, Level.JURISDICTION, Level.NATIONAL)
