"""Normalizers and readers shared by the feed parsers.

Every value that reaches an :class:`~fenghuo.monitoring.events.Event` goes through one of these,
so all parsers agree on the canonical forms ``events.py`` promises: addresses in ``ipaddress``
form (RFC 5952 for IPv6; an IPv4-mapped IPv6 address becomes its IPv4 address), domains
lower-case ASCII (IDNA, RFC 5891) without the trailing dot, hashes lower-case hex, CVE ids
upper-case, times timezone-aware UTC. Each normalizer returns ``None`` for a value it cannot
read instead of raising, so one bad field never stops a feed.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import BinaryIO, NamedTuple
from urllib.parse import urlsplit

from fenghuo.monitoring.events import Rejected

# --- scalar values -----------------------------------------------------------------------------


def clean(value: object) -> str | None:
    """``value`` as stripped text; None for None, empty text or a non-scalar (list, dict, bool)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


_INTEGER = re.compile(r"-?[0-9]{1,18}")


def to_int(value: object) -> int | None:
    """An integer from an int, an integral float or decimal digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = clean(value)
    return int(text) if text is not None and _INTEGER.fullmatch(text) else None


def to_port(value: object) -> int | None:
    """A TCP/UDP port number (0–65535), or None."""
    port = to_int(value)
    return port if port is not None and 0 <= port <= 65535 else None


def lower(value: object) -> str | None:
    """Stripped lower-case text (protocols, malware families), or None."""
    text = clean(value)
    return text.lower() if text else None


# --- addresses, domains, URLs ------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _canonical_ip(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return address.compressed


def canonical_ip(value: object) -> str | None:
    """The canonical text of an IPv4/IPv6 address (``2001:db8::1``), None when not an address.

    Cached: sensor logs repeat the same few thousand addresses millions of times.
    """
    return _canonical_ip(value) if isinstance(value, str) and value else None


_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def normalize_domain(value: object) -> str | None:
    """A fully qualified domain name lower-case, without the trailing dot, IDNA-encoded to ASCII
    (``例子.中国`` → ``xn--fsqu00a.xn--fiqs8s``); None for an IP literal, a single label or
    anything that is not a host name (labels of letters, digits, ``-`` and ``_``, RFC 1035/2181).
    Cached, as sensors see the same names again and again.
    """
    return _normalize_domain(value) if isinstance(value, str) and value else None


@lru_cache(maxsize=1 << 16)
def _normalize_domain(value: str) -> str | None:
    text = value.strip()
    if not text or canonical_ip(text) is not None:
        return None
    text = text.lower().rstrip(".")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")  # stdlib codec: IDNA 2003 nameprep
        except UnicodeError:
            return None
    labels = text.split(".")
    if len(labels) < 2 or len(text) > 253 or labels[-1].isdigit():
        return None
    return text if all(_LABEL.fullmatch(label) for label in labels) else None


def url_host(url: object) -> str | None:
    """The host part of a URL (with or without a scheme), lower-case, without IPv6 brackets."""
    text = clean(url)
    if text is None:
        return None
    try:
        return urlsplit(text if "://" in text else "//" + text).hostname or None
    except ValueError:  # e.g. an unbalanced "[" in the netloc
        return None


def split_host(host: object) -> tuple[str | None, str | None]:
    """``(ip, domain)`` of a host: exactly one of them is set when the host is valid."""
    ip = canonical_ip(host)
    return (ip, None) if ip is not None else (None, normalize_domain(host))


# --- hashes and CVE ids ------------------------------------------------------------------------

_HASH_TYPES = {64: "sha256", 40: "sha1", 32: "md5"}
_HEX = frozenset("0123456789abcdef")


def hash_type(value: object) -> str | None:
    """``"sha256"``, ``"sha1"`` or ``"md5"`` by length when ``value`` is hex, else None."""
    text = lower(value)
    if text is None or not _HEX.issuperset(text):
        return None
    return _HASH_TYPES.get(len(text))


def normalize_hash(value: object) -> str | None:
    """A sha256/sha1/md5 hash as lower-case hex, or None."""
    return lower(value) if hash_type(value) else None


def best_hash(*values: object) -> str | None:
    """The strongest valid hash among ``values``: sha256, else sha1, else md5."""
    found = {hash_type(v): normalize_hash(v) for v in values if hash_type(v)}
    return next((found[t] for t in ("sha256", "sha1", "md5") if t in found), None)


_CVE = re.compile(r"CVE-\d{4}-\d{4,}")
_CVE_IN_TEXT = re.compile(r"CVE[-_]\d{4}[-_]\d{4,}", re.IGNORECASE)


def normalize_cve(value: object) -> str | None:
    """An upper-case CVE id (``CVE-2024-3400``; ``cve_2024_3400`` is accepted), or None."""
    text = clean(value)
    if text is None:
        return None
    text = text.upper().replace("_", "-")
    return text if _CVE.fullmatch(text) else None


def find_cve(text: object) -> str | None:
    """The first CVE id mentioned in free text (an IDS signature, a scanner tag), or None."""
    found = _CVE_IN_TEXT.search(text) if isinstance(text, str) else None
    return normalize_cve(found.group()) if found else None


# --- times -------------------------------------------------------------------------------------

_EPOCH = re.compile(r"(\d{1,12})(?:\.(\d+))?", re.ASCII)
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _from_epoch(text: str) -> datetime | None:
    match = _EPOCH.fullmatch(text)
    if match is None:
        return None
    seconds, fraction = int(match.group(1)), (match.group(2) or "").ljust(6, "0")[:6]
    return _UNIX_EPOCH + timedelta(seconds=seconds, microseconds=int(fraction))


def parse_time(value: object) -> datetime | None:
    """A timezone-aware UTC datetime, or None.

    Accepts ISO 8601 / RFC 3339 text with any offset, including Suricata's ``+0800`` form
    (``2026-11-30T08:01:02.123456+0800``), a space instead of ``T`` (Shadowserver, URLhaus),
    epoch seconds as a number or as text (Zeek's ``1732953662.123456``). A time without an
    offset is taken as UTC, which is what these feeds document.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = repr(value)  # the shortest repr keeps Zeek's microseconds exact
    text = clean(value)
    if text is None:
        return None
    try:
        if text.replace(".", "", 1).isdigit():
            return _from_epoch(text)
        parsed = datetime.fromisoformat(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


# --- readers -----------------------------------------------------------------------------------


def text_lines(fp: BinaryIO) -> Iterator[tuple[int, str]]:
    """``(line_no, text)`` of each line, decoded as UTF-8 (errors replaced), without the line
    ending and without a leading byte-order mark. Streaming."""
    for line_no, line in enumerate(fp, 1):
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        yield line_no, (text.removeprefix("\ufeff") if line_no == 1 else text)


class LineTape:
    """The decoded lines of a binary stream for :mod:`csv`, remembering what each record consumed.

    ``csv.reader`` pulls exactly the lines of one record, so :meth:`take` after each record gives
    its raw text for evidence, and :attr:`line_no` the number of its last line. With
    ``comments=True``, blank lines and lines starting with ``#`` are skipped; the last comment
    is kept in :attr:`last_comment` (URLhaus puts its header there).
    """

    def __init__(self, fp: BinaryIO, *, comments: bool = False) -> None:
        self._lines = iter(fp)
        self._comments = comments
        self._taken: list[str] = []
        self.line_no = 0
        self.last_comment: str | None = None

    def __iter__(self) -> LineTape:
        return self

    def __next__(self) -> str:
        while True:
            text = next(self._lines).decode("utf-8", "replace")
            self.line_no += 1
            if self.line_no == 1:
                text = text.removeprefix("\ufeff")
            stripped = text.strip()
            if self._comments and (not stripped or stripped.startswith("#")):
                self.last_comment = stripped.lstrip("#").strip() or self.last_comment
                continue
            self._taken.append(text)
            return text

    def take(self) -> str:
        """The raw text consumed since the last call, without the final line ending."""
        raw = "".join(self._taken).rstrip("\r\n")
        self._taken.clear()
        return raw


class CsvRow(NamedTuple):
    """One CSV record: its last line number, its fields by lower-case header name, its text."""

    line_no: int
    fields: dict[str, str]
    raw: str


def header_of(row: list[str]) -> list[str]:
    """Column names of a header row: stripped, lower-case."""
    return [name.strip().lower() for name in row]


def csv_rows(tape: LineTape, header: list[str] | None = None,
             lines: Iterable[str] | None = None) -> Iterator[CsvRow | Rejected]:
    """The records of a CSV stream keyed by its header (the first record unless given).

    A record csv cannot read or with another number of fields than the header is Rejected,
    and reading goes on with the next record.
    """
    reader = csv.reader(tape if lines is None else lines)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejected(line_no=tape.line_no, reason=f"unreadable CSV: {exc}", raw=tape.take())
            continue
        raw = tape.take()
        if not any(field.strip() for field in row):
            continue
        if header is None:
            header = header_of(row)
        elif len(row) != len(header):
            yield Rejected(line_no=tape.line_no, raw=raw,
                           reason=f"expected {len(header)} CSV fields, found {len(row)}")
        else:
            yield CsvRow(tape.line_no, dict(zip(header, row, strict=True)), raw)


# --- kinds from names --------------------------------------------------------------------------

_TOKENS = re.compile(r"[^a-z0-9&]+")
_C2_TOKENS = frozenset({"c2", "cc", "cnc", "c&c", "botnet", "botnetcc", "feodo", "feodotracker"})
_SCAN_TOKENS = frozenset({"scan", "scans", "scanner", "scanners", "scanning"})


def kind_from_name(name: object) -> str | None:
    """The event kind a feed, intel source or threat name declares, or None.

    By its words: ``phish…`` → phishing; ``c2``/``cc``/``cnc``/``c&c``/``botnet``/``feodo``
    (or a word starting with ``c2``, as in ``c2intelfeeds``) or "command and control" →
    c2-server; ``malware``/``urlhaus`` → malware-distribution; ``scan…`` → scanner;
    ``brute…`` → brute-force.
    """
    text = lower(name)
    if text is None:
        return None
    tokens = [t for t in _TOKENS.split(text) if t]
    if "phish" in text:
        return "phishing"
    if any(t in _C2_TOKENS or t.startswith("c2") for t in tokens) or (
        "command and control" in text or "command-and-control" in text
    ):
        return "c2-server"
    if "malware" in text or "urlhaus" in text:
        return "malware-distribution"
    if any(t in _SCAN_TOKENS for t in tokens):
        return "scanner"
    return "brute-force" if "brute" in text else None
