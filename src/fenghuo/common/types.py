"""Shared input types."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _iso_only(value: Any) -> Any:
    if isinstance(value, int | float | bool) or (isinstance(value, str) and NUMBER.match(value)):
        raise ValueError("expected an ISO 8601 date-time with a time zone, not a number")
    return value


#: An ISO 8601 date-time with a time zone; numbers (Unix times) are refused, as the schema says.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_only)]
