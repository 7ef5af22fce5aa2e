"""Bilingual playbook: what each RFM class, named segment, lifecycle tier and
A-E grade means, what typically goes wrong, and what to do.

The text lives in ``playbook.toml`` next to this file (package data, read
with :mod:`importlib.resources`), so it can be edited without touching code.
Entries are looked up by kind and code::

    entry("class", "important_value", "zh")["actions"]
    action_text(action_key, "en")

Every customer in ``Analysis.customers`` carries an ``action_key`` chosen by
:func:`action_keys` from its tier, RFM class and churn warning.
"""

from __future__ import annotations

import copy
import tomllib
from functools import cache
from importlib import resources
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.schema import GRADES, LANGS, RFM_CLASSES, SEGMENTS, TIERS

__all__ = [
    "ACTION_KEYS",
    "FIELDS",
    "KINDS",
    "SEED_KINDS",
    "action_keys",
    "action_text",
    "entry",
    "load",
]

#: Kinds of entries and the codes each must cover.
KINDS: Final[dict[str, tuple[str, ...]]] = {
    "class": tuple(RFM_CLASSES),
    "segment": tuple(SEGMENTS),
    "tier": tuple(TIERS),
    "grade": tuple(GRADES),
}

#: Entries for the loyalty levels, Kotler's relationship levels, top referrers
#: and the long tail (titles are the labels of ``seed_title``).
SEED_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "loyalty": ("advocate", "steady", "at_risk"),
    "relationship": ("basic", "reactive", "accountable", "proactive", "partnership"),
    "referral": ("top_referrers",),
    "long_tail": ("tail",),
}

#: Fields of every entry, per language.
FIELDS: Final = ("title", "who", "pitfalls", "actions")

#: Recommended-action keys: the tier (or the churn warning), and for buyers
#: whether the customer's money is important (M high) or general.
ACTION_KEYS: Final = (
    "potential",
    *(
        f"{stage}_{weight}"
        for stage in ("new", "repeat", "mature", "loyal", "churn", "sleeping", "lost")
        for weight in ("important", "general")
    ),
)


@cache
def _load() -> dict[str, Any]:
    text = resources.files(__name__).joinpath("playbook.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load() -> dict[str, Any]:
    """The whole playbook as nested dicts (a copy: changing it changes nothing)."""
    return copy.deepcopy(_load())


def entry(kind: str, code: str, lang: str = "en") -> dict[str, Any]:
    """One entry: ``title``, ``who``, ``pitfalls`` (list), ``actions`` (list).

    ``kind`` is ``"class"``, ``"segment"``, ``"tier"`` or ``"grade"`` (or one of
    :data:`SEED_KINDS`); ``lang`` ``"en"`` or ``"zh"``. Raises ``KeyError``
    for an unknown kind or code.
    """
    if lang not in LANGS:
        raise KeyError(f"unknown language {lang!r}")
    return copy.deepcopy(_load()[kind][code][lang])


def action_text(action_key: str, lang: str = "en") -> str:
    """The recommended action for an ``action_key`` (see :data:`ACTION_KEYS`)."""
    if lang not in LANGS:
        raise KeyError(f"unknown language {lang!r}")
    return str(_load()["action"][action_key][lang])


def action_keys(tier: Any, rfm_class: Any, churn_warning: Any = False) -> np.ndarray:
    """Action key per customer from its tier, RFM class and churn warning.

    Prospects get ``potential``. Buyers get ``<stage>_<weight>``: the stage
    is ``lost`` or ``sleeping`` when the tier says so, else ``churn`` when a
    churn warning is raised, else the tier; the weight is ``important`` for
    the four important RFM classes (M high), else ``general``.
    """
    tier_index = pd.Index(TIERS).get_indexer(pd.Index(_objects(tier)))
    classes = _objects(rfm_class)
    important = pd.Index(RFM_CLASSES[:4]).get_indexer(pd.Index(classes)) >= 0
    warned = np.broadcast_to(np.asarray(churn_warning, dtype=bool), tier_index.shape)
    return keys_by_index(tier_index, important, warned)


def _key(tier: str, important: bool, warned: bool) -> str:
    if tier == "potential":
        return "potential"
    stage = "churn" if warned and tier not in ("sleeping", "lost") else tier
    return f"{stage}_{'important' if important else 'general'}"


#: ``_KEY_TABLE[tier index, important, warned]``; the last tier row is for unknown tiers.
_KEY_TABLE: Final = np.array(
    [
        [[_key(tier, bool(imp), bool(warn)) for warn in (0, 1)] for imp in (0, 1)]
        for tier in (*TIERS, "potential")
    ],
    dtype=object,
)


def keys_by_index(tier_index: np.ndarray, important: np.ndarray, warned: np.ndarray) -> np.ndarray:
    """:func:`action_keys` from a position in ``schema.TIERS`` (-1: unknown -> potential)."""
    tiers = np.where(tier_index < 0, len(TIERS), tier_index)
    keys: np.ndarray = _KEY_TABLE[tiers, important.astype(np.int64), warned.astype(np.int64)]
    return keys


def _objects(values: Any) -> np.ndarray:
    if isinstance(values, str) or values is None:
        values = [values]
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object)
    return np.asarray(values, dtype=object).reshape(-1)
