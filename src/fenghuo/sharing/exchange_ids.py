"""Stable random ids for exchange formats (issue 20 items 1 and 3).

STIX 2.1 asks for UUIDv4 ids (``stix2-validator --strict`` refuses others), and a consumer
merges what it receives by id, so each object keeps one id across exports: the first export
draws a UUIDv4 and stores it in ``exchange_ids`` under ``(kind, local_key)``; every later export
reads it back. MISP attribute and event UUIDs are kept the same way.

``kind`` names the format and the object type, e.g. ``stix:incident`` or ``misp:attribute``;
``local_key`` is our own reference for the object within that kind (an incident ref, a body
key, ``<item ref>/<indicator kind>/<value>``).

Two exports that draw an id for the same object at once both insert with ``ON CONFLICT DO
NOTHING`` and then read the row that won, so they agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fenghuo.sharing.models import ExchangeId

_CHUNK = 400  # keys per IN (…): well under SQLite's bound-parameter limit


def uuids_for(s: Session, kind: str, keys: Iterable[str], *, now: datetime) -> dict[str, str]:
    """The stored UUID of each key of ``kind``, drawing and storing a UUIDv4 for new keys."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        found.update(_read(s, kind, chunk))
        missing = [key for key in chunk if key not in found]
        if missing:
            _insert(s, kind, missing, now)
            found.update(_read(s, kind, missing))
    return found


def uuid_for(s: Session, kind: str, key: str, *, now: datetime) -> str:
    """The stored UUID of one key of ``kind`` (drawn on first use)."""
    return uuids_for(s, kind, [key], now=now)[key]


def key_for(s: Session, kind: str, value: str) -> str | None:
    """Our reference for a UUID we handed out under ``kind`` (None when it is not ours): an
    import recognises objects this instance exported."""
    return s.scalar(select(ExchangeId.local_key).where(ExchangeId.kind == kind,
                                                       ExchangeId.uuid == value))


def _read(s: Session, kind: str, keys: list[str]) -> dict[str, str]:
    rows = s.execute(select(ExchangeId.local_key, ExchangeId.uuid).where(
        ExchangeId.kind == kind, ExchangeId.local_key.in_(keys)))
    return {key: value for key, value in rows}


def _insert(s: Session, kind: str, keys: list[str], now: datetime) -> None:
    rows = [{"kind": kind, "local_key": key, "uuid": str(uuid.uuid4()), "created_at": now}
            for key in keys]
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    s.execute(dialect.insert(ExchangeId).values(rows).on_conflict_do_nothing())
