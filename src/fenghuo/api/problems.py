"""Errors as RFC 9457 problem details (``application/problem+json``), naming offending fields."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from fenghuo.common.errors import DomainError, FieldError, Refused, Unavailable, ValidationFailed

PROBLEM = "application/problem+json"
#: failures of the database connection (a restart, a network cut, an exhausted pool): the
#: request may be retried (503 with ``Retry-After``), unlike a bug (500)
DATABASE_DOWN = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
#: seconds a client should wait before retrying a 503
RETRY_AFTER = 5
DATABASE_UNAVAILABLE = Unavailable("the database is unavailable (restarting, or out of reach): "
                                   f"try again in {RETRY_AFTER} seconds")


def problem(status: int, title: str, detail: str, instance: str,
            headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "instance": instance, **extra}
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def unavailable(instance: str, detail: str = DATABASE_UNAVAILABLE.detail, **extra) -> JSONResponse:
    """503: retry after ``RETRY_AFTER`` seconds."""
    return problem(503, Unavailable.title, detail, instance,
                   headers={"Retry-After": str(RETRY_AFTER)}, **extra)


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "row": {"type": "integer"},
                    "source": {"type": "string"},
                },
            },
        },
        "reasons": {
            "type": "array",
            "description": "The rules that refused, each with its clause",
            "items": {
                "type": "object",
                "required": ["code", "source", "text_zh", "text_en"],
                "properties": {k: {"type": "string"}
                               for k in ("code", "source", "text_zh", "text_en")},
            },
        },
    },
}
ERROR_STATUSES = {"400": "Bad request", "401": "Not logged in, or the token is invalid",
                  "403": "Your roles do not allow this", "404": "Not found, or outside your scope",
                  "409": "Conflict", "422": "Validation failed; nothing was stored",
                  "429": "Too many requests",
                  "503": "The database is unavailable; retry after Retry-After seconds"}


def document(app: FastAPI) -> None:
    """Declare problem+json error answers on every operation of the OpenAPI document."""
    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes)
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        ref = {"content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for operations in spec["paths"].values():
            for op in operations.values():
                for status, text in ERROR_STATUSES.items():
                    op.setdefault("responses", {})[status] = {"description": text, **ref}
        app.openapi_schema = spec
        return spec

    app.openapi = openapi


def install(app: FastAPI) -> None:
    document(app)

    @app.exception_handler(ValidationFailed)
    async def _validation_failed(request: Request, exc: ValidationFailed) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, request.url.path,
                       errors=[e.as_dict() for e in exc.errors])

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, request.url.path,
                       reasons=exc.reasons)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        # an error may carry headers of its answer (a 429's Retry-After, org.throttle)
        return problem(exc.status, exc.title, exc.detail, request.url.path,
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError(_field_name(e["loc"]), e["msg"]).as_dict() for e in exc.errors()]
        return problem(422, "Validation failed", "the request is not valid; nothing was stored",
                       request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail),
                       request.url.path, headers=headers)


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method any route offers at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)
