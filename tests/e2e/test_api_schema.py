"""Property-based API checks with schemathesis: generated requests, valid or not, never cause a
server error, and the OpenAPI schema says what the validators do (issue 18 item 2), run on the
embedded database with **every** schemathesis check: schema-valid requests pass request
validation (``positive_data_acceptance``), schema-invalid ones are refused
(``negative_data_rejection``), answers conform to the schema (status code, content type,
headers, body), authentication is not ignored, and a deleted resource stays deleted
(``use_after_free``, ``ensure_resource_availability``); a stateful test chains operations along
the links schemathesis infers (a created resource's id or key into the operations on it).

Every operation is exercised, each with a bounded number of generated examples so that the suite
stays quick and the same from run to run: ``FENGHUO_SCHEMATHESIS_EXAMPLES`` (default 3, drawn the
same way every run, on top of the coverage phase's boundary values) sets it; a deeper run,
drawn at random, e.g. before a release, is
``FENGHUO_SCHEMATHESIS_EXAMPLES=100 pytest tests/e2e/test_api_schema.py``."""

from __future__ import annotations

import os
import shutil
import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from fenghuo import bootstrap
from fenghuo.api.app import create_app
from fenghuo.common.clock import FakeClock
from fenghuo.config import Settings
from fenghuo.org import accounts
from fenghuo.org.schemas import TokenIn

#: the detail of a 422 from request validation (and the NUL guard): the request does not
#: conform to the schema; any other 422 is a use case's refusal after validation
REQUEST_INVALID = "the request is not valid; nothing was stored"


@pytest.fixture(scope="module")
def api(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("schemathesis") / "fenghuo.db"
    shutil.copyfile(sqlite_template, path)
    # schemathesis sends wrong Basic credentials to the TAXII routes again and again: the login
    # throttle (tested in test_login_throttle.py) would lock the address (429) and hide the 401
    rt = bootstrap.build(Settings(database_url=f"sqlite:///{path}",
                                  login_max_failures=1000,
                                  login_max_failures_per_address=100000), clock=FakeClock())
    me = accounts.principal_for(rt.uow, username="bj_admin")
    token = accounts.issue_token(rt.uow, rt.clock, principal=me, data=TokenIn(name="st")).token
    app = create_app(rt)
    app.state.test_token = token
    loaded = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    # No text may hold a NUL character (api.guard, said in the API's description): the rule is
    # the same for every string, so generated valid data leaves NUL out rather than the schema
    # repeating it on each string; NUL refusals are tested in test_api_hostile_input.py.
    loaded.config.generation.update(allow_x00=False)
    yield loaded
    rt.engine.dispose()


def auth(case) -> dict:  # noqa: ANN001
    return {"Authorization": f"Bearer {case.operation.schema.app.state.test_token}"}


def valid_data_passes_validation(ctx, response, case):  # noqa: ANN001, ANN201 - a check
    """``positive_data_acceptance``, except where the request passed validation and a domain
    rule then refused it (422 with a use case's detail, e.g. an unknown body key, a deadline
    in the past): schema-valid data need not name things that exist; what it may not be is
    refused by request validation, which would mean the schema and the validators disagree."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 422 and _detail(response) != REQUEST_INVALID:
            return None
        raise


def _detail(response) -> str | None:  # noqa: ANN001
    try:
        body = response.json()
    except ValueError:
        return None
    # problem+json's ``detail``; a TAXII error message's ``description`` (TAXII 2.1 §3.6.1)
    return body.get("detail", body.get("description")) if isinstance(body, dict) else None


schema = schemathesis.pytest.from_fixture("api")
#: 3 keeps the four shards at about 2 minutes of CPU together (5 took about 3): the coverage
#: phase's deterministic boundary and negative values make most of the requests anyway
EXAMPLES = int(os.environ.get("FENGHUO_SCHEMATHESIS_EXAMPLES", "3"))
#: the default run draws the same examples every time, so that CI never fails on a new random
#: draw it did not fail on before; a deeper run (the variable set) draws at random
DERANDOMIZE = "FENGHUO_SCHEMATHESIS_EXAMPLES" not in os.environ
CHECKS = {"excluded_checks": [positive_data_acceptance],
          "additional_checks": [valid_data_passes_validation]}


#: the operations are split into shards by a stable hash of method and path, one test each, so
#: that the suite's workers (pytest-xdist) share them: as one test they took two minutes
SHARDS = 4


def _in_shard(n: int):  # noqa: ANN202 - a schemathesis matcher
    def matches(ctx) -> bool:  # noqa: ANN001
        op = ctx.operation
        return zlib.crc32(f"{op.method.upper()} {op.path}".encode()) % SHARDS == n
    return matches


def _shard_test(n: int):  # noqa: ANN202 - a pytest test function
    # logging out and revoking tokens would end the session the other examples use
    @(schema.include(_in_shard(n)).exclude(path="/api/v1/auth/logout")
      .exclude(path_regex="/tokens").parametrize())
    @settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None,
              suppress_health_check=list(HealthCheck))
    def test(case) -> None:  # noqa: ANN001
        case.call_and_validate(headers=auth(case), **CHECKS)
    test.__name__ = f"test_api_conforms_to_its_schema_{n}"
    return test


test_api_conforms_to_its_schema_0 = _shard_test(0)
test_api_conforms_to_its_schema_1 = _shard_test(1)
test_api_conforms_to_its_schema_2 = _shard_test(2)
test_api_conforms_to_its_schema_3 = _shard_test(3)


def test_api_statefully(api) -> None:  # noqa: ANN001
    """Chains of calls along the inferred links (POST a body, then GET/PATCH it by its key…)
    with every check, bounded to stay under half a minute."""
    api = api.exclude(path="/api/v1/auth/logout").exclude(path_regex="/tokens")
    machine = api.as_state_machine()
    assert machine.bundles, "schemathesis inferred no links between the operations"

    class Workflow(machine):
        def get_call_kwargs(self, case) -> dict:  # noqa: ANN001
            return {"headers": auth(case)}

        def validate_response(self, response, case, additional_checks=None,  # noqa: ANN001
                              **kwargs) -> None:
            case.validate_response(response, headers=auth(case), transport_kwargs=kwargs,
                                   **CHECKS)

    Workflow.run(settings=settings(max_examples=int(os.environ.get(
        "FENGHUO_SCHEMATHESIS_STEPS", "15")), stateful_step_count=5, derandomize=DERANDOMIZE,
        deadline=None, suppress_health_check=list(HealthCheck)))
