"""The sales funnel's stages: their order, their names and the words of deal status.

A funnel is an ordered list of :class:`Stage`. The default is lead ->
qualified -> proposal -> negotiation -> won (线索, 商机, 报价, 谈判, 成交);
the last stage is the won stage. Each stage belongs to the pre-sale or the
in-sale phase (after-sale is measured from feedback and repeat purchases,
not as a deal stage). :func:`parse_stages` reads a list written on the
Settings sheet, e.g. ``"Lead/线索; Demo/演示; Quote; Won"``: entries
separated by ``;``, ``,``, ``、``, ``>``, ``→`` or new lines, each entry one or
more names of the same stage separated by ``/`` or ``|``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.errors import SettingsError
from xlcrm.core.schema import (
    DEAL_STATUS_WORDS,
    STAGE_LIST_SEPARATORS,
    STAGE_NAME_SEPARATORS,
    STAGE_WORDS,
    header_key,
)
from xlcrm.locale import N_, tp

__all__ = [
    "DEFAULT_IN_SALE_FROM",
    "DEFAULT_STAGES",
    "PHASES",
    "STATUSES",
    "Stage",
    "match_stages",
    "match_status",
    "parse_stages",
    "phase_label",
    "status_label",
]

#: Phases of a deal stage, in order.
PHASES: Final = ("pre_sale", "in_sale")
#: Deal status codes.
STATUSES: Final = ("open", "won", "lost")


def _default_label(code: str, lang: str) -> str:
    return {
        "lead": tp("funnel stage", "Lead", lang),
        "qualified": tp("funnel stage", "Qualified", lang),
        "proposal": tp("funnel stage", "Proposal", lang),
        "negotiation": tp("funnel stage", "Negotiation", lang),
        "won": tp("funnel stage", "Won", lang),
    }[code]


_STATUS_KEYS: Final = {
    header_key(w): code for code, words in DEAL_STATUS_WORDS.items() for w in words
}

DEFAULT_IN_SALE_FROM: Final = "proposal"


@dataclass(frozen=True)
class Stage:
    """One stage of the funnel.

    ``code`` is the default stage's code (``lead`` …) or, for a stage of the
    user's own, the first name written; ``names`` every name it may be
    written as; ``phase`` one of :data:`PHASES`.
    """

    code: str
    names: tuple[str, ...]
    phase: str
    default: bool = False

    def label(self, lang: str = "en") -> str:
        """The stage's name in ``lang``: the catalogue's for a default stage,
        else the first name written in that script (the first name when none is)."""
        if self.default:
            return _default_label(self.code, lang)
        cjk = [n for n in self.names if _has_cjk(n)]
        latin = [n for n in self.names if not _has_cjk(n)]
        pick = cjk if lang == "zh" else latin
        return (pick or list(self.names))[0]

    @property
    def keys(self) -> frozenset[str]:
        """Matching keys of every name of the stage."""
        return frozenset(header_key(n) for n in self.names) - {""}


def _has_cjk(text: str) -> bool:
    return any(0x3400 <= ord(ch) <= 0x9FFF for ch in text)


def _default_stage(code: str, phase: str, extra: tuple[str, ...] = ()) -> Stage:
    names = tuple(dict.fromkeys((*extra, *STAGE_WORDS[code])))
    return Stage(code, names, phase, default=True)


DEFAULT_STAGES: Final = (
    _default_stage("lead", "pre_sale"),
    _default_stage("qualified", "pre_sale"),
    _default_stage("proposal", "in_sale"),
    _default_stage("negotiation", "in_sale"),
    _default_stage("won", "in_sale"),
)

_ENTRY_SEPARATORS: Final = re.compile(STAGE_LIST_SEPARATORS)
_NAME_SEPARATORS: Final = re.compile(STAGE_NAME_SEPARATORS)
_DEFAULT_KEYS: Final = {header_key(w): code for code, words in STAGE_WORDS.items() for w in words}


def _entries(value: Any) -> list[list[str]]:
    parts = _ENTRY_SEPARATORS.split(value) if isinstance(value, str) else [str(v) for v in value]
    entries = []
    for part in parts:
        names = [n.strip() for n in _NAME_SEPARATORS.split(part) if n.strip()]
        if names:
            entries.append(names)
    return entries


def parse_stages(
    value: Any = None, in_sale_from: Any = None, *, key: str = "funnel_stages"
) -> tuple[Stage, ...]:
    """The funnel's stages from a Settings list (None: :data:`DEFAULT_STAGES`).

    An entry whose name is a word of a default stage becomes that stage (so
    ``线索; 商机; 报价; 谈判; 成交`` is the default funnel, shown in either
    language). Stages before ``in_sale_from`` (a stage name, default
    ``proposal``) are pre-sale, the others in-sale. The last stage is the won
    stage.

    Raises
    ------
    SettingsError
        Fewer than two stages, a name used twice, or an ``in_sale_from``
        that is not one of the stages; the error names ``key``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        entries = [[stage.names[0]] for stage in DEFAULT_STAGES]
    else:
        entries = _entries(value)
    if len(entries) < 2:
        raise SettingsError(
            N_("setting {key} needs at least two stages in order, e.g. lead; proposal; won"),
            column=key,
            args={"key": key},
        )
    seen: dict[str, str] = {}
    built: list[tuple[str, tuple[str, ...], bool]] = []
    for names in entries:
        codes = {_DEFAULT_KEYS.get(header_key(n)) for n in names} - {None}
        code: str | None = str(next(iter(codes))) if len(codes) == 1 else None
        twice = [n for n in names if header_key(n) in seen]
        if code is not None and code in seen.values():
            twice.append(names[0])
        if twice:
            raise SettingsError(
                N_("setting {key} names the stage {value!r} twice"),
                column=key,
                args={"key": key, "value": twice[0]},
            )
        for name in names:
            seen[header_key(name)] = code or names[0]
        if code is not None:
            built.append((code, tuple(dict.fromkeys((*names, *STAGE_WORDS[code]))), True))
        else:
            built.append((names[0], tuple(names), False))
    boundary = DEFAULT_IN_SALE_FROM if in_sale_from in (None, "") else str(in_sale_from)
    wanted = header_key(boundary)
    hits = [
        i for i, (code, names, _) in enumerate(built) if wanted in {header_key(n) for n in names}
    ]
    if not hits:
        if in_sale_from in (None, ""):
            hits = [max(1, len(built) - 3)]  # custom stages: the last three are in-sale
        else:
            raise SettingsError(
                N_("setting {key}: {value!r} is not one of the funnel stages"),
                column="funnel_in_sale_from",
                args={"key": "funnel_in_sale_from", "value": boundary},
            )
    first_in = hits[0]
    return tuple(
        Stage(code, names, "pre_sale" if i < first_in else "in_sale", default)
        for i, (code, names, default) in enumerate(built)
    )


def match_stages(values: Any, stages: Sequence[Stage]) -> tuple[np.ndarray, np.ndarray]:
    """Position of each value in ``stages`` (-1 when not a stage) and its status
    word (``open``/``won``/``lost``/``reopened`` or None), one lookup per
    distinct value. The won stage's words are a stage, not a status."""
    array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(np.asarray(array, dtype=object))
    lookup: dict[str, int] = {}
    for index, stage in enumerate(stages):
        for k in stage.keys:
            lookup.setdefault(k, index)
    keys = [header_key(u) for u in uniques]
    position = np.array([lookup.get(k, -1) for k in keys] + [-1], dtype=np.int64)
    status = np.array(
        [None if lookup.get(k, -1) >= 0 else _STATUS_KEYS.get(k) for k in keys] + [None],
        dtype=object,
    )
    take = np.where(codes < 0, len(keys), codes)
    return position[take], status[take]


def match_status(values: Any) -> np.ndarray:
    """Status code (``open``/``won``/``lost``/``reopened``) of each value, None when
    blank or not a status word."""
    array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(np.asarray(array, dtype=object))
    found = np.array([_STATUS_KEYS.get(header_key(u)) for u in uniques] + [None], dtype=object)
    return found[np.where(codes < 0, len(uniques), codes)]


def status_label(code: str, lang: str = "en") -> str:
    """A deal status in ``lang``."""
    return {
        "open": tp("deal status", "Open", lang),
        "won": tp("deal status", "Won", lang),
        "lost": tp("deal status", "Lost", lang),
    }[code]


def phase_label(code: str, lang: str = "en") -> str:
    """A funnel phase in ``lang``."""
    return {
        "pre_sale": tp("funnel phase", "Pre-sale", lang),
        "in_sale": tp("funnel phase", "In-sale", lang),
    }[code]
