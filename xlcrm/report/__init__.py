"""The segment strategy brief: context -> HTML (Jinja2) -> PDF (WeasyPrint).

- :mod:`~xlcrm.report.context`: :func:`build_context`, pure, plain formatted values,
  with its parts in :mod:`~xlcrm.report.sections` and :mod:`~xlcrm.report.agenda`;
- :mod:`~xlcrm.report.format`: the formatters (also Jinja filters);
- :mod:`~xlcrm.report.render`: :func:`render_html` with the templates;
- :mod:`~xlcrm.report.pdf`: :func:`to_pdf` with WeasyPrint;
- :mod:`~xlcrm.report.charts`: the SVG charts.

:func:`render_pdf` does all three steps for callers such as the mail and the
ribbon button.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlcrm.report.agenda import AGENDA_CALLS, AGENDA_OWNERS, BACKLOG_ROWS, CHURN_ROWS
from xlcrm.report.context import build_context
from xlcrm.report.format import fmt_date, fmt_int, fmt_money, fmt_money_short, fmt_pct
from xlcrm.report.pdf import to_pdf
from xlcrm.report.render import render_html, template_dir
from xlcrm.report.sections import TIER_TOP

if TYPE_CHECKING:
    from xlcrm.core.analysis import Analysis

__all__ = [
    "AGENDA_CALLS",
    "AGENDA_OWNERS",
    "BACKLOG_ROWS",
    "CHURN_ROWS",
    "TIER_TOP",
    "build_context",
    "fmt_date",
    "fmt_int",
    "fmt_money",
    "fmt_money_short",
    "fmt_pct",
    "render_html",
    "render_pdf",
    "template_dir",
    "to_pdf",
]


def render_pdf(
    analysis: Analysis, *, lang: str, owner: str | None = None, company: str | None = None
) -> bytes:
    """The brief for ``analysis`` as PDF bytes, with the funnel, loyalty, relationship,
    long-tail and changes sections (see :func:`build_context` for the options)."""
    context = build_context(analysis, lang=lang, owner=owner, company=company, insights=True)
    return to_pdf(render_html(context))
