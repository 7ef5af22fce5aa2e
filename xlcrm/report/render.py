"""HTML from the templates: a context from :func:`~xlcrm.report.context.build_context` -> Jinja2.

The templates live in ``templates/`` at the top of the repository (inside the
package, ``xlcrm/report/templates``, once installed). Autoescape is on, so
names from the workbook are always text; ``StrictUndefined`` turns a missing
context key into an error instead of an empty cell. The templates' fixed
words are ``{{ _("...") }}`` calls into the message catalogue (Jinja2's i18n
extension with new-style gettext), so one ``.po`` file translates the code
and the templates alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from xlcrm.core.errors import XlcrmError
from xlcrm.locale import N_, translations
from xlcrm.report.format import FILTERS

__all__ = ["environment", "render_html", "render_template", "template_dir"]


def template_dir() -> Path:
    """The report templates: inside the installed package, else the repo's ``templates/``."""
    here = Path(__file__).resolve().parent
    candidates = (here / "templates", here.parents[1] / "templates")
    for candidate in candidates:
        if (candidate / "base.html").is_file():
            return candidate
    raise XlcrmError(
        N_("the report templates are missing"),
        hint=N_("expected base.html in {folders}; reinstall xlcrm"),
        args={"folders": " or ".join(str(c) for c in candidates)},
    )


@lru_cache(maxsize=4)
def _environment(path: str, lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(path),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(FILTERS)
    return env


def environment(lang: str) -> Environment:
    """The Jinja2 environment of the templates in ``lang``, the formatters as filters."""
    return _environment(str(template_dir()), lang)


def render_template(name: str, context: Mapping[str, Any]) -> str:
    """Render template ``name`` with ``context`` in the language ``context["lang"]``."""
    return environment(str(context["lang"])).get_template(name).render(**context)


def render_html(context: Mapping[str, Any]) -> str:
    """The brief as one self-contained HTML document (CSS inlined, SVG charts)."""
    return render_template("base.html", context)
