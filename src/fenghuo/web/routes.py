"""The server-rendered web pages under ``/web``, one router per console area, assembled here."""

from __future__ import annotations

from fastapi import APIRouter

from fenghuo.web import (
    admin,
    bell,
    bulletins,
    console,
    directory,
    incidents,
    kpi,
    login,
    monitoring_candidates,
    monitoring_feeds,
    monitoring_form,
    monitoring_incoming,
    monitoring_notices,
    monitoring_register,
    monitoring_statistics,
    preparedness,
    protection,
    responses,
    sharing,
    supervision,
    tips,
    warnings,
)

router = APIRouter(prefix="/web", include_in_schema=False)
router.include_router(login.router)  # /web/login, /web/logout
router.include_router(monitoring_statistics.router)  # /web/monitoring/statistics (first)
router.include_router(monitoring_register.router)  # /web/monitoring/register (before /{ref})
router.include_router(monitoring_feeds.router)  # /web/monitoring/feeds (before /{ref})
router.include_router(monitoring_candidates.router)  # /web/monitoring/candidates (before /{ref})
router.include_router(monitoring_notices.router)  # /web/monitoring/notices (before /{ref})
router.include_router(monitoring_incoming.router)  # /web/monitoring/incoming (before /{ref})
router.include_router(monitoring_form.router)  # /web/monitoring
router.include_router(console.router)  # /web/ dashboard, /web/lang
router.include_router(incidents.router)  # /web/incidents
router.include_router(sharing.router)  # /web/shares, /web/exports, incident shares
router.include_router(bulletins.router)  # /web/bulletins
router.include_router(kpi.router)  # /web/kpi, /web/kpi.csv, /web/kpi.json
router.include_router(tips.router)  # /web/tips
router.include_router(supervision.router)  # /web/supervision
router.include_router(warnings.router)  # /web/warnings
router.include_router(protection.router)  # /web/protection (Plan §6.5)
router.include_router(responses.router)  # /web/responses
router.include_router(directory.router)  # /web/directory
router.include_router(preparedness.router)  # /web/preparedness
router.include_router(admin.router)  # /web/admin/users, /web/admin/tokens
router.include_router(bell.router)  # /web/bell.json, /web/bell/seen, /web/inbox
