"""ORM models of information notification and sharing (Plan §3.2; Law arts. 29, 39, 51):
incidents shared by the Emergency Office across regions and departments with their
acknowledgements, bulletins and their distribution, and objects imported from STIX or MISP."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
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
