"""The dossier as files and downloads: `fenghuo dossier` writes the JSON and the PDF, and
GET /incidents/{ref}/dossier(.pdf) serves them, within the caller's scope."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

from typer.testing import CliRunner

from fenghuo.cli.main import app
from tests.cli import clean_env, fenghuo
from tests.integration.test_dossier import scenario


def test_the_cli_writes_the_dossier_as_json_and_pdf(rt, principal, clock, db_url, tmp_path):
    sc = scenario(rt, principal, clock)
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    pdf, record = tmp_path / "d.pdf", tmp_path / "d.json"
    r = fenghuo("dossier", sc.incident, "--as", "bj_duty", "--pdf", str(pdf), "--json",
                str(record), env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"wrote {record}" in r.stdout and f"wrote {pdf}" in r.stdout
    digest = hashlib.sha256(record.read_bytes()).hexdigest()
    assert digest in r.stdout
    doc = json.loads(record.read_text(encoding="utf-8"))
    assert doc["incident"]["ref"] == sc.incident and doc["responses"][0]["ref"] == sc.response
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):  # the PDF names the JSON it was made with
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert digest in text



def test_the_cli_needs_a_file_and_keeps_to_the_callers_scope(rt, principal, clock, db_url,
                                                             tmp_path):
    sc = scenario(rt, principal, clock)
    runner = CliRunner()  # in process: these answers come before any PDF is made
    env = {"FENGHUO_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1"}
    usage = runner.invoke(app, ["dossier", sc.incident, "--as", "bj_duty"], env=env)
    assert usage.exit_code == 2 and "--pdf" in usage.output
    hidden = runner.invoke(app, ["dossier", sc.incident, "--as", "sh_admin", "--json",
                                 str(tmp_path / "x")], env=env)
    assert hidden.exit_code == 1 and "no incident" in hidden.output
    assert not (tmp_path / "x").exists()


def test_the_api_serves_the_dossier_as_json_and_pdf(rt, principal, clock, client, headers):
    sc = scenario(rt, principal, clock)
    url = f"/api/v1/incidents/{sc.incident}/dossier"
    r = client.get(url, headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    assert r.json()["evidence"][0]["sha256"] == sc.sha256
    assert r.headers["x-dossier-sha256"] == hashlib.sha256(r.content).hexdigest()
    got = client.get(url + ".pdf", headers=headers("bj_duty"))
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.content.startswith(b"%PDF")
    assert got.headers["content-disposition"] == f'attachment; filename="dossier-{sc.incident}.pdf"'
    for path in (url, url + ".pdf"):
        assert client.get(path, headers=headers("sh_admin")).status_code == 404
        assert client.get(path).status_code == 401
