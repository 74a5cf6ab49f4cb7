"""Security headers on every answer of the application (issue 18 item 4): API, console, public
pages, feeds, files and the interactive documentation alike.

* ``X-Content-Type-Options: nosniff``: a browser takes each answer for the type it is sent as
  (an uploaded text is never run as a script or shown as a page).
* ``Referrer-Policy: same-origin``: links between Fenghuo's own pages carry the referrer (the
  console's forms and "back" rely on nothing else), a link out of it (a warning's reference, a
  vendor's advisory) sends nothing, not even the origin: the address of an internal duty
  console is nobody else's business. ``strict-origin-when-cross-origin`` would send the origin.
* ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``: no page is shown in a frame of
  another site (clickjacking of the console's buttons).
* ``Content-Security-Policy``, by what the answer is:

  - console and public pages (``text/html``): :data:`PAGE_CSP`: scripts, styles, fonts and
    fetches from this site only, no inline script or style (the console's are files under
    /web/static, :mod:`fenghuo.web.assets`), images from this site or ``data:``; injected markup
    can neither run nor restyle a page, nor post a form elsewhere;
  - a document a route serves with its own policy keeps it: the HTML bulletin
    (:data:`DOCUMENT_CSP`, inline styles of its template, no script at all) and the interactive
    API documentation (``/docs``, :func:`docs_policy`: Swagger UI's files from this site, served
    from a package, :mod:`fenghuo.api.docs`, and the one inline script that starts it, by hash);
  - anything else (JSON, feeds, PDF, CSV, metrics): :data:`DATA_CSP`, nothing may load.

* ``Strict-Transport-Security`` when the setting ``FENGHUO_HSTS`` is on (behind TLS only:
  README "Behind a TLS reverse proxy").

Plain ASGI like :class:`fenghuo.api.metrics.Measure`: it rewrites the start of each answer only.
"""

from __future__ import annotations

import base64
import hashlib

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_FRAMES = "frame-ancestors 'none'"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"object-src 'none'; base-uri 'self'; form-action 'self'; {_FRAMES}")
DOCUMENT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                f"base-uri 'none'; form-action 'none'; {_FRAMES}")
DATA_CSP = f"default-src 'none'; {_FRAMES}"
COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
          "X-Frame-Options": "DENY"}
HSTS = "max-age=31536000"  # a year; no includeSubDomains: the other hosts are not ours to say


def docs_policy(inline_scripts: list[str]) -> str:
    """The policy of the Swagger UI page: everything from this site (nothing from the internet,
    issue 19 item 9), and of inline script only ``inline_scripts`` (by their SHA-256)."""
    hashes = "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                     for s in inline_scripts)
    return (f"default-src 'self'; script-src 'self'{hashes}; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; "
            f"object-src 'none'; base-uri 'self'; form-action 'self'; {_FRAMES}")


def policy_for(content_type: str) -> str:
    """The Content-Security-Policy of an answer of ``content_type`` that set none itself."""
    if content_type.split(";")[0].strip().lower() == "text/html":
        return PAGE_CSP
    return DATA_CSP


class SecurityHeaders:
    """Sets :data:`COMMON`, the answer's CSP (:func:`policy_for`, unless the route set one) and,
    with the runtime's setting ``hsts``, ``Strict-Transport-Security`` on every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        hsts = scope["app"].state.runtime.settings.hsts

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                if hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                headers.setdefault("Content-Security-Policy",
                                   policy_for(headers.get("content-type", "")))
                message["headers"] = headers.raw
            await send(message)

        await self.app(scope, receive, with_headers)
