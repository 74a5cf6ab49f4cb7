"""Weekly and monthly bulletins over HTTP (Plan §3.2; Support rights 2): generate one for a period
and your body's scope, list and read them as JSON, HTML or PDF, and send them to the support units
(by right) and a recipient list."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.api.security_headers import DOCUMENT_CSP
from fenghuo.sharing import bulletins
from fenghuo.sharing.bulletins import BulletinIn, BulletinOut, BulletinSummary, SendIn, SendOut

router = APIRouter(tags=["bulletins"])

BulletinRef = Annotated[str, Path(min_length=1, max_length=64,
                                  description="Bulletin ref, e.g. BL-20261201-1A2B3C4D")]
_PDF = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
              "description": "The bulletin as an A4 PDF"}}
_HTML = {200: {"content": {"text/html": {"schema": {"type": "string"}}},
               "description": "The bulletin as an HTML document"}}


@router.post("/bulletins", response_model=BulletinOut, status_code=201)
def generate(*, rt: RuntimeDep, me: CurrentUser, data: BulletinIn, response: Response):
    """Generate the weekly 《网络安全信息与动态周报》 (``2026-W47``) or monthly 《网络安全月报》
    (``2026-11``) of your body (an office or CNCERT) over its scope (Law art. 30), as HTML and
    PDF; regenerating the same kind and period replaces it. Items are listed only where TLP 2.0
    lets the support units have them; the counts cover everything in scope."""
    out = bulletins.generate(rt.uow, rt.clock, principal=me, data=data,
                             timezone=rt.settings.timezone)
    response.headers["Location"] = f"/api/v1/bulletins/{out.ref}"
    return out


@router.get("/bulletins", response_model=list[BulletinSummary])
def list_bulletins(*, rt: RuntimeDep, me: CurrentUser,
                   kind: Literal["weekly", "monthly"] | None = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """Bulletins your body issued or received, and those issued by bodies in your scope,
    newest period first."""
    return bulletins.list_bulletins(rt.uow, principal=me, kind=kind, limit=limit)


@router.get("/bulletins/{ref}.html", response_class=Response, responses=_HTML)
def get_html(*, rt: RuntimeDep, me: CurrentUser, ref: BulletinRef) -> Response:
    """The bulletin as stored, in HTML."""
    name, content = bulletins.get_document(rt.uow, principal=me, ref=ref, fmt="html")
    return Response(content, media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{name}"',
                             "Content-Security-Policy": DOCUMENT_CSP})  # inline styles only


@router.get("/bulletins/{ref}.pdf", response_class=Response, responses=_PDF)
def get_pdf(*, rt: RuntimeDep, me: CurrentUser, ref: BulletinRef) -> Response:
    """The bulletin as stored, an A4 PDF with its TLP on every page."""
    name, content = bulletins.get_document(rt.uow, principal=me, ref=ref, fmt="pdf")
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/bulletins/{ref}", response_model=BulletinOut)
def get_bulletin(*, rt: RuntimeDep, me: CurrentUser, ref: BulletinRef):
    """One bulletin with its figures and listed items as JSON."""
    return bulletins.get_bulletin(rt.uow, principal=me, ref=ref)


@router.post("/bulletins/{ref}/send", response_model=SendOut)
def send(*, rt: RuntimeDep, me: CurrentUser, ref: BulletinRef, data: SendIn):
    """Send a bulletin your body issued to every support unit with an active membership
    (Support rights 2) and to ``recipients``: each body's first-rank contacts get the summary
    and where to fetch it. Bodies it was already sent to are skipped."""
    out = bulletins.send(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out
