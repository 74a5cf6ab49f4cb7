"""Realistic machine-monitoring data for the ingest benchmarks (bench/ingest.py and the
IntelMQ comparison): a constituency register of prefixes and domains, and Suricata EVE alerts
of about 490 bytes each, about half of them from registered address space.

Deterministic for a seed, so Fenghuo and IntelMQ read the very same events.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

SIGNATURES = (
    (2024217, "ET MALWARE Win32/Emotet CnC Activity (POST) M5", "A Network Trojan was Detected", 1),
    (2035595, "ET MALWARE Cobalt Strike Beacon Observed", "A Network Trojan was Detected", 1),
    (2010935, "ET SCAN Suspicious inbound to MSSQL port 1433", "Potentially Bad Traffic", 2),
    (2001219, "ET SCAN Potential SSH Scan", "Attempted Information Leak", 2),
    (2034647, "ET EXPLOIT Apache log4j RCE Attempt (CVE-2021-44228)",
     "Attempted Administrator Privilege Gain", 1),
    (2027865, "ET INFO Observed DNS Query to .cloud TLD", "Potentially Bad Traffic", 3),
    (2013028, "ET POLICY curl User-Agent Outbound", "Attempted Information Leak", 3),
    (2019401, "ET POLICY Vulnerable Java Version 1.8.x Detected", "Potentially Bad Traffic", 2),
)


@dataclass(frozen=True)
class Register:
    """A register: ``prefixes`` as (cidr, owner number), ``domains`` as (domain, owner)."""

    prefixes: list[tuple[str, int]]
    domains: list[tuple[str, int]]
    owners: int


def _quad(a: int) -> str:
    return f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"


def make_register(prefixes: int = 100_000, domains: int = 50_000, owners: int = 20_000,
                  seed: int = 15) -> Register:
    """Prefixes of /16 to /29 in public unicast space (about 1 in 8 nested inside another, as a
    hosting customer's block inside its provider's) and domains under .cn, .com.cn, .gov.cn."""
    rng = random.Random(seed)
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    while len(out) < prefixes:
        if out and rng.random() < 0.125:
            parent, _ = out[rng.randrange(len(out))]
            base, plen = parent.split("/")
            length = min(int(plen) + rng.choice((4, 8)), 29)
            a = _int(base) | (rng.getrandbits(32 - int(plen)) & ~((1 << (32 - length)) - 1))
        else:
            length = rng.choice((16, 18, 20, 22, 24, 24, 24, 26, 28))
            a = rng.randrange(1 << 24, 223 << 24) & ~((1 << (32 - length)) - 1)
        cidr = f"{_quad(a)}/{length}"
        if cidr not in seen:
            seen.add(cidr)
            out.append((cidr, rng.randrange(owners) + 1))
    suffixes = ("cn", "com.cn", "gov.cn", "net.cn", "edu.cn")
    names = {f"unit{i}-{rng.getrandbits(24):06x}.{rng.choice(suffixes)}" for i in range(domains)}
    doms = [(d, rng.randrange(owners) + 1) for d in sorted(names)]
    return Register(out, doms, owners)


def _int(quad: str) -> int:
    a, b, c, d = (int(x) for x in quad.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def _address(rng: random.Random, register: Register) -> str:
    if rng.random() < 0.5:
        cidr, _ = register.prefixes[rng.randrange(len(register.prefixes))]
        base, plen = cidr.split("/")
        return _quad(_int(base) | rng.getrandbits(32 - int(plen)))
    return _quad(rng.randrange(1 << 24, 223 << 24))


def eve_alerts(n: int, register: Register, seed: int = 16,
               day: str = "2026-11-30") -> Iterator[bytes]:
    """``n`` EVE alert lines (with newline), spread over one day, as Suricata writes them."""
    rng = random.Random(seed)
    for i in range(n):
        sid, sig, cat, sev = SIGNATURES[rng.randrange(len(SIGNATURES))]
        sec = (i * 86_399) // max(n, 1)
        clock = f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
        stamp = f"{day}T{clock}.{i % 1_000_000:06d}+0800"
        event = {
            "timestamp": stamp, "flow_id": rng.getrandbits(50), "in_iface": "eth0",
            "event_type": "alert", "src_ip": _address(rng, register),
            "src_port": rng.randrange(1024, 65536), "dest_ip": _address(rng, register),
            "dest_port": rng.choice((80, 443, 1433, 22, 445)), "proto": "TCP",
            "alert": {"action": "allowed", "gid": 1, "signature_id": sid, "rev": 3,
                      "signature": sig, "category": cat, "severity": sev},
            "app_proto": "http",
            "flow": {"pkts_toserver": 3, "pkts_toclient": 2, "bytes_toserver": 304,
                     "bytes_toclient": 190},
        }
        yield msgspec.json.encode(event) + b"\n"


def write_eve(path: Path, n: int, register: Register, seed: int = 16) -> int:
    """Write ``n`` alerts to ``path``; returns the bytes written."""
    size = 0
    with path.open("wb") as out:
        for line in eve_alerts(n, register, seed):
            out.write(line)
            size += len(line)
    return size


if __name__ == "__main__":
    import sys

    reg = make_register()
    written = write_eve(Path(sys.argv[1]), int(sys.argv[2]), reg)
    print(f"{written / int(sys.argv[2]):.0f} bytes per alert")
