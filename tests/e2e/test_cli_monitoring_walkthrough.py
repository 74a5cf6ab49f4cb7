"""Issue 15's "done when", as a new user runs it from the command line: a province registers
two units' prefixes and domains and its own address space (CLI import), CNCERT adds a feed,
``fenghuo ingest`` takes in the sample Suricata, Zeek, CSV, URL-feed and STIX files, and every
event lands with the right unit or province, the unattributed with the national queue
(Plan §3.2: CNCERT finds the owners of what it sees); a second run counts nothing twice.

The samples are dated 2026-11-30; the commands run at a fixed moment the day after (the CLI's
clock is the system clock, set here), so the events stay inside the retention window.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fenghuo.common.clock import SystemClock
from tests.cli import clean_env, fenghuo

SAMPLES = Path(__file__).parent.parent / "fixtures" / "monitoring"
MOMENT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
FILES = (("suricata-eve.json", "suricata"), ("zeek-notice.log", "zeek-notice"),
         ("zeek-intel.json", "zeek-intel"), ("sinkhole-events.csv", "sinkhole-csv"),
         ("scan-rdp.csv", "scan-csv"), ("urlhaus.csv", "url-feed"),
         ("phishing-domains.txt", "url-feed"), ("stix-bundle.json", "stix"))
REGISTER = """body,kind,value,role,verified_by
bj-bank,prefix,61.135.0.0/16,owner,bj_admin
bj-bank,domain,icbc-verify.com.cn,owner,bj_admin
bj-telco,prefix,222.186.0.0/16,owner,bj_admin
bj-telco,domain,jxkj-soft.com.cn,owner,bj_admin
110000.office,prefix,117.136.0.0/16,jurisdiction,bj_admin
"""


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(SystemClock, "now", lambda self: MOMENT)
    env = clean_env(FENGHUO_DATABASE_URL=db_url)

    def run(*args: str, code: int = 0):  # noqa: ANN202
        ran = fenghuo(*args, env=env, cwd=tmp_path)
        assert ran.returncode == code, ran.stdout + ran.stderr
        return ran

    return run


def _events(client, headers, who: str, **query: str) -> list[dict]:
    got = client.get("/api/v1/monitoring/events", params=query, headers=headers(who))
    assert got.status_code == 200, got.text
    return got.json()


def test_sample_files_land_with_their_owners(cli, client, headers, tmp_path):
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    assert "created 5" in cli("register", "import", str(register), "--as", "bj_admin").stdout
    cli("feed", "add", "--as", "nat_admin", "--code", "samples", "--body", "cn.cncert",
        "--format", "suricata", "--name-zh", "样本", "--name-en", "Samples")
    for name, fmt in FILES:
        ran = cli("ingest", str(SAMPLES / name), "--feed", "samples", "--format", fmt,
                  "--as", "nat_admin")
        assert " events (owner " in ran.stdout, ran.stdout

    # the owners: an address in a unit's prefix, a domain under a unit's domain
    for ip, body in (("61.135.20.17", "bj-bank"), ("222.186.33.4", "bj-telco")):
        found = _events(client, headers, "nat_admin", ip=ip)
        assert found and {e["body"] for e in found} == {body}, found
        assert {e["level"] for e in found} == {"owner"}
    for domain, body in (("icbc-verify.com.cn", "bj-bank"),
                         ("update.jxkj-soft.com.cn", "bj-telco")):
        found = _events(client, headers, "nat_admin", domain=domain)
        assert found and {e["body"] for e in found} == {body}, found
    # no owner, but Beijing's address space: the province's office
    beijing = [e for e in _events(client, headers, "nat_admin", ip="117.136.40.3")]
    assert beijing and {(e["body"], e["level"]) for e in beijing} == {
        ("110000.office", "jurisdiction")}, beijing
    # neither: the national queue
    documentation = _events(client, headers, "nat_admin", ip="198.51.100.23")
    assert documentation and {(e["body"], e["level"]) for e in documentation} == {
        (None, "national")}
    # scope (Law art. 30): the bank's reporter sees the bank's events, not the telco's
    assert _events(client, headers, "bj_reporter", ip="61.135.20.17")
    assert _events(client, headers, "bj_reporter", ip="222.186.33.4") == []


def test_a_second_run_counts_nothing_twice(cli, client, headers):
    cli("feed", "add", "--as", "nat_admin", "--code", "samples", "--body", "cn.cncert",
        "--format", "suricata", "--name-zh", "样本", "--name-en", "Samples")
    args = ("ingest", str(SAMPLES / "suricata-eve.json"), "--feed", "samples", "--as",
            "nat_admin")
    first = cli(*args).stdout
    assert "batches already taken in" not in first
    again = cli(*args).stdout
    assert "1 batches already taken in" in again
    assert again.split(":")[1].split("events")[0] == first.split(":")[1].split("events")[0]
    found = _events(client, headers, "nat_admin", ip="222.186.33.4")
    assert len(found) == len({(e["batch"], e["line_no"]) for e in found})


def test_an_unknown_format_and_a_missing_file_are_clear_errors(cli):
    cli("feed", "add", "--as", "nat_admin", "--code", "samples", "--body", "cn.cncert",
        "--format", "suricata", "--name-zh", "样本", "--name-en", "Samples")
    bad = cli("ingest", str(SAMPLES / "urlhaus.csv"), "--feed", "samples", "--format", "xml",
              "--as", "nat_admin", code=1)
    assert "unknown format 'xml'" in bad.stderr
    missing = cli("ingest", "/nonexistent/eve.json", "--feed", "samples", "--as", "nat_admin",
                  code=1)
    assert "eve.json" in missing.stderr


def test_a_bad_register_file_is_rejected_whole_naming_row_and_field(cli, tmp_path):
    bad = tmp_path / "nets.csv"
    bad.write_text("body,kind,value,role\nbj-bank,prefix,61.135.0.0/16,\n"
                   "bj-telco,prefix,61.136.0.1/16,owner\n", encoding="utf-8")
    ran = cli("register", "import", str(bad), "--as", "bj_admin", code=1)
    assert "nets.csv" in ran.stderr and "row 2" in ran.stderr and "value" in ran.stderr, \
        ran.stderr
    assert "61.135.0.0/16" not in cli("register", "list", "--as", "bj_admin").stdout
    yaml_file = tmp_path / "nets.yaml"
    yaml_file.write_text("entries: [unclosed", encoding="utf-8")
    assert "not valid yaml" in cli("register", "import", str(yaml_file), "--as", "bj_admin",
                                   code=1).stderr.lower()
