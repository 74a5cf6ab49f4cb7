"""Shared fixtures: a seeded test world on SQLite and on PostgreSQL.

Integration and e2e tests take ``rt`` (a Runtime) and run once per backend. Each test gets a
database in the template's state (a file copy on SQLite; on PostgreSQL a pooled copy of the
template, reset after each test, tests/pgpool.py), so tests never see each other's writes.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from fenghuo import bootstrap
from fenghuo.audit import service as audit
from fenghuo.common.clock import FakeClock
from fenghuo.config import Settings
from fenghuo.org import interchange
from fenghuo.org.accounts import principal_for, put_user
from fenghuo.org.schemas import UserIn
from tests import pgpool

#: argon2id at a low cost in the suite (hundreds of logins; 64 MiB each cost 0.1–0.4 s of CPU);
#: the hashes are still argon2id, verified the same way (tests/integration/test_accounts.py)
TEST_HASH_COSTS = {"FENGHUO_PASSWORD_HASH_MEMORY_KIB": "1024",
                   "FENGHUO_PASSWORD_HASH_TIME_COST": "1",
                   "FENGHUO_PASSWORD_HASH_PARALLELISM": "1"}
for _name, _value in TEST_HASH_COSTS.items():
    os.environ.setdefault(_name, _value)
# The commands' consoles (cli/common.py) read the width once, when first imported: whichever
# test imports them first (tests/unit/test_cli_registry.py loads every command) must not leave
# them at a narrow default for the commands that later tests run in the same worker.
os.environ["COLUMNS"] = "200"

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "correct-horse-battery"
PG_ADMIN_URL = os.environ.get(
    "FENGHUO_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

#: username → (body, roles). Beijing office staff hold every office role; others sit in their units.
USERS = {
    "bj_admin": ("110000.office", ["administrator"]),
    "bj_duty": ("110000.office", ["duty_officer"]),
    "bj_analyst": ("110000.office", ["analyst"]),
    "bj_ro": ("110000.office", ["read_only"]),
    "bj_reporter": ("bj-bank", ["operator_reporter"]),
    "bj_support": ("bj-support", ["support_member"]),
    "bj_fin": ("bj-finance-reg", ["administrator"]),
    "sh_admin": ("310000.office", ["administrator"]),
    "nat_admin": ("cn.emergency-office", ["administrator"]),
    "cncert_duty": ("cn.cncert", ["duty_officer"]),
    "bj_cert": ("110000.cncert", ["duty_officer"]),
}


def _pg_exec(sql: str) -> None:
    with psycopg.connect(pgpool.libpq(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(sql)


def _seed_world(rt: bootstrap.Runtime) -> None:
    bootstrap.upgrade_and_seed(rt)
    doc = interchange.parse_yaml((FIXTURES / "world.yaml").read_text(), "world.yaml")
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    with rt.uow() as s:
        for username, (body, roles) in USERS.items():
            put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
                username=username, display_name=username, body=body, roles=roles,
                password=PASSWORD))
    audit.chain_pending(rt.uow)  # the template's trail is chained, as a worker would leave it


def _runtime(url: str, clock: FakeClock) -> bootstrap.Runtime:
    return bootstrap.build(Settings(database_url=url), clock=clock)


@pytest.fixture(scope="session")
def pg_available() -> None:
    try:
        _pg_exec("SELECT 1")
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is required for the test suite and is not reachable at {PG_ADMIN_URL}: "
            f"{exc}. Start it with: pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start"
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    rt = _runtime(f"sqlite:///{path}", FakeClock())
    _seed_world(rt)
    rt.engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template(pg_available: None) -> Iterator[str]:
    name = f"fenghuo_tpl_{uuid.uuid4().hex[:10]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    url = str(make_url(PG_ADMIN_URL).set(database=name))
    rt = _runtime(url, FakeClock())
    _seed_world(rt)
    rt.engine.dispose()
    pgpool.install_reset(url)
    yield name
    _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_pool(pg_template: str) -> Iterator[pgpool.Pool]:
    """This worker's reusable copies of the template (tests/pgpool.py)."""
    pool = pgpool.Pool(PG_ADMIN_URL, pg_template)
    yield pool
    pool.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _fresh_copy(backend: str, request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    """URL of a database in the seeded test world's state on ``backend``: a new file on SQLite,
    a pooled copy on PostgreSQL (reset to the template's state after the test)."""
    if backend == "sqlite":
        target = directory / f"fenghuo-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    with request.getfixturevalue("pg_pool").database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh copy of the seeded test world on each backend."""
    yield from _fresh_copy(request.param, request, tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Like ``db_url``, but one copy shared by the tests of a module: for tests that only read
    what a module-scoped fixture wrote (a live server over one world, say)."""
    yield from _fresh_copy(request.param, request, tmp_path_factory.mktemp("module-db"))


@pytest.fixture(scope="module")
def module_rt(module_db_url: str) -> Iterator[bootstrap.Runtime]:
    """A runtime over ``module_db_url`` with its own fake clock (``module_rt.clock``)."""
    runtime = _runtime(module_db_url, FakeClock())
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path, db_url: str) -> Iterator[str]:
    """URL of an empty database (no schema) on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("pg_available")
    name = f"fenghuo_e_{uuid.uuid4().hex[:12]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    yield str(make_url(PG_ADMIN_URL).set(database=name))
    _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def rt(db_url: str, clock: FakeClock) -> Iterator[bootstrap.Runtime]:
    runtime = _runtime(db_url, clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def principal(rt: bootstrap.Runtime):
    """``principal("bj_admin")``: the caller as that test user, for service-level tests."""
    return lambda username: principal_for(rt.uow, username=username)
