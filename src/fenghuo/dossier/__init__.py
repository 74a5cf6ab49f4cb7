"""The dossier: one incident's whole record — reports, grading history, routing, notifications
and acknowledgements, responses (headquarters, duty, progress, support), investigation and
evidence hashes — exported as JSON and as a PDF (issue 5 item 7)."""

from fenghuo.dossier.render import to_html, to_json, to_pdf
from fenghuo.dossier.service import Dossier, EvidenceEntry, build

__all__ = ["Dossier", "EvidenceEntry", "build", "to_html", "to_json", "to_pdf"]
