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
    #: false when more rows match than ``total`` says: the count stopped there (a list over
    #: millions of rows counts up to a cap, issue 21)
    total_exact: bool = True
    #: where a list offers keyset pages: the cursor of the next page (``before=`` it), None on
    #: the last page (issue 21: an offset deep into millions of rows reads them all)
    next: str | None = None


def fetch_page(s: Session, stmt: Select, page: PageParams, *, order_by: Any,
               convert: Callable[[Any], T], count_cap: int | None = None) -> Page[T]:
    """Count ``stmt``'s rows (up to ``count_cap`` when given), fetch one ordered page and
    convert each row (a scalar entity, or a Row when the statement selects several columns).
    ``order_by`` is one column or a tuple."""
    total, exact = capped_count(s, stmt, count_cap)
    keys = order_by if isinstance(order_by, tuple | list) else (order_by,)
    result = s.execute(stmt.order_by(*keys).limit(page.limit).offset(page.offset))
    rows = result.scalars().all() if len(stmt.column_descriptions) == 1 else result.all()
    return Page[Any](items=[convert(r) for r in rows], total=total, limit=page.limit,
                     offset=page.offset, total_exact=exact)


def capped_count(s: Session, stmt: Select, cap: int | None) -> tuple[int, bool]:
    """How many rows ``stmt`` has, counted up to ``cap`` (None: all), and whether that is
    exact."""
    counted = stmt if cap is None else stmt.limit(cap + 1)
    total = s.scalar(select(func.count()).select_from(counted.subquery())) or 0
    exact = cap is None or total <= cap
    return (total if exact else cap), exact
