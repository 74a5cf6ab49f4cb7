"""Import and export of the org tree: whole-file rejection with row and field, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from fenghuo import bootstrap
from fenghuo.audit.models import AuditEntry
from fenghuo.common.errors import ValidationFailed
from fenghuo.config import Settings
from fenghuo.org import interchange
from fenghuo.org.models import Body, Contact, InfoSystem, Jurisdiction

EXAMPLE = Path(__file__).parents[2] / "examples" / "jincheng.yaml"


def counts(rt):
    with rt.uow() as s:
        return tuple(s.scalar(select(func.count()).select_from(m))
                     for m in (Jurisdiction, Body, Contact, InfoSystem, AuditEntry))


def test_example_imports_as_a_city_tree(rt):
    doc = interchange.parse_yaml(EXAMPLE.read_text(), EXAMPLE.name)
    summary = interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    assert summary.created["jurisdictions"] == 3 and summary.created["bodies"] == 5
    with rt.uow() as s:
        city = s.scalar(select(Jurisdiction).where(Jurisdiction.code == "140500"))
        county = s.scalar(select(Jurisdiction).where(Jurisdiction.code == "140525"))
        assert city.level == "city" and county.path.startswith(city.path)
        water = s.scalar(select(Body).where(Body.key == "jc.zezhou-water"))
        assert water.cii and water.sector_codes == ["water"]
        systems = s.scalars(select(InfoSystem).where(InfoSystem.body_id == water.id)).all()
        assert {(x.key, x.important) for x in systems} == {("scada", True), ("website", False)}


BAD = """
jurisdictions:
  - {code: "140500", parent: "140000", level: city, name_zh: 晋城市, name_en: Jincheng}
  - {code: "140599", parent: "140000", level: county, name_zh: 错, name_en: Wrong level}
bodies:
  - {key: jc.office, kind: office, jurisdiction: "140500", name_zh: 办, name_en: Office}
  - {key: jc.op, kind: operator, jurisdiction: "140500", name_zh: 单位, name_en: Op,
     sectors: [nuclear-fusion]}
  - {key: jc.bad, kind: spaceship, jurisdiction: "140500", name_zh: x, name_en: x}
  - key: jc.ok
    kind: operator
    jurisdiction: "140500"
    name_zh: 好
    name_en: Fine
    sectors: [water]
    contacts:
      - {name: Duty, channel: email, value: not-an-email}
"""


def test_bad_file_is_rejected_whole_naming_rows_and_fields(rt):
    before = counts(rt)
    doc = interchange.parse_yaml(BAD, "bad.yaml")
    with pytest.raises(ValidationFailed) as exc:
        interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    found = {(e.source, e.row, e.field) for e in exc.value.errors}
    assert ("bodies", 3, "kind") in found  # parse error: unknown kind
    with pytest.raises(ValidationFailed) as exc:
        interchange.import_document(rt.uow, rt.clock, principal=None,
                                    doc=interchange.parse_yaml(BAD.replace("spaceship", "office"),
                                                               "bad.yaml"))
    found = {(e.source, e.row, e.field) for e in exc.value.errors}
    assert ("jurisdictions", 2, "level") in found
    assert ("bodies", 2, "sectors") in found
    assert ("bodies[4].contacts", 1, "value") in found
    assert counts(rt) == before  # nothing half-written, not even audit rows


def test_csv_errors_name_the_line(rt, tmp_path):
    text = ("key,kind,jurisdiction,name_zh,name_en,sectors\n"
            "ok-op,operator,110000,甲,A,finance\n"
            "bad-op,operator,999999,乙,B,finance\n")
    before = counts(rt)
    with pytest.raises(ValidationFailed) as exc:
        interchange.import_document(rt.uow, rt.clock, principal=None,
                                    doc=interchange.parse_csv("bodies.csv", text))
    assert [(e.source, e.row, e.field) for e in exc.value.errors] == [
        ("bodies.csv", 3, "jurisdiction")]
    assert counts(rt) == before


def test_unknown_columns_and_sections_are_refused():
    doc = interchange.parse_csv("bodies.csv", "key,kind,colour\nx,office,red\n")
    assert doc.errors and doc.errors[0].field == "colour"
    doc = interchange.parse_yaml("bodys: []\n")
    assert doc.errors and doc.errors[0].field == "bodys"
    doc = interchange.parse_yaml("bodies: [\n")
    assert doc.errors and "YAML" in doc.errors[0].message


def test_yaml_and_csv_round_trip(rt, empty_db_url, tmp_path, clock):
    interchange.import_document(rt.uow, rt.clock, principal=None,
                                doc=interchange.parse_yaml(EXAMPLE.read_text()))
    exported = interchange.export_tables(rt.uow, principal=None)
    other = bootstrap.build(Settings(database_url=empty_db_url), clock=clock)
    bootstrap.upgrade_and_seed(other)
    docs = [interchange.parse_csv(f"{t}.csv", interchange.to_csv(t, rows))
            for t, rows in exported.items()]
    interchange.import_document(other.uow, other.clock, principal=None,
                                doc=interchange.merge(docs))
    assert interchange.export_tables(other.uow, principal=None) == exported
    again = interchange.parse_yaml(interchange.to_yaml(exported))
    summary = interchange.import_document(other.uow, other.clock, principal=None, doc=again)
    assert sum(summary.created.values()) == 0
    other.engine.dispose()


def test_scoped_import_cannot_reach_outside(rt, principal):
    doc = interchange.parse_yaml(
        "bodies:\n  - {key: sh-new, kind: operator, jurisdiction: '310000', name_zh: 新, "
        "name_en: New, sectors: [finance]}\n")
    with pytest.raises(ValidationFailed) as exc:
        interchange.import_document(rt.uow, rt.clock, principal=principal("bj_admin"), doc=doc)
    assert exc.value.errors[0].field == "jurisdiction"
    doc = interchange.parse_yaml(
        "bodies:\n  - {key: sh-bank, kind: operator, jurisdiction: '110000', name_zh: 抢, "
        "name_en: Hijack, sectors: [finance]}\n")
    with pytest.raises(ValidationFailed) as exc:
        interchange.import_document(rt.uow, rt.clock, principal=principal("bj_admin"), doc=doc)
    assert exc.value.errors[0].field == "key"


def test_an_empty_file_is_rejected(rt):
    with pytest.raises(ValidationFailed) as exc:
        interchange.import_document(rt.uow, rt.clock, principal=None,
                                    doc=interchange.parse_yaml("{}", "empty.yaml"))
    assert exc.value.errors[0].field == "file"
