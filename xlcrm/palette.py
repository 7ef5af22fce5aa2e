"""The house colours of the brief and the workbook, one place for both.

Colours are ``#rrggbb`` (:func:`rgb` gives Excel's form). :data:`CLASS_COLOURS` and
:data:`TIER_COLOURS` colour the RFM classes and lifecycle tiers alike in the
brief's charts, the Dashboard's charts and ``templates/report.css`` (keep
the CSS variables in step with these).
"""

from __future__ import annotations

from typing import Final

INK: Final = "#1f2933"
MUTED: Final = "#6b7785"
GRID: Final = "#d9dee4"
BAND: Final = "#f3f5f7"
ACCENT: Final = "#1f6f8b"
ACCENT_2: Final = "#99c1b9"
ACCENT_SOFT: Final = "#e7f1f4"
WARN: Final = "#d1495b"
WARN_SOFT: Final = "#fbe3e6"
AMBER: Final = "#edae49"
GREY: Final = "#a9b4c0"

#: RFM class -> colour: important classes dark, general light, win-back warm.
CLASS_COLOURS: Final[dict[str, str]] = {
    "important_value": ACCENT,
    "important_retain": ACCENT,
    "important_develop": ACCENT,
    "important_winback": WARN,
    "general_value": ACCENT_2,
    "general_retain": ACCENT_2,
    "general_develop": ACCENT_2,
    "general_winback": AMBER,
}

#: Lifecycle tier -> colour: prospects grey, growing light, established dark, fading warm.
TIER_COLOURS: Final[dict[str, str]] = {
    "potential": GREY,
    "new": ACCENT_2,
    "repeat": ACCENT_2,
    "mature": ACCENT,
    "loyal": ACCENT,
    "sleeping": AMBER,
    "lost": WARN,
}


def rgb(colour: str) -> str:
    """``"#1f6f8b"`` -> ``"1F6F8B"`` (the form Excel styles and charts take)."""
    return colour.lstrip("#").upper()
