"""The pages' styles and scripts, served as files at /web/static rather than inline ``<style>``
and ``<script>`` blocks: the Content-Security-Policy then allows style and script from this
site only (``'self'``, :mod:`fenghuo.api.security_headers`), so markup injected into a page
could neither run nor restyle it. No login is needed for them (the public pages use them too).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from fenghuo import __version__

PREFIX = "/web/static"
DIRECTORY = Path(__file__).parent / "static"


def url(name: str) -> str:
    """The file's address, with the release so that a new release is fetched anew."""
    return f"{PREFIX}/{name}?v={__version__}"


def mount(app: FastAPI) -> None:
    app.mount(PREFIX, StaticFiles(directory=DIRECTORY), name="static")
