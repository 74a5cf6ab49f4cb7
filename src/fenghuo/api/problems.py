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


#: TAXII 2.1 answers its errors as error-message resources (§3.6.1) in its own media type
TAXII_PREFIX = "/taxii2/"
TAXII_MEDIA = "application/taxii+json;version=2.1"
TAXII_CHALLENGE = 'Basic realm="Fenghuo TAXII", charset="UTF-8", Bearer realm="Fenghuo TAXII"'


def taxii_error(status: int, title: str, detail: str, headers: dict[str, str],
                **extra) -> JSONResponse:
    """A TAXII 2.1 error message (§3.6.1): ``title``, ``description``, ``error_code``,
    ``http_status`` (a string) and, for a validation failure or a refusal, ``details``; a 401
    names both schemes the TAXII server accepts."""
    body = {"title": title, "description": detail,
            "error_code": title.lower().replace(" ", "-"), "http_status": str(status),
            **({"details": extra} if extra else {})}
    if status == 401:
        headers["WWW-Authenticate"] = TAXII_CHALLENGE
    return JSONResponse(body, status_code=status, media_type=TAXII_MEDIA, headers=headers)


def problem(status: int, title: str, detail: str, instance: str,
            headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    if instance.startswith(TAXII_PREFIX) or instance == TAXII_PREFIX.rstrip("/"):
        return taxii_error(status, title, detail, dict(headers or {}), **extra)
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
TAXII_ERROR_SCHEMA = {
    "type": "object", "required": ["title"],
    "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                   "error_id": {"type": "string"}, "error_code": {"type": "string"},
                   "http_status": {"type": "string"}, "external_details": {"type": "string"},
                   "details": {"type": "object"}},
}
#: TAXII 2.1's error answers (§3.6): 406 for an Accept without its media type, 413 and 415 for
#: an envelope too large or not TAXII JSON
TAXII_ERROR_STATUSES = {"401": "Not authenticated", "403": "Not allowed (read but not write)",
                        "404": "Not found, or outside your scope",
                        "406": "The Accept header does not allow the TAXII media type",
                        "413": "Larger than max_content_length",
                        "415": "Not application/taxii+json", "422": "Not valid",
                        "429": "Too many requests",
                        "503": "The database is unavailable; retry after Retry-After seconds"}
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
        schemas["TaxiiError"] = TAXII_ERROR_SCHEMA
        ref = {"content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        taxii = {"content": {TAXII_MEDIA: {"schema": {"$ref": "#/components/schemas/TaxiiError"}}}}
        for path, operations in spec["paths"].items():
            errors, answer = ((TAXII_ERROR_STATUSES, taxii) if path.startswith(TAXII_PREFIX)
                              else (ERROR_STATUSES, ref))
            for op in operations.values():
                for status, text in errors.items():
                    op.setdefault("responses", {})[status] = {"description": text, **answer}
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
