"""One message catalogue for every user-facing string (GNU gettext).

Source strings are English and live in the code (and in the brief's
templates, through Jinja2's i18n extension). Each other language has a
catalogue ``xlcrm/locale/<lang>/LC_MESSAGES/xlcrm.po``, edited with any
gettext tool (Poedit, Weblate, ``pybabel``), and its compiled ``.mo`` beside
it, which is what runs. ``make locale`` extracts new strings into
``xlcrm.pot``, merges them into each ``.po`` and compiles; a test fails when
a catalogue is out of date or a translation lacks a placeholder.

Call sites (the names are the extraction keywords, see ``babel.cfg``)::

    t("Read {count} orders", lang, count=n)          # a message
    tn("{n} purchase", "{n} purchases", n, lang)     # plural by the catalogue
    tp("sheet", "Orders", lang)                      # same English, other meaning
    N_("missing column {column}")                    # mark now, translate later

Placeholders are ``str.format`` fields. This module uses only the standard
library, so the core, the add-in and the xlwings Lite bundle can all use it.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path
from typing import Any, Final

LANGS: Final = ("en", "zh")
DOMAIN: Final = "xlcrm"
LOCALE_DIR: Final = Path(__file__).resolve().parent


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English is the source: no catalogue)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    if lang == "en":
        return _gettext.NullTranslations()
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as fh:
        return _gettext.GNUTranslations(fh)


def _format(text: str, kwargs: dict[str, Any]) -> str:
    return text.format(**kwargs) if kwargs else text


def t(message: str, lang: str, /, **kwargs: Any) -> str:
    """``message`` in ``lang``, with ``{fields}`` filled from ``kwargs``."""
    return _format(translations(lang).gettext(message), kwargs)


def tn(singular: str, plural: str, n: int, lang: str, /, **kwargs: Any) -> str:
    """The plural form for ``n`` in ``lang``; ``{n}`` is filled in too."""
    return _format(translations(lang).ngettext(singular, plural, n), {"n": n, **kwargs})


def tp(context: str, message: str, lang: str, /, **kwargs: Any) -> str:
    """``message`` in ``context`` (for one English word with two meanings)."""
    return _format(translations(lang).pgettext(context, message), kwargs)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where it is shown."""
    return message
