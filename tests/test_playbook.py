"""The bilingual playbook covers every class, segment, tier, grade and action."""

from __future__ import annotations

import itertools
import re

import pytest

from xlcrm.core import playbook, schema
from xlcrm.core.schema import GRADE_LABELS, LABELS, LANGS, RFM_CLASSES, TIER_LABELS, TIERS

CJK = re.compile(r"[\u4e00-\u9fff]")
ENTRIES = [
    (kind, code, lang) for kind, codes in playbook.KINDS.items() for code in codes for lang in LANGS
]


@pytest.mark.parametrize(("kind", "code", "lang"), ENTRIES)
def test_every_entry_has_title_who_pitfalls_and_actions(kind, code, lang):
    entry = playbook.entry(kind, code, lang)
    assert set(entry) == set(playbook.FIELDS)
    assert entry["title"] and entry["who"]
    assert len(entry["pitfalls"]) >= 2 and all(entry["pitfalls"])
    assert len(entry["actions"]) >= 3 and all(entry["actions"])
    text = " ".join([entry["who"], *entry["pitfalls"], *entry["actions"]])
    assert bool(CJK.search(text)) == (lang == "zh")


@pytest.mark.parametrize(("kind", "code", "lang"), ENTRIES)
def test_titles_match_the_schema_labels(kind, code, lang):
    labels = {"tier": TIER_LABELS, "grade": GRADE_LABELS}.get(kind, LABELS)
    assert playbook.entry(kind, code, lang)["title"] == labels[code][lang]


@pytest.mark.parametrize("key", playbook.ACTION_KEYS)
def test_every_action_key_has_text_in_both_languages(key):
    assert playbook.action_text(key, "en").isascii()
    assert CJK.search(playbook.action_text(key, "zh"))


def test_every_tier_class_and_warning_combination_has_an_action():
    combos = list(itertools.product([*TIERS], [*RFM_CLASSES, None], [False, True]))
    tiers, classes, warned = zip(*combos, strict=True)
    keys = playbook.action_keys(list(tiers), list(classes), list(warned))
    assert set(keys) == set(playbook.ACTION_KEYS)


@pytest.mark.parametrize(
    ("tier", "rfm_class", "warned", "key"),
    [
        ("potential", None, False, "potential"),
        ("new", "important_develop", False, "new_important"),
        ("repeat", "general_value", True, "churn_general"),
        ("loyal", "important_value", True, "churn_important"),
        ("sleeping", "important_retain", True, "sleeping_important"),
        ("lost", "general_winback", False, "lost_general"),
    ],
)
def test_action_key_from_tier_class_and_warning(tier, rfm_class, warned, key):
    assert playbook.action_keys([tier], [rfm_class], [warned]).tolist() == [key]


def test_entry_returns_a_copy():
    playbook.entry("tier", "new", "en")["actions"].clear()
    assert playbook.entry("tier", "new", "en")["actions"]


def test_unknown_codes_and_languages_raise_key_error():
    with pytest.raises(KeyError):
        playbook.entry("tier", "nope", "en")
    with pytest.raises(KeyError):
        playbook.action_text("potential", "fr")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_segment_and_tier_labels_never_collide(lang):
    segments = {schema.label(code, lang).casefold() for code in schema.SEGMENTS}
    tiers = {schema.tier_label(code, lang).casefold() for code in schema.TIERS}
    classes = {schema.label(code, lang).casefold() for code in schema.RFM_CLASSES}
    assert not segments & tiers
    assert not segments & classes and not tiers & classes
