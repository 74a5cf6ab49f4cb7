"""ORM models of the organization tree, users and tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from fenghuo.db.base import Base, UTCDateTime


class Sector(Base):
    """Key sectors of Law art. 31 (and any a deployment adds)."""

    __tablename__ = "sectors"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))


class Jurisdiction(Base):
    __tablename__ = "jurisdictions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    division_code: Mapped[str | None] = mapped_column(String(6))
    level: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    path: Mapped[str] = mapped_column(String(400), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    parent: Mapped[Jurisdiction | None] = relationship(remote_side=[id])


class BodySector(Base):
    """Sectors a department regulates, or the sector an operator unit belongs to."""

    __tablename__ = "body_sectors"
    body_id: Mapped[int] = mapped_column(
        ForeignKey("bodies.id", ondelete="CASCADE"), primary_key=True
    )
    sector_code: Mapped[str] = mapped_column(ForeignKey("sectors.code"), primary_key=True)


class Body(Base):
    """Any organization in the tree: groups, offices, departments, operators, support units…"""

    __tablename__ = "bodies"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    parent_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    name_zh: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    cii: Mapped[bool] = mapped_column(Boolean, default=False)
    #: a special function some routing rules look for, e.g. "public_security" (see org.rules)
    function: Mapped[str | None] = mapped_column(String(40), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    jurisdiction: Mapped[Jurisdiction] = relationship(lazy="joined")
    parent_body: Mapped[Body | None] = relationship(remote_side=[id])
    sector_links: Mapped[list[BodySector]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def sector_codes(self) -> list[str]:
        return sorted(link.sector_code for link in self.sector_links)


class Contact(Base):
    """A channel to reach a body, 7×24 or not (Support obligation 3, Plan §2.2)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("body_id", "channel", "value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(500))
    is_24x7: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    #: HMAC key for signed webhooks and robot signing; kept usable (not hashed), never returned
    secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InfoSystem(Base):
    """A network or information system in an operator's register (Plan annex 2)."""

    __tablename__ = "systems"
    __table_args__ = (UniqueConstraint("body_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    important: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Expert(Base):
    """A member of an expert group or expert pool (Plan §7.3)."""

    __tablename__ = "experts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    specialties: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: when the user last opened the console's notice bell (issue 19 item 7)
    notices_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    body: Mapped[Body] = relationship(lazy="joined")
    role_links: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> list[str]:
        return sorted(link.role for link in self.role_links)


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256: login sessions and machine tokens alike."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_active", "user_id", "revoked_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "session" or "api"
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OrgVersion(Base):
    """One row whose token changes with every change to the organization tables, so that
    in-process snapshots of the tree (org.directory) know when to reload."""

    __tablename__ = "org_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))


ORG_VERSION_ID = 1
_ORG_MODELS = (Body, BodySector, Contact, InfoSystem, Jurisdiction, Sector)


@event.listens_for(Session, "before_flush")
def _new_org_version(session: Session, _ctx, _instances) -> None:  # noqa: ANN001
    """Any flush that adds, changes or deletes an organization row gives the tree a new
    version token, in the same transaction."""
    if any(isinstance(o, _ORG_MODELS) for o in (*session.new, *session.dirty, *session.deleted)):
        session.connection().execute(update(OrgVersion).where(OrgVersion.id == ORG_VERSION_ID)
                                     .values(token=uuid.uuid4().hex))


class AuthVersion(Base):
    """One row whose token changes with every change to what a bearer token resolves to (the
    token, its user, the user's roles, body and the body's jurisdiction and sectors), so that
    the in-process cache of authenticated principals (org.accounts) knows when to reload."""

    __tablename__ = "auth_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))


AUTH_VERSION_ID = 1
#: rows any change of which may change a principal
_PRINCIPAL_MODELS = (Body, BodySector, Jurisdiction, UserRole)
#: columns that are no part of a principal: changing only these keeps the cache valid (the
#: coarse last-use stamps, the notice bell, the display name and the password, whose change
#: revokes the sessions, which does bump)
_NOT_PRINCIPAL = {User: frozenset({"last_login_at", "notices_seen_at", "display_name",
                                   "password_hash"}),
                  ApiToken: frozenset({"last_used_at"})}


def bump_auth_version(conn: Connection) -> None:
    """Give the principals a new version token; for Core statements that change a user, a
    role or a token (ORM flushes do it themselves, below)."""
    conn.execute(update(AuthVersion).where(AuthVersion.id == AUTH_VERSION_ID)
                 .values(token=uuid.uuid4().hex))


@event.listens_for(Session, "before_flush")
def _new_auth_version(session: Session, _ctx, _instances) -> None:  # noqa: ANN001
    """A flush that may change what some bearer token resolves to gives the principals a new
    version token, in the same transaction. New tokens and users do not: no cached principal
    comes from them (unknown tokens are not cached)."""
    if (any(isinstance(o, (*_PRINCIPAL_MODELS, User, ApiToken)) for o in session.deleted)
            or any(isinstance(o, _PRINCIPAL_MODELS) for o in session.new)
            or any(_changes_principal(o) for o in session.dirty)):
        bump_auth_version(session.connection())


def _changes_principal(obj: object) -> bool:
    if isinstance(obj, _PRINCIPAL_MODELS):
        return True
    harmless = _NOT_PRINCIPAL.get(type(obj))
    if harmless is None:
        return False
    return any(a.history.has_changes() for a in inspect(obj).attrs if a.key not in harmless)


class LoginThrottle(Base):
    """One counter of the login throttle (org.throttle, issue 18 item 1): failed logins of an
    account or from an address within a window, or a lockout until ``expires_at``. Rows are
    keyed by the ``limits`` library's key (the account as a digest, never its name in clear) and
    are pruned once expired; several server processes share them through the database."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
