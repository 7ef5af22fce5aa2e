"""Kotler's relationship levels from the share of customers and the margin index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlcrm.core.relationship import (
    MATRIX,
    customer_margins,
    relationship_levels,
    relationship_table,
)


@pytest.mark.parametrize(
    ("share", "index", "level"),
    [
        (0.25, 1.5, "accountable"),
        (0.25, 1.49, "reactive"),
        (0.25, 0.4999, "basic"),
        (0.2499, 1.5, "proactive"),
        (0.10, 0.5, "accountable"),
        (0.10, 0.49, "reactive"),
        (0.0999, 1.5, "partnership"),
        (0.0999, 0.5, "proactive"),
        (0.0, -2.0, "accountable"),
        (1.0, 10.0, "accountable"),
    ],
)
def test_the_nine_cells_and_their_edges(share, index, level):
    assert relationship_levels(share, index)["level"].tolist() == [level]


def test_missing_or_impossible_inputs_give_no_level():
    found = relationship_levels([np.nan, 0.2, 1.5], [1.0, np.nan, 1.0])
    assert found["level"].tolist() == [None, None, None]


def test_the_matrix_is_kotlers():
    assert MATRIX["few"]["high"] == "partnership"
    assert MATRIX["many"]["low"] == "basic"
    assert {MATRIX[s][m] for s in MATRIX for m in MATRIX[s]} == {
        "basic",
        "reactive",
        "accountable",
        "proactive",
        "partnership",
    }


def test_margin_sources_in_order():
    margin, source = customer_margins(
        [100.0, 100.0, 100.0, 100.0, np.nan],
        margin=[30.0, np.nan, np.nan, np.nan, np.nan],
        cost=[np.nan, 80.0, np.nan, np.nan, np.nan],
        margin_rate=[np.nan, np.nan, 0.5, np.nan, np.nan],
        default_rate=0.25,
    )
    assert margin[:4].tolist() == [30.0, 20.0, 50.0, 25.0] and np.isnan(margin[4])
    assert source.tolist() == ["margin", "cost", "rate", "default", None]


def test_class_table_from_shares_and_margin_index():
    # 20 buyers: 1 important value (5 %), 6 general win-back (30 %), 13 general value (65 %)
    classes = ["important_value"] + ["general_winback"] * 6 + ["general_value"] * 13 + [None]
    margins = [300.0] + [10.0] * 6 + [20.0] * 13 + [np.nan]
    table = relationship_table(classes, margins).set_index("rfm_class")
    mean = (300 + 60 + 260) / 20  # 31 per buyer
    assert table.loc["important_value", "customer_share"] == 0.05
    assert table.loc["important_value", "margin_index"] == pytest.approx(300 / mean)
    assert table.loc["important_value", "level"] == "partnership"
    assert table.loc["general_winback", "margin_index"] == pytest.approx(10 / mean)
    assert table.loc["general_winback", "level"] == "basic"  # many, low
    assert table.loc["general_value", "level"] == "reactive"  # many (65 %), medium (0.65)
    assert pd.isna(table.loc["important_retain", "level"])
    assert table["customers"].sum() == 20


def test_thresholds_move_the_levels():
    classes = ["important_value"] * 3 + ["general_winback"] * 7
    margins = [100.0] * 3 + [10.0] * 7
    table = relationship_table(classes, margins, few_share=0.5, many_share=0.9)
    levels = dict(zip(table["rfm_class"], table["level"], strict=True))
    assert levels["important_value"] == "partnership"  # 30 % < 50 %: few; index 2.7
    assert levels["general_winback"] == "reactive"  # 70 %: medium; index 0.27: low
