"""Human-readable references (FH-20261123-1A2B3C4D): a kind prefix, the day, 32 random bits."""

from __future__ import annotations

import secrets
from datetime import datetime


def new_ref(prefix: str, now: datetime) -> str:
    return f"{prefix}-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"
