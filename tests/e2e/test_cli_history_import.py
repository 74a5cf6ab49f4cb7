"""History with its own dates (issue 18 item 9) from the command line and over HTTP, on both
databases: `fenghuo incidents import` all or nothing and once, `POST /incidents/import` scoped
to the office's jurisdiction (Law art. 30), `fenghuo response end --as-of`."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from fenghuo.incident.models import Incident
from fenghuo.response import service as responses
from fenghuo.response.models import Investigation, Response
from fenghuo.response.schemas import ActivateIn
from tests.cli import clean_env, fenghuo
from tests.integration.test_responses import incident

HISTORY = Path(__file__).parent.parent / "fixtures" / "history"


def imported(rt) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(Incident).where(
            Incident.imported_at.is_not(None)))


def test_import_from_the_command_line(rt, db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    f = tmp_path / "fir.csv"
    shutil.copy(HISTORY / "fir_incidents.csv", f)
    r = fenghuo("incidents", "import", str(f), "--format", "fir-csv", "--as", "bj_admin",
                env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "imported 已导入 20 of 20" in r.stdout and imported(rt) == 20
    again = fenghuo("incidents", "import", str(f), "--format", "fir-csv", "--as", "bj_admin",
                    env=env, cwd=tmp_path)
    assert again.returncode == 0 and "skipped 已跳过 20" in again.stdout and imported(rt) == 20
    bad = tmp_path / "cases.json"
    cases = json.loads((HISTORY / "thehive_cases.json").read_text(encoding="utf-8"))
    cases[6]["severity"] = 9
    bad.write_text(json.dumps(cases), encoding="utf-8")
    r = fenghuo("incidents", "import", str(bad), "--format", "thehive-json", "--as", "bj_admin",
                env=env, cwd=tmp_path)
    assert r.returncode == 1 and "row 7: severity" in r.stderr and imported(rt) == 20
    r = fenghuo("incidents", "import", str(f), "--format", "fir-csv", "--as", "bj_reporter",
                env=env, cwd=tmp_path)
    assert r.returncode == 1


def test_import_over_http_is_scoped(client, headers, rt):
    cases = json.loads((HISTORY / "thehive_cases.json").read_text(encoding="utf-8"))
    url = "/api/v1/incidents/import?format=thehive-json"
    r = client.post(url, json=cases, headers=headers("sh_admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customFields.unit"
    assert client.post(url, json=cases, headers=headers("bj_reporter")).status_code == 403
    assert imported(rt) == 0
    r = client.post(url, json=cases, headers=headers("bj_admin"))
    assert r.status_code == 201, r.text
    assert (r.json()["imported"], r.json()["source"]) == (20, "thehive")
    one = client.get(f"/api/v1/incidents/{r.json()['refs'][0]}", headers=headers("bj_admin"))
    assert one.json()["reported_at"].startswith("2025-03-01T03:00:00")


def test_a_response_end_entered_with_as_of(rt, principal, clock, db_url, tmp_path):
    inc = incident(rt, principal, clock, "serious")
    r = responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="II"))
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    refused = fenghuo("response", "end", r.ref, "--reason", "contained", "--as", "bj_duty",
                      "--as-of", future, env=env, cwd=tmp_path)
    assert refused.returncode == 1 and "as_of" in refused.stderr
    as_of = clock.now() + timedelta(days=3)
    ended = fenghuo("response", "end", r.ref, "--reason", "contained", "--as", "bj_duty",
                    "--as-of", as_of.isoformat(), env=env, cwd=tmp_path)
    assert ended.returncode == 0, ended.stderr
    with rt.uow() as s:
        row = s.scalar(select(Response).where(Response.ref == r.ref))
        inv = s.scalar(select(Investigation).where(Investigation.response_id == row.id))
        assert row.ended_at == as_of and row.end_entered_by == "bj_duty"
        assert row.end_entered_at > as_of  # entered later, by the real clock
        assert inv.due_at == as_of + timedelta(days=30)  # Plan §5 ¶2
