"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from fenghuo import __version__
from fenghuo.api import access_log, deadline, docs, guard, metrics, ops, problems
from fenghuo.api.routers import accountability as accountability_router
from fenghuo.api.routers import (
    audit,
    auth,
    dossier,
    incident_casework,
    incidents,
    monitoring_candidates,
    monitoring_collectors,
    monitoring_ingest,
    monitoring_statistics,
    org,
    responses,
    tips,
    users,
    warnings,
)
from fenghuo.api.routers import bulletins as bulletins_router
from fenghuo.api.routers import kpi as kpi_router
from fenghuo.api.routers import misp as misp_router
from fenghuo.api.routers import monitoring_notices as notices_router
from fenghuo.api.routers import preparedness as preparedness_router
from fenghuo.api.routers import protection as protection_router
from fenghuo.api.routers import sharing as sharing_router
from fenghuo.api.routers import stix as stix_router
from fenghuo.api.routers import supervision as supervision_router
from fenghuo.api.routers import support as support_router
from fenghuo.api.routers import taxii as taxii_router
from fenghuo.api.security_headers import SecurityHeaders
from fenghuo.bootstrap import Runtime
from fenghuo.web import assets, public, public_tips
from fenghuo.web import routes as web
from fenghuo.workers.group_commit import IntakeWriter

API_PREFIX = "/api/v1"


def attach(app: FastAPI, runtime: Runtime) -> None:
    """Give ``app`` its runtime, and the writer of its first reports: group commit (issue 21
    item 5), or none (one transaction per report)."""
    app.state.runtime = runtime
    app.state.intake = IntakeWriter(runtime) if runtime.settings.intake_group_commit else None


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Fenghuo 烽火",
        version=__version__,
        description="Network-security monitoring, early warning, notification and emergency "
        "response. Log in with **Authorize** (username and password); every answer is limited "
        "to your place in the organization tree (Cybersecurity Law art. 30). No text (a JSON "
        "string or member name, a query, form field, header or path) may contain a NUL "
        "character (\\x00): such a request is refused whole with 422. Booleans are JSON "
        "`true`/`false`, and `true`/`false` in a query string.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # fenghuo.api.docs: Swagger UI served from a package, not a CDN
        redoc_url=None,
    )
    attach(app, runtime)
    problems.install(app)
    for router in (auth.router, org.router, users.router, incidents.router,
                   incident_casework.router,  # issue 19: observables, tasks, notes
                   audit.router,
                   monitoring_ingest.router, monitoring_collectors.router,
                   monitoring_statistics.router,
                   monitoring_candidates.router,  # before warnings: /monitoring/{ref}
                   notices_router.router,  # before warnings: /monitoring/{ref}
                   warnings.router,
                   responses.router, dossier.router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(accountability_router.router, prefix=API_PREFIX)
    app.include_router(preparedness_router.router, prefix=API_PREFIX)
    app.include_router(protection_router.router, prefix=API_PREFIX)  # Plan §6.5
    app.include_router(support_router.router, prefix=API_PREFIX)
    app.include_router(supervision_router.router, prefix=API_PREFIX)
    app.include_router(bulletins_router.router, prefix=API_PREFIX)
    app.include_router(kpi_router.router, prefix=API_PREFIX)  # issue 19 item 10
    app.include_router(sharing_router.router, prefix=API_PREFIX)
    app.include_router(misp_router.router, prefix=API_PREFIX)
    app.include_router(stix_router.router, prefix=API_PREFIX)  # issue 20: bundles over HTTP
    app.include_router(tips.router, prefix=API_PREFIX)  # /public/tips, /tips
    app.include_router(taxii_router.router)  # /taxii2/: TAXII 2.1, its own media type
    assets.mount(app)  # /web/static: the pages' styles and scripts
    docs.install(app, app.openapi_url)  # /docs and /docs/assets (issue 19 item 9)
    app.include_router(web.router)
    app.include_router(public.router)  # /public/warnings…: no login
    app.include_router(public_tips.router)  # /public/tips…: no login
    ops.install(app)  # /healthz, /readyz, a database outage as 503 (issue 18 item 3)
    app.add_middleware(deadline.CancelWhenGone)  # a gone client's queries stop (issue 21)
    app.add_middleware(guard.RefuseNul)  # issue 18 item 2; inside Measure: refusals counted
    metrics.install(app)  # /metrics and request counts (issue 20 item 7)
    app.add_middleware(SecurityHeaders)  # issue 18 item 4
    app.add_middleware(access_log.AccessLog)  # outermost: every answer (issue 18 item 8)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(docs.PATH)

    return app

