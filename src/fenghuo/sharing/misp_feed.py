"""The events a caller may export, as a MISP feed (issue 20 item 3): ``manifest.json``,
``hashes.csv`` and one ``<uuid>.json`` per event, made by PyMISP as its own feed generator makes
them (``pymisp.tools.feed.feed_meta_generator``: ``MISPEvent.manifest`` merged into one map,
``<md5 of a value>,<event uuid>`` lines from ``MISPEvent.attributes_hashes("md5")``, and each
event file ``MISPEvent.to_feed()``). A MISP instance adds the feed (Sync actions → Feeds, input
source network, the URL of ``…/misp/feed``) and pulls it; the feed carries galaxies as their
cluster tags, as MISP feeds do (``to_feed`` writes no ``Galaxy``).

The same scope (Law art. 30) and TLP 2.0 checks as the export apply: the feed of a caller is
what ``sharing.misp.export_events`` gives that caller, incidents and/or monitoring items as its
roles allow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymisp import MISPEvent

from fenghuo.common.errors import Forbidden, NotFound
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org import rules
from fenghuo.org.rules import Permission
from fenghuo.sharing import misp


def _kind(principal: Principal) -> str:
    incidents = rules.has_permission(principal.roles, Permission.INCIDENT_READ)
    items = rules.has_permission(principal.roles, Permission.MONITORING_READ)
    if incidents and items:
        return "all"
    if incidents or items:
        return "incident" if incidents else "monitoring"
    raise Forbidden("your roles read neither incidents nor monitoring information")


def events(uow: UnitOfWork, *, principal: Principal, timezone: str,
           now: datetime | None = None) -> list[MISPEvent]:
    """The caller's exportable events (the newest :data:`misp.MAX_EVENTS` of each kind)."""
    return misp.export_events(uow, principal=principal, kind=_kind(principal),
                              timezone=timezone, now=now).misp


def manifest(found: list[MISPEvent]) -> dict[str, Any]:
    """``{event uuid: {info, date, analysis, threat_level_id, timestamp, Orgc, Tag}}``."""
    out: dict[str, Any] = {}
    for event in found:
        out.update(event.manifest)
    return out


def hashes(found: list[MISPEvent]) -> str:
    """``hashes.csv``: one ``<md5 of an attribute value>,<event uuid>`` line per value."""
    return "".join(f"{h},{e.uuid}\n" for e in found for h in e.attributes_hashes("md5"))


def event(uow: UnitOfWork, *, principal: Principal, timezone: str, event_uuid: str,
          now: datetime | None = None) -> dict[str, Any]:
    """One event file, ``{"Event": {...}}`` (``MISPEvent.to_feed``), built alone; a uuid not in
    the caller's feed (out of scope, withheld by TLP, unknown) is a 404."""
    ref = misp.ref_of_event(uow, principal=principal, event=event_uuid)
    found = [] if ref is None else misp.export_events(
        uow, principal=principal, kind=_kind(principal), refs=[ref], timezone=timezone,
        now=now).misp
    for e in found:
        if str(e.uuid) == event_uuid.lower():
            return e.to_feed()
    raise NotFound(f"no MISP event {event_uuid!r} in your feed")
