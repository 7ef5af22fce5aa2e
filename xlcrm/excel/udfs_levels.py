"""Worksheet functions for the loyalty and relationship levels: =LOYALTY_LEVEL(),
=RELATIONSHIP_LEVEL().

They follow :mod:`xlcrm.excel.udfs` (whose helpers they use and which exports
them, so Excel and xlwings Lite find them there): decorators plus one call
into the core, per cell or on whole columns, a reason per bad cell.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from xlcrm.core import cells, loyalty, relationship, rfm, schema
from xlcrm.excel.udfs import (
    _RFM_DOCS,
    CATEGORY,
    ArgumentError,
    Column,
    _flat,
    check_lang,
    excel_errors,
    labels,
    numbers,
    optional_number,
    same_length,
    settings_with,
    spread,
)
from xlcrm.locale import N_

__all__ = ["loyalty_level", "relationship_level"]


def _raw(value: Any, name: str) -> Column:
    """Cells as Excel gave them (numbers or words), error values marked bad."""
    raw, single = _flat(value)
    parsed = cells.parse_text(raw)
    values = np.asarray(raw, dtype=object).copy()
    values[parsed.bad] = None
    return Column(values, parsed.bad, N_("{name} is an error"), single, name)


@xw.func(category=CATEGORY)
@xw.arg(
    "satisfaction", ndim=2, doc="Satisfaction 1-5 or words (very satisfied ... very dissatisfied)"
)
@xw.arg("repurchase", ndim=2, doc="Chance of buying again, 0-1 (the Value sheet's repurchase)")
@xw.arg("recommend", ndim=2, doc="Likely to recommend: very likely / possible / unlikely, or 0-10")
@xw.arg("lang", doc=_RFM_DOCS["lang"])
@excel_errors
def loyalty_level(satisfaction, repurchase, recommend, lang="en"):
    """Loyalty level (advocate, steady, at risk) from up to three indicators; names the missing."""
    lang = check_lang(lang)
    sat, rec = _raw(satisfaction, "satisfaction"), _raw(recommend, "recommend")
    rep = numbers(repurchase, "repurchase")
    n = same_length(sat, rep, rec)
    sat, rep, rec = spread(sat, n), spread(rep, n), spread(rec, n)
    score, odd_sat = loyalty.satisfaction_scores(sat.values)
    level_rec, _, odd_rec = loyalty.recommend_values(rec.values)
    with np.errstate(invalid="ignore"):
        odd_rep = (rep.values < 0) | (rep.values > 1)
    one = sat.single and rep.single and rec.single
    checks = (
        Column(
            sat.values, odd_sat & ~sat.bad, N_("{name} must be 1-5 or a word"), one, "satisfaction"
        ),
        Column(
            rep.values, odd_rep, N_("{name} must be a probability from 0 to 1"), one, "repurchase"
        ),
        Column(
            rec.values, odd_rec & ~rec.bad, N_("{name} must be 0-10 or a word"), one, "recommend"
        ),
    )
    found = loyalty.loyalty_levels(
        loyalty.satisfaction_indicator(score),
        loyalty.repurchase_indicator(np.where(odd_rep, np.nan, rep.values)),
        level_rec,
    )
    words = loyalty.describe_loyalty(found["loyalty_level"], found["loyalty_missing"], lang)
    words[pd.isna(found["loyalty_level"]).to_numpy()] = None
    return labels(words, str, sat, rep, rec, *checks, lang=lang)


@xw.func(category=CATEGORY)
@xw.arg("share", ndim=2, doc="Share of customers 0-1, or a column of RFM classes (whole column)")
@xw.arg("margin", ndim=2, doc="Margin index (class margin / average), or the margin column")
@xw.arg("lang", doc=_RFM_DOCS["lang"])
@xw.arg("few_share", doc="Few customers below this share (default 0.1)")
@xw.arg("many_share", doc="Many customers from this share (default 0.25)")
@xw.arg("low_margin", doc="Low margin below this index (default 0.5)")
@xw.arg("high_margin", doc="High margin from this index (default 1.5)")
@excel_errors
def relationship_level(
    share, margin, lang="en", few_share=None, many_share=None, low_margin=None, high_margin=None
):
    """Kotler's relationship level (basic ... partnership) from customer share and margin."""
    lang = check_lang(lang)
    settings = settings_with(
        relationship_few_share=optional_number(few_share, "few_share"),
        relationship_many_share=optional_number(many_share, "many_share"),
        relationship_low_margin=optional_number(low_margin, "low_margin"),
        relationship_high_margin=optional_number(high_margin, "high_margin"),
    )
    cuts = {
        "few_share": settings.relationship_few_share,
        "many_share": settings.relationship_many_share,
        "low_margin": settings.relationship_low_margin,
        "high_margin": settings.relationship_high_margin,
    }
    first = _raw(share, "share")
    m = numbers(margin, "margin")
    n = same_length(first, m)
    first, m = spread(first, n), spread(m, n)

    def name(code: str) -> str:
        return relationship.level_label(code, lang)

    codes, uniques = pd.factorize(first.values)
    known = np.array([schema.code_for_label(str(u), "class") for u in uniques] + [None])
    classes = known.astype(object)[np.where(codes < 0, len(uniques), codes)]
    if pd.isna(classes).all():
        shares = rfm.as_floats(first.values)
        odd = pd.isna(shares) & pd.notna(first.values)
        check = Column(
            first.values, odd, N_("{name} must be a number from 0 to 1"), first.single, "share"
        )
        found = relationship.relationship_levels(shares, m.values, **cuts)
        return labels(found["level"], name, first, m, check, lang=lang)
    # a column of RFM classes: each row gets its class's level, as xlcrm analyze does
    if first.single:
        raise ArgumentError(N_("give a share and a margin index, or whole columns of classes"))
    odd = pd.isna(classes) & pd.notna(first.values)
    table = relationship.relationship_table(classes, m.values, **cuts)
    level_of = dict(zip(table["rfm_class"], table["level"], strict=True))
    levels = pd.Series(classes, dtype=object).map(level_of).to_numpy(dtype=object)
    check = Column(
        first.values, odd, N_("{name} must be an RFM class like the others"), False, "share"
    )
    return labels(levels, name, first, m, check, lang=lang)
