"""The brief's PDF: HTML laid out by WeasyPrint (A4, fonts embedded)."""

from __future__ import annotations

import os
from pathlib import Path

from xlcrm import files
from xlcrm.core.errors import OutputError
from xlcrm.report.render import template_dir

__all__ = ["to_pdf", "write_atomic"]


def to_pdf(html: str) -> bytes:
    """Lay ``html`` out as a PDF (A4, fonts embedded; title/author/date from ``<head>``)."""
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=str(template_dir())).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def write_atomic(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (:func:`xlcrm.files.write_bytes`).

    Raises :class:`~xlcrm.core.errors.OutputError` when the folder is not writable
    or the file is locked.
    """
    try:
        return files.write_bytes(target, data)
    except files.WriteFailed as exc:
        raise OutputError(
            f"cannot write the brief: {exc.reason}",
            file=str(target),
            hint="close the file if it is open, or choose another folder with -o",
        ) from None
