"""=LOYALTY_LEVEL() and =RELATIONSHIP_LEVEL(): per cell and on whole columns."""

from __future__ import annotations

from xlcrm.excel import udfs


def test_loyalty_level_per_cell_names_the_missing_indicator():
    assert udfs.loyalty_level(5, 0.8, 10) == "Advocate"
    assert udfs.loyalty_level(4, 0.5, None) == "Steady (without recommendation)"
    assert (
        udfs.loyalty_level("very dissatisfied", None, 9) == "Loyalty at risk (without repurchase)"
    )
    assert udfs.loyalty_level(None, None, None) == ""


def test_loyalty_level_on_columns_in_chinese_with_reasons():
    found = udfs.loyalty_level(
        [[5], ["满意"], [9], [4]],
        [[0.71], [0.7], [0.5], [1.5]],
        [[9], [8], [6], ["possible"]],
        "zh",
    )
    assert found == [
        ["拥护者"],
        ["态度平稳"],
        ["#VALUE! satisfaction 必须是 1–5 分或满意度词语"],
        ["#VALUE! repurchase 必须是 0 到 1 之间的概率"],
    ]


def test_relationship_level_from_share_and_margin_index():
    assert udfs.relationship_level(0.05, 2.0) == "Partnership"
    assert udfs.relationship_level(0.3, 0.2, "zh") == "基本型"
    assert udfs.relationship_level(0.3, 0.2, "en", 0.1, 0.5) == "Reactive"  # 30 % is now medium
    assert udfs.relationship_level([[0.1], ["x"]], [[1.0], [1.0]]) == [
        ["Accountable"],
        ["#VALUE! share must be a number from 0 to 1"],
    ]


def test_relationship_level_on_a_column_of_classes_matches_the_class_table():
    classes = [["Important value"]] + [["一般挽留客户"]] * 6 + [["General value"]] * 13
    margins = [[300.0]] + [[10.0]] * 6 + [[20.0]] * 13
    found = udfs.relationship_level(classes, margins)
    assert found[0] == ["Partnership"] and found[1] == ["Basic"] and found[-1] == ["Reactive"]
    assert udfs.relationship_level("Important value", 3.0).startswith("#VALUE! give a share")
