"""Pure rules of casework on an incident (issue 19): observables, tasks and internal notes.

No I/O here. Observables are the technical indicators an incident carries into its exports
(Plan §5.3 information sharing; CAC 2025 art. 8 technical details of the incident); notes and
tasks are internal and seen exactly by those who see the incident (Law art. 30)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

# kind -> (zh, en); the stored kinds (incident.models.Observable.kind)
KIND_LABELS: dict[str, tuple[str, str]] = {
    "ipv4": ("IP地址", "IP address"),
    "ipv6": ("IP地址", "IP address"),
    "domain": ("域名", "Domain"),
    "url": ("网址", "URL"),
    "md5": ("哈希", "Hash"),
    "sha1": ("哈希", "Hash"),
    "sha256": ("哈希", "Hash"),
    "cve": ("漏洞编号", "CVE"),
    "email": ("邮箱", "Email"),
}
# what a caller may name: the stored kinds plus the families "ip" and "hash"
GIVEN_KINDS = frozenset(KIND_LABELS) | {"ip", "hash"}
_HASH_BY_LEN = {32: "md5", 40: "sha1", 64: "sha256"}
_HEX = re.compile(r"[0-9a-fA-F]+")
_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}")
URL_SCHEMES = ("http", "https", "ftp")
MAX_VALUE = 2048
MAX_TITLE = 300
MAX_NOTE = 2000
MAX_COMMENT = 10000


class ObservableError(ValueError):
    """A value that is not a valid observable of the kind given (or of any kind)."""


@dataclass(frozen=True)
class Indicator:
    kind: str
    value: str


def normalise_domain(value: str) -> str:
    """An IDNA-valid host name, lower case, in its ASCII (punycode) form; a trailing dot
    dropped. Raises ObservableError."""
    v = value.strip().rstrip(".")
    if not v or len(v) > 253:
        raise ObservableError("a domain is 1 to 253 characters")
    try:
        ascii_ = v.encode("idna").decode("ascii").lower()
    except UnicodeError as e:
        raise ObservableError(f"not a valid (IDNA) domain name: {e}") from None
    labels = ascii_.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
        raise ObservableError("a domain is dot-separated labels of letters, digits and hyphens")
    if labels[-1].isdigit():
        raise ObservableError("a domain's last label is not all digits")
    return ascii_


def _ip(v: str) -> Indicator:
    try:
        ip = ipaddress.ip_address(v)
    except ValueError:
        raise ObservableError("not an IPv4 or IPv6 address") from None
    return Indicator("ipv4" if ip.version == 4 else "ipv6", str(ip))


def _hash(v: str, kind: str | None = None) -> Indicator:
    if not _HEX.fullmatch(v) or len(v) not in _HASH_BY_LEN:
        raise ObservableError("a hash is hexadecimal: 32 (MD5), 40 (SHA-1) or 64 (SHA-256) digits")
    found = _HASH_BY_LEN[len(v)]
    if kind not in (None, "hash", found):
        raise ObservableError(f"a {kind.upper()} hash has a different length")
    return Indicator(found, v.lower())


def _url(v: str) -> Indicator:
    try:
        parts = urlsplit(v)
        host = parts.hostname
    except ValueError:
        raise ObservableError("not a valid URL") from None
    if parts.scheme.lower() not in URL_SCHEMES:
        raise ObservableError("a URL starts with http://, https:// or ftp://")
    if not host:
        raise ObservableError("a URL names a host")
    try:
        _ip(host)
    except ObservableError:
        normalise_domain(host)
    return Indicator("url", v)


def _email(v: str) -> Indicator:
    local, at, domain = v.rpartition("@")
    if not at or not _EMAIL_LOCAL.fullmatch(local) or local.startswith(".") \
            or local.endswith(".") or ".." in local:
        raise ObservableError("not an email address (local@domain)")
    return Indicator("email", f"{local}@{normalise_domain(domain)}")


def _cve(v: str) -> Indicator:
    if not _CVE.fullmatch(v):
        raise ObservableError("a CVE identifier is CVE-YYYY-NNNN (four or more digits)")
    return Indicator("cve", v.upper())


def infer_kind(value: str) -> str:
    """The kind a bare value reads as; raises ObservableError when it reads as none."""
    return classify(value).kind


def classify(value: str, kind: str | None = None) -> Indicator:
    """Check ``value`` as an observable of ``kind`` (a stored kind, "ip", "hash" or None to
    infer it) and return it normalised: lower-case domains, hashes and email domains, CVE
    upper case, IP addresses in canonical form."""
    v = (value or "").strip()
    if not v:
        raise ObservableError("the value is empty")
    if len(v) > MAX_VALUE:
        raise ObservableError(f"the value is longer than {MAX_VALUE} characters")
    if kind is not None and kind not in GIVEN_KINDS:
        raise ObservableError(f"unknown kind {kind!r}")
    if kind in ("ip", "ipv4", "ipv6"):
        found = _ip(v)
        if kind != "ip" and found.kind != kind:
            raise ObservableError(f"not an {'IPv4' if kind == 'ipv4' else 'IPv6'} address")
        return found
    if kind in ("hash", "md5", "sha1", "sha256"):
        return _hash(v, kind)
    if kind == "domain":
        return Indicator("domain", normalise_domain(v))
    if kind == "url":
        return _url(v)
    if kind == "cve":
        return _cve(v)
    if kind == "email":
        return _email(v)
    # inferred, most specific first
    if _CVE.fullmatch(v):
        return _cve(v)
    if "://" in v:
        return _url(v)
    if "@" in v:
        return _email(v)
    try:
        return _ip(v)
    except ObservableError:
        pass
    if _HEX.fullmatch(v) and len(v) in _HASH_BY_LEN:
        return _hash(v)
    try:
        return Indicator("domain", normalise_domain(v))
    except ObservableError:
        raise ObservableError(
            "the value is not an IP address, domain, URL, hash, CVE identifier or email"
        ) from None


def check_title(title: str) -> str:
    t = (title or "").strip()
    if not t:
        raise ValueError("a task needs a title")
    if len(t) > MAX_TITLE:
        raise ValueError(f"a task title is at most {MAX_TITLE} characters")
    return t


def check_due(due_at: datetime | None, now: datetime) -> None:
    """A new task's due time is not in the past (a deadline already missed is no plan)."""
    if due_at is not None and due_at < now:
        raise ValueError("the due time is in the past")


def overdue(due_at: datetime | None, done_at: datetime | None, now: datetime) -> bool:
    """An open task past its due time."""
    return done_at is None and due_at is not None and due_at < now


def check_comment(text: str) -> str:
    t = (text or "").strip()
    if not t:
        raise ValueError("a note needs text")
    if len(t) > MAX_COMMENT:
        raise ValueError(f"a note is at most {MAX_COMMENT} characters")
    return t


def export_type(kind: str) -> str:
    """The indicator type the exports use (``sharing.stix.pattern_for``, MISP
    ``ATTRIBUTE_TYPE``) for a stored kind: both IP families are ``ip``."""
    return "ip" if kind in ("ipv4", "ipv6") else kind
