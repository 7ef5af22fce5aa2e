"""Settings of the follow-up, the pool and the call plan: values, Chinese keys and refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlcrm.cli import cli
from xlcrm.core.errors import SettingsError
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings, settings_from_mapping
from xlcrm.xlsx.reader import read_workbook

Make = Callable[..., Path]
D = dt.date
ORDERS = [["Customer ID", "Order Date", "Amount"], ["C1", D(2024, 6, 1), 10.0]]


def test_defaults_of_the_plan_and_the_buyers_cadence() -> None:
    s = DEFAULT_SETTINGS
    assert s.tier_cadence == {
        "new": 14,
        "repeat": 30,
        "mature": 30,
        "loyal": 30,
        "sleeping": 90,
        "lost": 365,
    }
    assert s.class_cadence == {"important_value": 30}
    assert (s.plan_days, s.daily_calls, s.work_days) == (5, 20, (0, 1, 2, 3, 4))
    assert s.purchase_is_contact is True
    assert (s.pool_no_deal_days, s.pool_no_contact_days) == (None, None)
    assert (s.holidays, s.extra_workdays, s.owner_calls) == ((), (), ())


def test_list_values_are_read_in_english_and_chinese_forms() -> None:
    s, unknown = settings_from_mapping(
        {
            "Work days": "Mon-Fri",
            "节假日": "2026-10-01~2026-10-03；2026-01-01",
            "调休上班日": dt.datetime(2026, 10, 10),
            "负责人每日拜访数": "王芳：15; Ben Carter = 8",
            "重要价值客户跟进天数": "无",
            "公海未联系天数": 60,
            "购买算作联系": "否",
        }
    )
    assert unknown == []
    assert s.work_days == (0, 1, 2, 3, 4)
    assert s.holidays == (D(2026, 1, 1), D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 3))
    assert s.extra_workdays == (D(2026, 10, 10),)
    assert s.owner_calls == (("王芳", 15), ("Ben Carter", 8))
    assert s.calls_for(" ben carter ") == 8 and s.calls_for("Nobody") == 20
    assert s.cadence_important_value is None and s.class_cadence == {}
    assert s.pool_no_contact_days == 60
    assert s.purchase_is_contact is False


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("周一至周五", (0, 1, 2, 3, 4)),
        ("1-6", (0, 1, 2, 3, 4, 5)),
        ("Mon, Wed, Friday", (0, 2, 4)),
        ("Fri-Mon", (0, 4, 5, 6)),
        ("星期日", (6,)),
    ],
)
def test_work_days(text: str, days: tuple[int, ...]) -> None:
    assert settings_from_mapping({"work_days": text})[0].work_days == days


def test_a_blank_value_keeps_the_default() -> None:
    s, _ = settings_from_mapping({"cadence_important_value": "", "daily_calls": None})
    assert s.cadence_important_value == 30 and s.daily_calls == 20


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("work_days", "Funday"),
        ("holidays", "2026-13-45"),
        ("holidays", "2026-10-07~2026-10-01"),
        ("extra_workdays", "soon"),
        ("owner_calls", "Alice"),
        ("owner_calls", "Alice: lots"),
        ("plan_days", 0),
        ("plan_days", 61),
        ("daily_calls", -3),
        ("cadence_lost", 0),
        ("cadence_general_value", 0),
        ("pool_no_deal_days", "x"),
        ("purchase_is_contact", "maybe"),
    ],
)
def test_nonsense_is_refused_naming_the_key(key: str, value: object) -> None:
    with pytest.raises(SettingsError) as info:
        settings_from_mapping({key: value})
    assert info.value.column == key
    assert key in info.value.render("en") or key in info.value.where("en")


def test_no_working_day_at_all_is_refused() -> None:
    with pytest.raises(SettingsError):
        Settings(work_days=())


def test_a_bad_plan_setting_on_the_sheet_names_key_and_row(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": ORDERS,
            "Settings": [
                ["Setting", "Value"],
                ["company", "X"],
                ["holidays", "2026-10-01, tomorrow"],
            ],
        }
    )
    with pytest.raises(SettingsError) as info:
        read_workbook(path)
    assert (info.value.sheet, info.value.row, info.value.column) == ("Settings", 3, "holidays")


def test_a_bad_plan_setting_exits_2_with_one_line_in_chinese(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": ORDERS,
            "Settings": [["Setting", "Value"], ["每日拜访数", 0]],
        }
    )
    result = CliRunner().invoke(
        cli, ["analyze", str(path), "--lang", "zh", "--as-of", "2024-06-30"]
    )
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert "第 2 行" in line and "每日拜访数" in line and "Traceback" not in result.output
