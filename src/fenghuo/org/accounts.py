"""Users, roles, login sessions and API tokens.

Passwords are stored as argon2id hashes; bearer tokens (login sessions and machine tokens) are
random 256-bit strings stored only as their SHA-256, and can be revoked.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, bindparam, func, literal, select, union_all, update
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock, SystemClock
from fenghuo.common.errors import (
    DomainError,
    FieldError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org import passwords, rules, scoping, throttle
from fenghuo.org.models import (
    AUTH_VERSION_ID,
    ApiToken,
    AuthVersion,
    Body,
    BodySector,
    Jurisdiction,
    User,
    UserRole,
)
from fenghuo.org.rules import Permission, Role
from fenghuo.org.schemas import (
    LoginResult,
    Me,
    TokenIn,
    TokenIssued,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from fenghuo.org.service import body_out, facts, require, visible_body

#: argon2id with argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes), unless the settings
#: choose other costs (``password_hash_*``; ``Session.info`` key :data:`HASHER_KEY`)
HASHER = PasswordHasher()
HASHER_KEY = "fenghuo.password_hasher"
TOKEN_PREFIX = "fh_"


@functools.cache
def hasher_for(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHasher:
    """The argon2id hasher with these costs (one per combination)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def _hasher(s: Session) -> PasswordHasher:
    return s.info.get(HASHER_KEY) or HASHER


# A hash to verify against when the user does not exist, so timing does not reveal usernames.
@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_password(username: str | None = None) -> str:
    """A random password (20 characters, 120 bits) that the password policy accepts."""
    while True:
        password = secrets.token_urlsafe(15)
        if not passwords.field_errors(password, username=username):
            return password


def principal_of(user: User, token_id: int | None = None) -> Principal:
    return Principal(user_id=user.id, username=user.username, body_id=user.body_id,
                     roles=frozenset(user.roles), scope=rules.scope_for(facts(user.body)),
                     token_id=token_id)


def user_out(u: User) -> UserOut:
    return UserOut(id=u.id, username=u.username, display_name=u.display_name, body=u.body.key,
                   body_name_zh=u.body.name_zh, body_name_en=u.body.name_en,
                   roles=[Role(r) for r in u.roles], active=u.active, created_at=u.created_at,
                   last_login_at=u.last_login_at)


def token_out(t: ApiToken) -> TokenOut:
    return TokenOut(id=t.id, name=t.name, kind=t.kind, prefix=t.prefix, created_at=t.created_at,
                    expires_at=t.expires_at, revoked_at=t.revoked_at, last_used_at=t.last_used_at)


# --- authentication ---------------------------------------------------------------------------


def login(uow: UnitOfWork, clock: Clock, *, username: str, password: str,
          session_hours: int, address: str | None = None, via: str = "api") -> LoginResult:
    """Check a password and open a login session (a short-lived bearer token).

    Throttled (``org.throttle``): a locked account or address is refused with
    :class:`~fenghuo.org.throttle.LoginLocked` (429) before any hash is computed; every failure
    is counted and audited (``user.login_failed``, ``user.login_locked``) in a transaction that
    commits although the login is refused."""
    now = clock.now()
    with uow() as s:
        user_or_error = _check_login(s, now, username=username, password=password,
                                     address=address, via=via)
        if isinstance(user_or_error, User):
            user = user_or_error
            hasher = _hasher(s)
            if hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hasher.hash(password)
            user.last_login_at = now
            token = new_token()
            s.add(ApiToken(user_id=user.id, kind="session", name="login",
                           token_hash=hash_token(token), prefix=token[:10], created_at=now,
                           expires_at=now + timedelta(hours=session_hours)))
            audit.record(s, at=now, actor=audit.Actor(user.username, user.id),
                         action="user.login", entity_type="user", entity_key=user.username,
                         scope_path=user.body.jurisdiction.path,
                         detail={"address": address, "via": via} if address else None)
            return LoginResult(access_token=token,
                               expires_at=now + timedelta(hours=session_hours))
    raise user_or_error


def _check_login(s: Session, now: datetime, *, username: str, password: str,
                 address: str | None, via: str) -> User | DomainError:
    """The user whose password this is, or the error to raise once the transaction (holding
    the failure's count and audit row) commits. The throttle is asked first: a locked attempt
    costs no hash. Unknown users, disabled users and wrong passwords get the same answer."""
    who = throttle.Subjects.of(username, address)
    limiter = throttle.Throttle(s, now)
    user = s.scalar(select(User).where(User.username == username))
    locked, retry_after = limiter.locked(who)
    if locked:
        _audit_failure(s, now, user, "user.login_locked", {
            "address": address, "via": via, "reason": "locked", "locked": locked,
            "retry_after": retry_after})
        return throttle.LoginLocked(retry_after)
    if _password_ok(_hasher(s), user, password):
        limiter.succeeded(who)
        return user
    reason = ("unknown_user" if user is None else "disabled" if not user.active
              else "no_password" if not user.password_hash else "wrong_password")
    locked_now = limiter.failed(who)
    detail: dict = {"address": address, "via": via, "reason": reason}
    if locked_now:
        detail["locks"] = locked_now
    _audit_failure(s, now, user, "user.login_failed", detail)
    return Unauthorized("wrong username or password")


def _audit_failure(s: Session, now: datetime, user: User | None, action: str,
                   detail: dict) -> None:
    """A failed or locked attempt in the audit trail: the account when it exists, else
    "anonymous" (a name typed for no account, perhaps a password typed in the wrong field, is
    not kept); never the password."""
    if user is not None:
        actor, key, path = audit.Actor(user.username, user.id), user.username, \
            user.body.jurisdiction.path
    else:
        actor, key = audit.Actor("anonymous"), "anonymous"
        path = s.scalar(select(Jurisdiction.path).where(Jurisdiction.parent_id.is_(None))
                        .order_by(Jurisdiction.id).limit(1)) or ""
    audit.record(s, at=now, actor=actor, action=action, entity_type="user", entity_key=key,
                 scope_path=path, detail=detail)


def _password_ok(hasher: PasswordHasher, user: User | None, password: str) -> bool:
    try:
        if user is None or not user.active or not user.password_hash:
            hasher.verify(_dummy_hash(hasher), password + "x")
            return False
        return hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def principal_by_password(uow: UnitOfWork, clock: Clock | None = None, *, username: str,
                          password: str, address: str | None = None,
                          via: str = "basic") -> Principal:
    """The caller named by a username and password (HTTP Basic, e.g. TAXII clients); the same
    check as login, throttled and audited the same way, no session created. Wrong or unknown
    credentials are ``Unauthorized``; a locked account or address is ``LoginLocked`` (429)."""
    now = (clock or SystemClock()).now()
    with uow() as s:
        user_or_error = _check_login(s, now, username=username, password=password,
                                     address=address, via=via)
        if isinstance(user_or_error, User):
            return principal_of(user_or_error)
    raise user_or_error


_AUTH_VERSION = select(AuthVersion.token).where(AuthVersion.id == AUTH_VERSION_ID)
_TOKEN = (select(ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at,
                 User.id.label("user_id"), User.username, User.active, User.body_id, Body.kind,
                 Jurisdiction.path, _AUTH_VERSION.scalar_subquery().label("version"))
          .join(User, User.id == ApiToken.user_id).join(Body, Body.id == User.body_id)
          .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
          .where(ApiToken.token_hash == bindparam("token_hash")))
_GRANTS = union_all(
    select(literal("role").label("what"), UserRole.role.label("value"))
    .where(UserRole.user_id == bindparam("user_id")),
    select(literal("sector").label("what"), BodySector.sector_code.label("value"))
    .where(BodySector.body_id == bindparam("body_id")))
_TOUCH = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(
    last_used_at=bindparam("now"))
#: how stale a token's ``last_used_at`` may get: coarse, so that reads do not write every time
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class CachedPrincipal:
    """What a valid token resolved to, under the ``auth_version`` token ``version``."""

    version: str | None
    principal: Principal
    expires_at: datetime | None
    last_used_at: datetime | None


class PrincipalCache:
    """Token hash → :class:`CachedPrincipal`, the most recently used ``size`` of them; shared
    by the threads of a process. Each entry is good while the database's ``auth_version`` token
    is the entry's: every change to a token, user, role or body gives it a new one (a
    ``before_flush`` hook in org.models), in whichever process it is made."""

    def __init__(self, engine: Engine, size: int = 10_000) -> None:
        #: where the version is read: on PostgreSQL in autocommit (no BEGIN, no COMMIT)
        self.reader = (engine.execution_options(isolation_level="AUTOCOMMIT")
                       if engine.dialect.name == "postgresql" else engine)
        self.size = size
        self._entries: OrderedDict[str, CachedPrincipal] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedPrincipal | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CachedPrincipal) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


_CACHE_ATTR = "_fenghuo_principal_cache"


def principal_cache(uow: UnitOfWork) -> PrincipalCache:
    """The cache of this unit of work (one per engine, so one per database)."""
    cache = uow.__dict__.get(_CACHE_ATTR)
    if cache is None:
        cache = uow.__dict__.setdefault(_CACHE_ATTR, PrincipalCache(uow.engine))
    return cache


def authenticate(uow: UnitOfWork, clock: Clock, *, token: str) -> Principal:
    """Resolve a bearer token to the caller; expired, revoked or unknown tokens are refused.
    Every request pays for this, so a token seen before costs one read of the one-row
    ``auth_version`` (and a write every few minutes); the first time, or after any change to
    tokens, users, roles or bodies, the token is looked up (two small reads)."""
    cache = principal_cache(uow)
    return _authenticate(uow, clock.now(), cache, token, lambda: _auth_version(cache))


def authenticate_many(uow: UnitOfWork, clock: Clock,
                      tokens: Sequence[str]) -> list[Principal | DomainError]:
    """:func:`authenticate` for the requests of one intake batch (issue 21 item 5): the
    ``auth_version`` is read once for all of them, at most once; each answer is the caller or
    the error its token is refused with."""
    cache, now, read = principal_cache(uow), clock.now(), []

    def version() -> str | None:
        if not read:
            read.append(_auth_version(cache))
        return read[0]

    answers: list[Principal | DomainError] = []
    for token in tokens:
        try:
            answers.append(_authenticate(uow, now, cache, token, version))
        except DomainError as exc:
            answers.append(exc)
    return answers


def _authenticate(uow: UnitOfWork, now: datetime, cache: PrincipalCache, token: str,
                  version: Callable[[], str | None]) -> Principal:
    key = hash_token(token)
    entry = cache.get(key)
    if entry is None or entry.version != version():
        if entry is not None:
            cache.drop(key)
        entry = _resolve(uow, now, key)
        if entry.version is not None:
            cache.put(key, entry)
        return entry.principal
    if entry.expires_at and entry.expires_at <= now:
        cache.drop(key)
        raise Unauthorized("invalid, expired or revoked token")
    if _needs_touch(entry.last_used_at, now):
        with uow() as s:
            s.connection().execute(_TOUCH, {"token_id": entry.principal.token_id, "now": now})
        cache.put(key, replace(entry, last_used_at=now))
    return entry.principal


def _auth_version(cache: PrincipalCache) -> str | None:
    """The current ``auth_version`` token, in one round trip."""
    with cache.reader.connect() as conn:
        return conn.execute(_AUTH_VERSION).scalar()


def _needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at > TOUCH_EVERY


def _resolve(uow: UnitOfWork, now: datetime, token_hash: str) -> CachedPrincipal:
    """Look the token up (the version token comes in the same statement, so the entry is never
    newer than what it holds); refused tokens raise and are not cached."""
    with uow() as s:
        conn = s.connection()
        t = conn.execute(_TOKEN, {"token_hash": token_hash}).first()
        if t is None or t.revoked_at is not None or (t.expires_at and t.expires_at <= now):
            raise Unauthorized("invalid, expired or revoked token")
        if not t.active:
            raise Unauthorized("the token's user is disabled")
        grants = conn.execute(_GRANTS, {"user_id": t.user_id, "body_id": t.body_id}).all()
        last_used_at = t.last_used_at
        if _needs_touch(last_used_at, now):
            conn.execute(_TOUCH, {"token_id": t.id, "now": now})
            last_used_at = now
    roles = frozenset(v for what, v in grants if what == "role")
    body = rules.BodyFacts(id=t.body_id, kind=rules.BodyKind(t.kind), jurisdiction_path=t.path,
                           sectors=frozenset(v for what, v in grants if what == "sector"))
    principal = Principal(user_id=t.user_id, username=t.username, body_id=t.body_id,
                          roles=roles, scope=rules.scope_for(body), token_id=t.id)
    return CachedPrincipal(version=t.version, principal=principal, expires_at=t.expires_at,
                           last_used_at=last_used_at)


def logout(uow: UnitOfWork, clock: Clock, *, principal: Principal) -> None:
    if principal.token_id is None:
        return
    with uow() as s:
        t = s.get(ApiToken, principal.token_id)
        if t and t.revoked_at is None:
            t.revoked_at = clock.now()


def me(uow: UnitOfWork, *, principal: Principal) -> Me:
    with uow() as s:
        user = s.get(User, principal.user_id)
        scope = principal.scope
        return Me(username=user.username, display_name=user.display_name,
                  body=body_out(user.body), roles=[Role(r) for r in user.roles],
                  permissions=sorted(p.value for p in rules.permissions_of(principal.roles)),
                  scope={"jurisdiction": user.body.jurisdiction.code,
                         "sectors": sorted(scope.sectors) if scope.sectors is not None else "all",
                         "own_body_only": scope.own_body_only})


# --- users ------------------------------------------------------------------------------------


def put_user(s: Session, *, principal: Principal | None, data: UserIn, now: datetime) -> User:
    """Create a user in a body the caller can see; ``principal=None`` is the system."""
    stmt = select(Body).where(Body.key == data.body)
    if principal:
        stmt = stmt.where(scoping.visible_bodies(principal.scope))
    body = s.scalar(stmt)
    errors = []
    if body is None:
        errors.append(FieldError("body", f"no body {data.body!r}"))
    if s.scalar(select(User.id).where(func.lower(User.username) == data.username.lower())):
        errors.append(FieldError("username", f"{data.username!r} is already taken"))
    if data.password:
        errors += passwords.field_errors(data.password, username=data.username, session=s)
    if errors:
        raise ValidationFailed(errors)
    user = User(username=data.username, display_name=data.display_name, body_id=body.id,
                body=body, created_at=now, active=True,
                password_hash=_hasher(s).hash(data.password) if data.password else None,
                role_links=[UserRole(role=r.value) for r in sorted(set(data.roles))])
    s.add(user)
    s.flush()
    audit.record(s, at=now, actor=audit.Actor.of(principal), action="user.create",
                 entity_type="user", entity_key=user.username, scope_path=body.jurisdiction.path,
                 detail={"body": body.key, "roles": user.roles,
                         "password_set": bool(data.password)})
    return user


def _visible_user(s: Session, principal: Principal, user_id: int) -> User:
    user = s.scalar(select(User).join(Body, Body.id == User.body_id).where(
        User.id == user_id, scoping.visible_bodies(principal.scope)))
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def create_user(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: UserIn) -> UserOut:
    require(principal, Permission.USER_MANAGE)
    with uow() as s:
        return user_out(put_user(s, principal=principal, data=data, now=clock.now()))


def list_users(
    uow: UnitOfWork, *, principal: Principal, page: PageParams, body: str | None = None
) -> Page[UserOut]:
    require(principal, Permission.USER_READ)
    stmt = select(User).join(Body, Body.id == User.body_id).where(
        scoping.visible_bodies(principal.scope))
    with uow() as s:
        if body:
            stmt = stmt.where(User.body_id == visible_body(s, principal.scope, body).id)
        return fetch_page(s, stmt, page, order_by=User.username, convert=user_out)


def get_user(uow: UnitOfWork, *, principal: Principal, user_id: int) -> UserOut:
    require(principal, Permission.USER_READ)
    with uow() as s:
        return user_out(_visible_user(s, principal, user_id))


def update_user(
    uow: UnitOfWork, clock: Clock, *, principal: Principal, user_id: int, patch: UserPatch
) -> UserOut:
    require(principal, Permission.USER_MANAGE)
    now = clock.now()
    with uow() as s:
        user = _visible_user(s, principal, user_id)
        if patch.password is not None:
            passwords.check(patch.password, username=user.username, session=s)
        if user.id == principal.user_id and (patch.active is False or (
                patch.roles is not None and Role.ADMINISTRATOR not in patch.roles)):
            raise Forbidden("you cannot disable yourself or drop your own administrator role")
        changes: dict = {}
        if patch.display_name is not None:
            changes["display_name"] = [user.display_name, patch.display_name]
            user.display_name = patch.display_name
        if patch.roles is not None:
            changes["roles"] = [user.roles, sorted(r.value for r in set(patch.roles))]
            user.role_links = [UserRole(role=r) for r in changes["roles"][1]]
        if patch.active is not None:
            changes["active"] = [user.active, patch.active]
            user.active = patch.active
            if not patch.active:
                _revoke_all(s, user.id, now)
        if patch.password is not None:
            changes["password"] = "changed"
            user.password_hash = _hasher(s).hash(patch.password)
            _revoke_all(s, user.id, now, kind="session")
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="user.update",
                     entity_type="user", entity_key=user.username,
                     scope_path=user.body.jurisdiction.path, detail=changes)
        return user_out(user)


def _revoke_all(s: Session, user_id: int, now: datetime, kind: str | None = None) -> None:
    stmt = select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if kind:
        stmt = stmt.where(ApiToken.kind == kind)
    for t in s.scalars(stmt):
        t.revoked_at = now


def set_password(uow: UnitOfWork, clock: Clock, *, username: str, password: str) -> None:
    """Reset a password from the command line (the operator has the database); the password
    policy applies (``org.password_rules``)."""
    now = clock.now()
    with uow() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"no user {username!r}")
        passwords.check(password, username=username, session=s)
        user.password_hash = _hasher(s).hash(password)
        _revoke_all(s, user.id, now, kind="session")
        audit.record(s, at=now, actor=audit.Actor("cli"), action="user.password_reset",
                     entity_type="user", entity_key=username,
                     scope_path=user.body.jurisdiction.path)


def unlock(uow: UnitOfWork, clock: Clock, *, username: str, address: str | None = None) -> None:
    """Lift a login lockout from the command line (the operator has the database): the
    account's, and the address's when one is given (GB/T 22239-2019 8.1.4.1 b)."""
    now = clock.now()
    with uow() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"no user {username!r}")
        throttle.Throttle(s, now).unlock(throttle.Subjects.of(username, address))
        audit.record(s, at=now, actor=audit.Actor("cli"), action="user.unlocked",
                     entity_type="user", entity_key=username,
                     scope_path=user.body.jurisdiction.path,
                     detail={"address": address} if address else None)


# --- API tokens -------------------------------------------------------------------------------


def issue_token(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: TokenIn
                ) -> TokenIssued:
    """A machine token acting as the caller, with the caller's roles and scope."""
    now = clock.now()
    token = new_token()
    with uow() as s:
        user = s.get(User, principal.user_id)
        t = ApiToken(user_id=user.id, kind="api", name=data.name, token_hash=hash_token(token),
                     prefix=token[:10], created_at=now,
                     expires_at=now + timedelta(days=data.expires_days) if data.expires_days
                     else None)
        s.add(t)
        s.flush()
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="token.issue",
                     entity_type="token", entity_key=f"{user.username}/{t.id}",
                     scope_path=user.body.jurisdiction.path, detail={"name": data.name})
        return TokenIssued(token=token, **token_out(t).model_dump())


def list_tokens(uow: UnitOfWork, *, principal: Principal, user_id: int | None = None
                ) -> list[TokenOut]:
    """One's own API tokens, or (user managers) those of a user in scope."""
    with uow() as s:
        uid = _token_owner(s, principal, user_id)
        rows = s.scalars(select(ApiToken).where(ApiToken.user_id == uid, ApiToken.kind == "api")
                         .order_by(ApiToken.id))
        return [token_out(t) for t in rows]


def _token_owner(s: Session, principal: Principal, user_id: int | None) -> int:
    if user_id is None or user_id == principal.user_id:
        return principal.user_id
    require(principal, Permission.USER_MANAGE)
    return _visible_user(s, principal, user_id).id


def revoke_token(uow: UnitOfWork, clock: Clock, *, principal: Principal, token_id: int) -> None:
    now = clock.now()
    with uow() as s:
        t = s.get(ApiToken, token_id)
        if t is None:
            raise NotFound(f"no token {token_id}")
        try:
            owner = _token_owner(s, principal, t.user_id)
        except Forbidden:
            raise NotFound(f"no token {token_id}") from None
        user = s.get(User, owner)
        if t.revoked_at is None:
            t.revoked_at = now
            audit.record(s, at=now, actor=audit.Actor.of(principal), action="token.revoke",
                         entity_type="token", entity_key=f"{user.username}/{t.id}",
                         scope_path=user.body.jurisdiction.path)


def principal_for(uow: UnitOfWork, *, username: str) -> Principal:
    """Act as a user from the command line (``--as``), with that user's roles and scope."""
    with uow() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise NotFound(f"no active user {username!r}")
        return principal_of(user)
