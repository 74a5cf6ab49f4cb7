"""Pure rules of incident casework (issue 19): observable kinds checked, inferred and
normalised; task due times; notes."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenghuo.incident import casework_rules as r

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "kind", "normal"), [
    ("192.0.2.1", "ipv4", "192.0.2.1"),
    ("2001:DB8::1", "ipv6", "2001:db8::1"),
    ("Mail.Example.CN.", "domain", "mail.example.cn"),
    ("例子.中国", "domain", "xn--fsqu00a.xn--fiqs8s"),
    ("https://evil.example.com/a?b=1", "url", "https://evil.example.com/a?b=1"),
    ("ftp://198.51.100.2/x", "url", "ftp://198.51.100.2/x"),
    ("D41D8CD98F00B204E9800998ECF8427E", "md5", "d41d8cd98f00b204e9800998ecf8427e"),
    ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1",
     "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("cve-2021-44228", "cve", "CVE-2021-44228"),
    ("Soc@Example.COM", "email", "Soc@example.com"),
])
def test_kinds_are_inferred_and_values_normalised(value, kind, normal):
    assert r.classify(value) == r.Indicator(kind, normal)
    assert r.infer_kind(value) == kind


@pytest.mark.parametrize(("value", "kind", "says"), [
    ("300.1.1.1", "ip", "IPv4 or IPv6"),
    ("2001:db8::1", "ipv4", "IPv4"),
    ("abcd", "hash", "hexadecimal"),
    ("d41d8cd98f00b204e9800998ecf8427e", "sha256", "different length"),
    ("zz" * 16, "md5", "hexadecimal"),
    ("javascript://x", "url", "http://"),
    ("http:///nohost", "url", "host"),
    ("-bad-.com", "domain", "labels"),
    ("localhost", "domain", "labels"),
    ("CVE-21-1", "cve", "CVE-YYYY-NNNN"),
    ("a@@b", "email", "email"),
    ("1.2.3.4", "colour", "unknown kind"),
    ("", None, "empty"),
    ("not a thing!", None, "not an IP address"),
])
def test_bad_values_are_refused_with_a_clear_error(value, kind, says):
    with pytest.raises(r.ObservableError, match=says):
        r.classify(value, kind)


@given(st.ip_addresses())
def test_any_ip_address_reads_as_its_family(ip):
    found = r.classify(str(ip))
    assert found.kind == ("ipv4" if ip.version == 4 else "ipv6")
    assert ipaddress.ip_address(found.value) == ip


@given(st.sampled_from([16, 20, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n)))
def test_any_hash_reads_by_its_length_in_lower_case(digest):
    text = digest.hex().upper()
    found = r.classify(text)
    assert found.kind == {16: "md5", 20: "sha1", 32: "sha256"}[len(digest)]
    assert found.value == text.lower()


@given(st.integers(1999, 2099), st.integers(1, 10**7))
def test_cve_identifiers_are_upper_case(year, n):
    assert r.classify(f"cve-{year}-{n:04d}") == r.Indicator("cve", f"CVE-{year}-{n:04d}")


def test_every_kind_has_a_bilingual_label_and_an_export_type():
    assert r.KIND_LABELS["domain"] == ("域名", "Domain")
    assert {r.export_type(k) for k in r.KIND_LABELS} == {
        "ip", "domain", "url", "md5", "sha1", "sha256", "cve", "email"}


def test_due_times_titles_and_notes():
    r.check_due(NOW + timedelta(minutes=1), NOW)
    r.check_due(None, NOW)
    with pytest.raises(ValueError, match="past"):
        r.check_due(NOW - timedelta(seconds=1), NOW)
    assert r.overdue(NOW - timedelta(minutes=1), None, NOW)
    assert not r.overdue(NOW - timedelta(minutes=1), NOW, NOW)
    assert not r.overdue(None, None, NOW)
    assert r.check_title("  核查  ") == "核查"
    with pytest.raises(ValueError):
        r.check_title(" ")
    with pytest.raises(ValueError):
        r.check_comment("")
    with pytest.raises(ValueError):
        r.check_title("x" * 301)
