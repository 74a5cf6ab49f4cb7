"""ORM models of information notification and sharing (Plan §3.2; Law arts. 29, 39, 51):
incidents shared by the Emergency Office across regions and departments with their
acknowledgements, bulletins and their distribution, and objects imported from STIX or MISP."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")


class IncidentShare(Base):
    """An incident the Emergency Office shared with a province or department (Plan §3.2 …
    组织跨省（区、市）、跨部门通报), and its acknowledgement."""

    __tablename__ = "incident_shares"
    __table_args__ = (UniqueConstraint("incident_id", "body_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    shared_by_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    shared_by: Mapped[str] = mapped_column(String(120))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))


class Bulletin(Base):
    """A weekly 《网络安全信息与动态周报》 or monthly 《网络安全月报》 for a period and the scope of
    the body that issues it (Support rights 2; Plan §3.2)."""

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("kind", "period", "issuer_body_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # weekly, monthly
    period: Mapped[str] = mapped_column(String(10))  # 2026-W47, 2026-11
    issuer_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    tlp: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    data: Mapped[str] = mapped_column(Text)  # JSON: the figures and items the bulletin shows
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    generated_by: Mapped[str] = mapped_column(String(120))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BulletinDelivery(Base):
    """A bulletin sent to a body (support units receive them by right, Support rights 2)."""

    __tablename__ = "bulletin_deliveries"
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"),
                                             primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))  # support_unit_right, recipient_list
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ImportedObject(Base):
    """An object imported from a STIX bundle or a MISP event, so a second import of the same
    object does not create it twice."""

    __tablename__ = "imported_objects"
    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    source: Mapped[str] = mapped_column(String(10))  # stix, misp
    external_id: Mapped[str] = mapped_column(String(200))
    monitoring_item_id: Mapped[int] = mapped_column(ForeignKey("monitoring_items.id"),
                                                    index=True)
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExchangeId(Base):
    """A UUIDv4 given once to one of our objects for one exchange format and kept for good, so
    the same incident, body or indicator has the same STIX id or MISP UUID in every export
    (issue 20: ids stable per object across exports, and random, as ``stix2-validator --strict``
    asks of STIX 2.1 ids). ``kind`` names the format and the object type (``stix:incident``,
    ``misp:attribute``); ``local_key`` our reference for the object within that kind."""

    __tablename__ = "exchange_ids"
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    local_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntelObject(Base):
    """Context read from a STIX bundle or a MISP event and kept as received (issue 20 item 2):
    malware, threat actors, attack patterns, reports, relationships, sightings, observed data,
    locations, identities, MISP objects and galaxies; held for the body that imported it and
    linked to the monitoring information it came with. Relationships and sightings keep their
    two ends in ``source_ref`` / ``target_ref``."""

    __tablename__ = "intel_objects"
    __table_args__ = (UniqueConstraint("body_id", "stix_id"),
                      Index("ix_intel_objects_type", "body_id", "type"),
                      Index("ix_intel_objects_source", "body_id", "source_ref"),
                      Index("ix_intel_objects_target", "body_id", "target_ref"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    origin: Mapped[str] = mapped_column(String(10))  # stix, misp
    stix_id: Mapped[str] = mapped_column(String(120))  # type--uuid (MISP: the UUID's STIX form)
    type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(500), default="")
    external_id: Mapped[str | None] = mapped_column(String(80))  # T1566, CVE-2026-1234 …
    relationship_type: Mapped[str | None] = mapped_column(String(60))
    source_ref: Mapped[str | None] = mapped_column(String(120))
    target_ref: Mapped[str | None] = mapped_column(String(120))
    monitoring_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitoring_items.id", ondelete="SET NULL"), index=True)
    tlp: Mapped[str] = mapped_column(String(20))
    data: Mapped[str] = mapped_column(Text)  # JSON: the object exactly as received
    modified: Mapped[datetime | None] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TaxiiStatus(Base):
    """The status resource of one envelope pushed into a writable TAXII 2.1 collection
    (TAXII 2.1 §4.3, §5.5: ``status`` complete or pending, counts, and per object the
    successes, failures with a message, and pendings)."""

    __tablename__ = "taxii_statuses"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collection: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))  # complete, pending
    request_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    total_count: Mapped[int] = mapped_column(Integer)
    success_count: Mapped[int] = mapped_column(Integer)
    failure_count: Mapped[int] = mapped_column(Integer)
    pending_count: Mapped[int] = mapped_column(Integer)
    details: Mapped[str] = mapped_column(Text)  # JSON: successes, failures, pendings
