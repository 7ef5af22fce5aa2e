"""Playbook entries for loyalty and relationship levels, top referrers and the long tail."""

from __future__ import annotations

import re

import pytest

from xlcrm.core import loyalty, playbook, relationship
from xlcrm.core.longtail import tail_label
from xlcrm.core.referrals import top_referrers_label
from xlcrm.core.schema import LANGS

CJK = re.compile(r"[\u4e00-\u9fff]")
ENTRIES = [
    (kind, code, lang)
    for kind, codes in playbook.SEED_KINDS.items()
    for code in codes
    for lang in LANGS
]
TITLES = {
    "loyalty": loyalty.level_label,
    "relationship": relationship.level_label,
    "referral": lambda code, lang: top_referrers_label(lang),
    "long_tail": lambda code, lang: tail_label(lang),
}


@pytest.mark.parametrize(("kind", "code", "lang"), ENTRIES)
def test_every_seed_entry_is_complete_and_titled_like_its_label(kind, code, lang):
    entry = playbook.entry(kind, code, lang)
    assert set(entry) == set(playbook.FIELDS)
    assert len(entry["pitfalls"]) >= 2 and len(entry["actions"]) >= 3
    text = " ".join([entry["who"], *entry["pitfalls"], *entry["actions"]])
    assert bool(CJK.search(text)) == (lang == "zh")
    assert entry["title"] == TITLES[kind](code, lang)


def test_every_level_has_an_entry():
    assert playbook.SEED_KINDS["loyalty"] == loyalty.LEVELS
    assert playbook.SEED_KINDS["relationship"] == relationship.LEVELS
