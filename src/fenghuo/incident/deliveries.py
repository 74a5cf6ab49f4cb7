"""Reading notifications (the outbox rows of an incident or a warning) for one reader (issue 18
item 5): the address and error text in full only where the reader may manage the receiving
body's channels, masked elsewhere. The rule is :mod:`fenghuo.notify.masking`; this module loads
the facts it needs about the receiving bodies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.common.scope import Principal
from fenghuo.incident.schemas import DeliveryOut
from fenghuo.notify import masking
from fenghuo.org.models import Body, BodySector, Jurisdiction
from fenghuo.org.rules import BodyFacts, BodyKind

BATCH = 2_000  # ids per query (SQLite binds at most 32,766 parameters)


def managed_bodies(s: Session, reader: Principal | None, body_ids: Iterable[int | None]
                   ) -> frozenset[int]:
    """The bodies among ``body_ids`` whose channels ``reader`` may manage (and so read in full).
    No query at all for a reader without ``org:write`` — reporters, duty officers, analysts."""
    if reader is None or not masking.may_manage_channels(reader.roles):
        return frozenset()
    ids = sorted({i for i in body_ids if i is not None})
    facts: dict[int, tuple[str, str]] = {}
    sectors: dict[int, set[str]] = {}
    for i in range(0, len(ids), BATCH):
        chunk = ids[i:i + BATCH]
        for bid, kind, path in s.execute(
                select(Body.id, Body.kind, Jurisdiction.path)
                .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
                .where(Body.id.in_(chunk))):
            facts[bid] = (kind, path)
        for bid, code in s.execute(select(BodySector.body_id, BodySector.sector_code)
                                   .where(BodySector.body_id.in_(chunk))):
            sectors.setdefault(bid, set()).add(code)
    return frozenset(bid for bid, (kind, path) in facts.items() if masking.reader_manages(
        reader, BodyFacts(id=bid, kind=BodyKind(kind), jurisdiction_path=path,
                          sectors=frozenset(sectors.get(bid, ())))))


def delivery_out(*, id: int, body_id: int | None, body: str | None, channel: str, address: str,
                 state: str, attempts: int, last_error: str | None,
                 delivered_at: datetime | None, managed: frozenset[int],
                 incident: str | None = None, created_at: datetime | None = None
                 ) -> DeliveryOut:
    """One notification as its reader may see it (``managed``: from :func:`managed_bodies`)."""
    manager = body_id is not None and body_id in managed
    return DeliveryOut(
        id=id, incident=incident, created_at=created_at, body=body, channel=channel,
        address=masking.shown_address(channel, address, manager=manager),
        address_masked=not manager, state=state, attempts=attempts,
        last_error=masking.shown_error(last_error, channel, address, manager=manager),
        delivered_at=delivered_at)


def outbox_out(m, key: str | None, managed: frozenset[int], *,  # noqa: ANN001 - an OutboxMessage
               incident: str | None = None, with_created: bool = False) -> DeliveryOut:
    """:func:`delivery_out` of an outbox row."""
    return delivery_out(id=m.id, body_id=m.body_id, body=key, channel=m.channel,
                        address=m.address, state=m.state, attempts=m.attempts,
                        last_error=m.last_error, delivered_at=m.delivered_at, managed=managed,
                        incident=incident, created_at=m.created_at if with_created else None)
