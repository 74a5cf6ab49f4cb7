"""Errors raised by services; adapters translate them (HTTP problem+json, CLI messages)."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The object does not exist or lies outside the caller's scope (Law art. 30)."""

    status = 404
    title = "Not found"


class Forbidden(DomainError):
    """The caller's role does not allow the action."""

    status = 403
    title = "Forbidden"


class Refused(Forbidden):
    """A domain rule refuses the action; ``reasons`` name each rule with its clause, in zh and
    en (dicts of code, source, text_zh, text_en)."""

    title = "Refused by rule"

    def __init__(self, reasons: list[dict]) -> None:
        super().__init__("; ".join(f"{r['code']}: {r['text_en']} ({r['source']})"
                                   for r in reasons))
        self.reasons = reasons


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Unavailable(DomainError):
    """A service the request needs (the database) does not answer: retry after a while."""

    status = 503
    title = "Service unavailable"


@dataclass(frozen=True)
class FieldError:
    """One offending field: where it is (row, field) and what is wrong with it."""

    field: str
    message: str
    row: int | None = None
    source: str | None = None

    def as_dict(self) -> dict:
        out: dict = {"field": self.field, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        if self.source is not None:
            out["source"] = self.source
        return out

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        where += f"row {self.row}: " if self.row is not None else ""
        return f"{where}{self.field}: {self.message}"


@dataclass
class ValidationFailed(DomainError):
    """Input that fails validation; nothing has been written."""

    errors: list[FieldError] = field(default_factory=list)
    message: str = "Validation failed"

    status = 422
    title = "Validation failed"

    def __post_init__(self) -> None:
        DomainError.__init__(self, self.message)
