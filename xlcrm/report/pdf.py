"""The brief's PDF: HTML laid out by WeasyPrint (A4, fonts embedded).

Writing the file is the use case's job (:func:`xlcrm.jobs.write_brief`).
"""

from __future__ import annotations

from xlcrm.report.render import template_dir

__all__ = ["to_pdf"]


def to_pdf(html: str) -> bytes:
    """Lay ``html`` out as a PDF (A4, fonts embedded; title/author/date from ``<head>``)."""
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=str(template_dir())).write_pdf()
    assert pdf is not None
    return bytes(pdf)
