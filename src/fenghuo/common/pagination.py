"""Paging parameters and a page of results, shared by every list use case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_LIMIT = 500
MAX_OFFSET = 10**9


class PageParams(BaseModel):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def fetch_page(s: Session, stmt: Select, page: PageParams, *, order_by: Any,
               convert: Callable[[Any], T]) -> Page[T]:
    """Count ``stmt``'s rows, fetch one ordered page and convert each row (a scalar entity, or a
    Row when the statement selects several columns). ``order_by`` is one column or a tuple."""
    total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    keys = order_by if isinstance(order_by, tuple | list) else (order_by,)
    result = s.execute(stmt.order_by(*keys).limit(page.limit).offset(page.offset))
    rows = result.scalars().all() if len(stmt.column_descriptions) == 1 else result.all()
    return Page[Any](items=[convert(r) for r in rows], total=total, limit=page.limit,
                     offset=page.offset)
