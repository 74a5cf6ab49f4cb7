"""The dossier of an incident over HTTP: its whole record as JSON, or as a PDF to send."""

from __future__ import annotations

from fastapi import APIRouter, Response

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.dossier import Dossier, build, render

router = APIRouter(tags=["incidents"])

_PDF = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
              "description": "The dossier as an A4 PDF"}}


def _headers(d: Dossier) -> dict[str, str]:
    return {"X-Dossier-SHA256": render.json_sha256(d)}


@router.get("/incidents/{ref}/dossier", response_model=Dossier)
def get_dossier(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> Response:
    """One incident's whole record — reports, grading history, routing, notifications and
    acknowledgements, responses (headquarters, duty, progress, support), investigation and
    evidence hashes — as far as you may see it. Listing the evidence is recorded as a view in
    its chain of custody. ``X-Dossier-SHA256`` is the SHA-256 of this body."""
    d = build(rt.uow, rt.clock, principal=me, ref=ref)
    return Response(render.to_json(d), media_type="application/json", headers=_headers(d))


@router.get("/incidents/{ref}/dossier.pdf", response_class=Response, responses=_PDF)
def get_dossier_pdf(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> Response:
    """The dossier as an A4 PDF in Chinese and English; its last page and
    ``X-Dossier-SHA256`` give the SHA-256 of the JSON export of the same dossier."""
    d = build(rt.uow, rt.clock, principal=me, ref=ref)
    pdf = render.to_pdf(d, timezone=rt.settings.timezone)
    name = f"dossier-{d.incident.ref}.pdf"
    return Response(pdf, media_type="application/pdf", headers={
        **_headers(d), "Content-Disposition": f'attachment; filename="{name}"'})
