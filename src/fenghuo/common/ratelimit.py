"""A small per-client limit for the anonymous public channels (per process): at most
``per_minute`` hits per key in any sliding minute."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class RateLimit:
    def __init__(self, per_minute: int) -> None:
        self.per_minute, self.hits = per_minute, defaultdict(deque)
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            q = self.hits[key]
            while q and now - q[0] > 60:
                q.popleft()
            if len(q) >= self.per_minute:
                return False
            q.append(now)
            return True


_create = threading.Lock()


def limit_of(holder: object, name: str, per_minute: int) -> RateLimit:
    """The limit called ``name`` kept on ``holder`` (an application's ``state``), made on first
    use: every entry point of one application shares it, and each application has its own."""
    with _create:
        limits = getattr(holder, "rate_limits", None)
        if limits is None:
            limits = {}
            holder.rate_limits = limits
        return limits.setdefault(name, RateLimit(per_minute))
