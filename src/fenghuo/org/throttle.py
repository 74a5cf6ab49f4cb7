"""The login throttle (issue 18 item 1; GB/T 22239-2019 8.1.4.1 b) "应具有登录失败处理功能，应配置
并启用结束会话、限制非法登录次数和当登录连接超时自动退出等相关措施", OWASP ASVS V2.2.1): failed
logins are counted per account and per client address; too many within the window lock the
account (or address) for the lockout time, during which every attempt, even with the right
password, is refused with 429 and ``Retry-After`` before any password hash is computed.

Why a ``limits`` storage over our own database: the counters must be shared by every server
process (``fenghuo serve --processes``, several hosts on PostgreSQL) and need no extra service,
so they live in the table ``login_throttle`` (``org.models.LoginThrottle``), one row per key.
:class:`DatabaseStorage` implements ``limits``' :class:`~limits.storage.Storage` interface over
a SQLAlchemy session and the application clock (so tests move time with the FakeClock), and the
windows are ``limits``' :class:`~limits.strategies.FixedWindowRateLimiter`:

* a **fixed window** that opens at the first failure and lasts ``login_failure_window_minutes``
  (``limits``' fixed window over an expiring counter). Fixed rather than moving: a moving window
  needs one row per failure; with a lockout behind it, the fixed window's known weakness (up to
  twice the limit across a window boundary) is bounded and cheap;
* ``incr`` is one atomic upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite and
  PostgreSQL alike), so concurrent processes never lose a failure;
* a **lockout** is a second counter ("1 per lockout duration") hit once when the failures reach
  the limit; the failure counter starts afresh then, and a successful login clears the
  account's failures (not the address's: one valid account must not unlock an address).

Keys hold a SHA-256 digest of the (case-folded) username, never the name in clear; unknown
usernames are counted exactly like known ones, so neither the answer nor the lockout tells
whether a user exists. Expired rows are pruned, a few at a time, whenever a failure is counted,
so junk usernames cannot grow the table without bound.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from limits import RateLimitItemPerSecond
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from fenghuo.common.errors import TooManyRequests
from fenghuo.org.models import LoginThrottle

#: ``Session.info`` key of the :class:`Policy` (from the settings, bootstrap)
INFO_KEY = "fenghuo.login_throttle"
#: expired rows deleted per counted failure
PRUNE_BATCH = 100
_T = LoginThrottle.__table__


@dataclass(frozen=True)
class Policy:
    """How many failures lock, within which window, for how long (settings ``login_*``)."""

    max_failures: int = 10
    max_failures_per_address: int = 30
    window_seconds: int = 15 * 60
    lockout_seconds: int = 15 * 60

    @classmethod
    def of(cls, settings) -> Policy:  # noqa: ANN001 - config.Settings
        return cls(max_failures=settings.login_max_failures,
                   max_failures_per_address=settings.login_max_failures_per_address,
                   window_seconds=max(1, round(settings.login_failure_window_minutes * 60)),
                   lockout_seconds=max(1, round(settings.login_lockout_minutes * 60)))


def policy_of(s: Session) -> Policy:
    return s.info.get(INFO_KEY) or Policy()


class LoginLocked(TooManyRequests):
    """429: the account or the address is locked for ``retry_after`` more seconds."""

    title = "Too many failed logins"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins for this account or from this address: "
                         f"try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class DatabaseStorage(Storage):
    """``limits`` storage over the table ``login_throttle``, inside the caller's transaction and
    at the caller's clock (``now``); see the module's doc."""

    STORAGE_SCHEME = None

    def __init__(self, session: Session, now: datetime) -> None:
        super().__init__()
        self.session, self.now = session, now

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _insert(self):  # noqa: ANN202
        return (postgresql.insert(_T) if self.session.get_bind().dialect.name == "postgresql"
                else sqlite.insert(_T))

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        ins = self._insert().values(key=key, hits=amount,
                                    expires_at=self.now + timedelta(seconds=expiry))
        expired = _T.c.expires_at <= self.now
        stmt = ins.on_conflict_do_update(index_elements=[_T.c.key], set_={
            "hits": case((expired, ins.excluded.hits), else_=_T.c.hits + ins.excluded.hits),
            "expires_at": case((expired, ins.excluded.expires_at), else_=_T.c.expires_at),
        }).returning(_T.c.hits)
        return int(self.session.execute(stmt).scalar_one())

    def get(self, key: str) -> int:
        return int(self.session.scalar(select(_T.c.hits).where(
            _T.c.key == key, _T.c.expires_at > self.now)) or 0)

    def get_expiry(self, key: str) -> float:
        at = self.session.scalar(select(_T.c.expires_at).where(_T.c.key == key,
                                                                _T.c.expires_at > self.now))
        return (at or self.now).timestamp()

    def check(self) -> bool:
        return self.session.scalar(select(1)) == 1

    def reset(self) -> int | None:
        return self.session.execute(delete(_T)).rowcount

    def clear(self, key: str) -> None:
        self.session.execute(delete(_T).where(_T.c.key == key))

    def prune(self) -> None:
        """Delete a few expired rows (skipping rows other transactions hold, on PostgreSQL)."""
        old = (select(_T.c.key).where(_T.c.expires_at <= self.now).limit(PRUNE_BATCH)
               .with_for_update(skip_locked=True))
        self.session.execute(delete(_T).where(_T.c.key.in_(old)))


def account_key(username: str) -> str:
    return hashlib.sha256(username.casefold().encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Subjects:
    """What a login attempt is counted against: the account (digest) and the address."""

    account: str
    address: str | None

    @classmethod
    def of(cls, username: str, address: str | None) -> Subjects:
        return cls(account_key(username), (address or "")[:64] or None)


class Throttle:
    """The throttle for one transaction: ``locked`` before checking a password, ``failed`` or
    ``succeeded`` after."""

    def __init__(self, s: Session, now: datetime, policy: Policy | None = None) -> None:
        self.now, self.policy = now, policy or policy_of(s)
        self.storage = DatabaseStorage(s, now)
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.lock = RateLimitItemPerSecond(1, self.policy.lockout_seconds, namespace="LOGINLOCK")

    def _limits(self, who: Subjects) -> list[tuple[str, tuple[str, str], int]]:
        out = []
        if self.policy.max_failures:
            out.append(("account", ("account", who.account), self.policy.max_failures))
        if self.policy.max_failures_per_address and who.address:
            out.append(("address", ("address", who.address),
                        self.policy.max_failures_per_address))
        return out

    def _failures(self, amount: int) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(amount, self.policy.window_seconds, namespace="LOGINFAIL")

    def locked(self, who: Subjects) -> tuple[list[str], int]:
        """Which of the account and the address are locked, and the seconds until both are
        free again (0 when neither is locked)."""
        which, until = [], self.now.timestamp()
        for name, ids, _amount in self._limits(who):
            if not self.limiter.test(self.lock, *ids):
                which.append(name)
                until = max(until, self.limiter.get_window_stats(self.lock, *ids).reset_time)
        return which, max(1, math.ceil(until - self.now.timestamp())) if which else 0

    def failed(self, who: Subjects) -> list[str]:
        """Count a failure; returns which of the account and the address it locked."""
        self.storage.prune()
        locked_now = []
        for name, ids, amount in self._limits(who):
            item = self._failures(amount)
            self.limiter.hit(item, *ids)
            if not self.limiter.test(item, *ids):
                self.limiter.hit(self.lock, *ids)
                self.limiter.clear(item, *ids)
                locked_now.append(name)
        return locked_now

    def succeeded(self, who: Subjects) -> None:
        if self.policy.max_failures:
            self.limiter.clear(self._failures(self.policy.max_failures), "account", who.account)

    def unlock(self, who: Subjects) -> None:
        """Lift the lockout and the failure counts of the account and of the address (an
        operator's ``fenghuo user unlock``), whatever the policy's limits are now."""
        for name, value in (("account", who.account), ("address", who.address)):
            if value:
                self.limiter.clear(self.lock, name, value)
                for amount in {self.policy.max_failures, self.policy.max_failures_per_address}:
                    if amount:
                        self.limiter.clear(self._failures(amount), name, value)
