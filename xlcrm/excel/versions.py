"""Which xlwings the add-in's VBA belongs to, and what to say when Python has another.

The add-in's ``xlwings`` VBA module comes from one xlwings release (its DLL
and AppleScript names carry the version), so ``pyproject.toml`` pins that
release with ``==``. :data:`ADDIN_XLWINGS` names it here for the installer;
tests check that it equals the pin and the ``XLWINGS_VERSION`` constant inside
the committed add-in.
"""

from __future__ import annotations

from typing import Final

from xlcrm.locale import t

ADDIN_XLWINGS: Final = "0.37.8"


def installed_xlwings() -> str:
    import xlwings

    return str(xlwings.__version__)


def version_problem(addin_xlwings: str | None, lang: str) -> str | None:
    """One line when the add-in's xlwings differs from the installed one, else None."""
    installed = installed_xlwings()
    if addin_xlwings is None or addin_xlwings == installed:
        return None
    return t(
        "xlcrm: the add-in was built for xlwings {addin} but this Python has xlwings "
        "{installed}; run `pip install xlcrm` again (it pins xlwings=={addin}), then "
        "`xlcrm addin install`.",
        lang,
        addin=addin_xlwings,
        installed=installed,
    )
