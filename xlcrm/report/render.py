"""The brief's HTML: a context from :func:`~xlcrm.report.context.build_context` -> Jinja2.

The templates live in ``templates/`` at the top of the repository (inside the
package, ``xlcrm/report/templates``, once installed). Autoescape is on, so
names from the workbook are always text; ``StrictUndefined`` turns a missing
context key into an error instead of an empty cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from xlcrm.core.errors import XlcrmError
from xlcrm.report.format import FILTERS

__all__ = ["environment", "render_html", "template_dir"]


def template_dir() -> Path:
    """The report templates: inside the installed package, else the repo's ``templates/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parents[1] / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise XlcrmError(
        "report templates not found",
        hint=f"expected base.html in {here / 'templates'} or {here.parents[1] / 'templates'}",
    )


@lru_cache(maxsize=1)
def _environment(path: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(path),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def environment() -> Environment:
    """The Jinja2 environment of the templates, with the formatters as filters."""
    return _environment(str(template_dir()))


def render_html(context: Mapping[str, Any]) -> str:
    """The brief as one self-contained HTML document (CSS inlined, SVG charts)."""
    return environment().get_template("base.html").render(**context)
