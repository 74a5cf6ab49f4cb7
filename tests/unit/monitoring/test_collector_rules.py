"""The pure rules of the scheduled collectors (monitoring.collector_rules): kinds, URL checks,
credentials and env: references, conditional GET, TAXII 2.1 paging and page keys, timestamps,
the bundle a page becomes (read back by the STIX parser), the status a feed shows."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from fenghuo.monitoring import collector_rules as rules
from fenghuo.monitoring.events import Event
from fenghuo.monitoring.parsers import stix
from fenghuo.monitoring.schemas import CollectorIn, CollectorKind
from tests.collector_peers import indicator

COLLECTION = "https://peer.example/taxii2/api/collections/91a7b528-80eb/"


def test_kind_follows_the_format_and_the_url():
    assert rules.infer_kind(COLLECTION, "stix") is CollectorKind.TAXII
    assert rules.infer_kind(COLLECTION.rstrip("/"), "stix") is CollectorKind.TAXII
    assert rules.infer_kind(COLLECTION, "url-feed") is CollectorKind.URL
    assert rules.infer_kind("https://peer.example/bundle.json", "stix") is CollectorKind.URL
    assert rules.collection_id(COLLECTION) == "91a7b528-80eb"
    assert rules.objects_url(rules.normalize_url(COLLECTION.rstrip("/"), CollectorKind.TAXII)) \
        == COLLECTION + "objects/"


@pytest.mark.parametrize(("url", "kind", "fmt", "field"), [
    ("ftp://peer.example/x", CollectorKind.URL, "url-feed", "url"),
    ("https:///nohost", CollectorKind.URL, "url-feed", "url"),
    ("https://user:pw@peer.example/x", CollectorKind.URL, "url-feed", "url"),
    ("https://peer.example/taxii2/", CollectorKind.TAXII, "stix", "url"),
    (COLLECTION, CollectorKind.TAXII, "suricata", "kind"),
])
def test_bad_urls_are_named(url, kind, fmt, field):
    [problem] = rules.check_url(url, kind, fmt)
    assert problem.field == field


def test_good_urls_pass():
    assert rules.check_url(COLLECTION, CollectorKind.TAXII, "stix") == []
    assert rules.check_url("http://127.0.0.1:8080/feed.csv?key=1", CollectorKind.URL,
                           "url-feed") == []


def test_credentials_and_env_references():
    assert rules.auth_of(None, None, None) == (None, [])
    assert rules.auth_of("u", "p", None)[0] == {"type": "basic", "username": "u",
                                                 "password": "p"}
    assert rules.auth_of(None, None, "t")[0] == {"type": "bearer", "token": "t"}
    assert rules.auth_of("u", None, None)[1][0].field == "password"
    assert rules.auth_of(None, "p", None)[1][0].field == "username"
    assert rules.auth_of("u", "p", "t")[1][0].field == "token"
    assert rules.resolve_secret("plain", {}) == "plain"
    assert rules.resolve_secret("env:PW", {"PW": "from-env"}) == "from-env"
    with pytest.raises(LookupError, match="PW"):
        rules.resolve_secret("env:PW", {})


def test_collector_input_bounds_and_hidden_secrets():
    with pytest.raises(ValidationError):
        CollectorIn(url=COLLECTION, interval_minutes=0)
    with pytest.raises(ValidationError):
        CollectorIn(url=COLLECTION, interval_minutes=5, extra=1)
    data = CollectorIn(url=COLLECTION, interval_minutes=5, username="u", password="hunter2-pw")
    assert "hunter2" not in repr(data) and "hunter2" not in data.model_dump_json()


def test_redact_drops_user_information_and_query():
    assert rules.redact("https://u:p@peer.example:8443/a/b?key=secret#f") == \
        "https://peer.example:8443/a/b?…"
    assert rules.redact("http://peer.example/feed.txt") == "http://peer.example/feed.txt"


def test_conditional_headers_from_the_last_validators():
    assert rules.conditional_headers({}) == {}
    assert rules.conditional_headers({"etag": '"abc"', "last_modified": "Sun, 01 Nov 2026 "
                                      "07:00:00 GMT"}) == {
        "If-None-Match": '"abc"', "If-Modified-Since": "Sun, 01 Nov 2026 07:00:00 GMT"}


def test_inflate_gzip_within_its_limit():
    assert rules.inflate(b"plain", 10) == b"plain"
    assert rules.inflate(gzip.compress(b"a\nb\n"), 10) == b"a\nb\n"
    with pytest.raises(ValueError, match="larger"):
        rules.inflate(gzip.compress(b"x" * 100), 10)
    with pytest.raises(ValueError, match="gzip"):
        rules.inflate(b"\x1f\x8bnot gzip at all", 100)


def test_timestamps_of_any_precision_and_the_later_one():
    assert rules.instant("2026-11-01T07:00:00Z") == datetime(2026, 11, 1, 7, tzinfo=UTC)
    assert rules.instant("2026-11-01T15:00:00.123456789+08:00") == datetime(
        2026, 11, 1, 7, 0, 0, 123456, tzinfo=UTC)
    assert rules.instant("yesterday") is None and rules.instant(None) is None
    a, b = "2026-11-01T07:00:00.000001Z", "2026-11-01T07:00:00.5Z"
    assert rules.later(a, b) == b and rules.later(b, a) == b
    assert rules.later(None, a) == a and rules.later(a, None) == a
    assert rules.later("junk", None) is None


def test_page_keys_record_the_collection_and_range():
    prefix = rules.taxii_prefix(COLLECTION)
    assert prefix == "taxii:peer.example/91a7b528-80eb:"
    key = rules.taxii_key(prefix, "2026-11-01T07:00:00Z", "2026-11-01T07:00:09.5Z")
    assert rules.last_of_key(key, prefix) == "2026-11-01T07:00:09.5Z"
    assert rules.last_of_key(key, "taxii:other/x:") is None
    assert rules.last_of_key("pull:abc", prefix) is None
    long = rules.taxii_key(prefix, "2026-11-01T07:00:00Z", "9" * 300)
    assert len(long) <= rules.KEY_LIMIT and rules.last_of_key(long, prefix) is None


def test_paging_follows_next_then_added_after():
    last = "2026-11-01T07:00:03Z"
    assert rules.next_query({}, {"more": False}, last) is None
    assert rules.next_query({"added_after": "A"}, {"more": True, "next": "n2"}, last) == {
        "added_after": "A", "next": "n2"}
    assert rules.next_query({"added_after": "A", "next": "n2"}, {"more": True}, last) == {
        "added_after": last}
    with pytest.raises(rules.PagingError, match="neither"):
        rules.next_query({}, {"more": True}, None)
    with pytest.raises(rules.PagingError, match="just read"):
        rules.next_query({"added_after": last}, {"more": True}, last)


@pytest.mark.parametrize("envelope", [[], {"objects": {}}, {"objects": [1]},
                                      {"more": "yes"}])
def test_what_is_not_an_envelope_is_refused(envelope):
    with pytest.raises(rules.PagingError):
        rules.envelope_objects(envelope)


def test_a_page_becomes_a_bundle_the_stix_parser_reads_one_object_a_line():
    objects = [indicator(1, "198.51.100.1"), indicator(2, "198.51.100.2")]
    lines = rules.bundle_lines("taxii:peer/x:a..b", objects)
    assert rules.bundle_lines("taxii:peer/x:a..b", objects) == lines  # the same key, same id
    out = list(stix.parse(io.BytesIO(b"\n".join(lines)), feed="f"))
    assert [e.source_ip for e in out if isinstance(e, Event)] == ["198.51.100.1",
                                                                  "198.51.100.2"]
    by_line = {line.decode(): no for no, line in enumerate(lines, 1)}
    assert [by_line[e.raw] for e in out] == [2, 4]  # each event's raw line is its object


def test_outcome_and_status():
    now = datetime(2026, 11, 1, 8, tzinfo=UTC)
    failed = rules.outcome({"failures": 2}, now, "HTTP 503")
    assert failed["failures"] == 3 and failed["last_error"] == "HTTP 503"
    assert rules.outcome(failed, now, None)["failures"] == 0
    state = rules.dump_state({"kind": "taxii", "auth": {"type": "basic", "username": "u",
                                                          "password": "secret"}, **failed})
    shown = rules.status("https://u:p@peer.example/c/?k=1", 15, state, now)
    assert (shown.kind, shown.auth, shown.failures, shown.url) == (
        CollectorKind.TAXII, "basic", 3, "https://peer.example/c/?…")
    assert shown.last_attempt_at == now and "secret" not in shown.model_dump_json()
    assert rules.status(None, None, None, None) is None
    assert rules.load_state("not json") == {} and rules.load_state("[1]") == {}
