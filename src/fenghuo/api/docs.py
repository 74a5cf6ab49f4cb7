"""The interactive API documentation at /docs (Swagger UI), with nothing from the internet
(issue 19 item 9): an air-gapped duty room has no CDN, and FastAPI's own /docs page loads
Swagger UI from cdn.jsdelivr.net and its icon from fastapi.tiangolo.com, so it stays blank there.

Swagger UI's script, style and icon are the files of the ``fastapi-offline`` package, served at
:data:`ASSETS`; FastAPI's page is kept (:func:`fastapi.openapi.docs.get_swagger_ui_html`) with
those addresses. It starts Swagger UI with one inline script, which its policy allows by
its SHA-256 (:func:`fenghuo.api.security_headers.docs_policy`), and nothing else inline. The
password flow of **Authorize** posts to the token route itself: no OAuth2 redirect page is
needed (FastAPI's /docs/oauth2-redirect is for the implicit and code flows). ReDoc stays off.
"""

from __future__ import annotations

import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from fenghuo.api.security_headers import docs_policy

PATH = "/docs"
ASSETS = f"{PATH}/assets"
DIRECTORY = Path(fastapi_offline.__file__).parent / "static"
#: no "validator" badge: with StandaloneLayout Swagger UI shows one loaded from
#: validator.swagger.io (FastAPI's BaseLayout has none; this keeps it so)
PARAMETERS = {"validatorUrl": None}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def install(app: FastAPI, openapi_url: str) -> None:
    """Serves the page at :data:`PATH` (the app is made with ``docs_url=None``) and its files."""
    app.mount(ASSETS, StaticFiles(directory=DIRECTORY), name="docs-assets")
    page = get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
        swagger_ui_parameters=PARAMETERS | (app.swagger_ui_parameters or {}))
    body = bytes(page.body)
    headers = {"Content-Security-Policy": docs_policy(
        _INLINE_SCRIPT.findall(body.decode("utf-8")))}

    @app.get(PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(body, headers=headers)
