"""Every threshold and cadence xlcrm uses, with its default.

One frozen :class:`Settings` object travels from the adapters into the core.
Precedence is applied by the adapters: command-line option > Settings sheet >
default. :func:`settings_from_mapping` reads the key/value pairs of a Settings
sheet (English or Chinese keys) and reports unknown or invalid ones by name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from xlcrm.core.currency import MAX_DECIMALS, Currency, bad_symbol, currency_of
from xlcrm.core.errors import SettingsError
from xlcrm.core.schema import RFM_CLASSES
from xlcrm.locale import N_

THRESHOLD_METHODS: Final = ("mean", "median", "fixed", "score")
#: Data rows an Excel sheet holds (1,048,576 rows less the header).
SHEET_ROWS_MAX: Final = 1_048_575

#: Order statuses left out by default (matched ignoring case, spaces and
#: punctuation): closed, cancelled, refunded and voided orders are no sales.
DEFAULT_EXCLUDED_STATUSES: Final = (
    "closed, cancelled, canceled, refunded, voided, void, "
    "交易关闭, 已关闭, 订单关闭, 已取消, 取消, 交易取消, 退款成功, 已退款, 全额退款, 作废, 已作废"
)

# Whole numbers with a lower bound, and the bound.
_AT_LEAST: Final[dict[str, int]] = {
    "mature_orders": 1,
    "loyal_days": 1,
    "loyal_windows": 1,
    "window_days": 1,
    "sleep_days": 1,
    "lost_days": 1,
    "churn_min_purchases": 1,
    "grade_a_days": 1,
    "grade_b_days": 1,
    "grade_c_days": 1,
    "cadence_a": 1,
    "cadence_b": 1,
    "cadence_c": 1,
    "cadence_d": 1,
    "cadence_e": 1,
    "urgent_days": 0,
    "soon_days": 1,
    "not_urgent_days": 1,
    "agenda_days": 1,
    "top_customers": 1,
}
# Settings that must rise in this order (an earlier one below a later one).
_RISING: Final[tuple[tuple[str, str], ...]] = (
    ("grade_a_days", "grade_b_days"),
    ("grade_b_days", "grade_c_days"),
    ("urgent_days", "soon_days"),
    ("soon_days", "not_urgent_days"),
)
#: Lifecycle tiers of buying customers that have a cadence of their own
#: (prospects, tier "potential", follow the A-E grades).
CADENCE_TIERS: Final = ("new", "repeat", "mature", "loyal", "sleeping", "lost")


@dataclass(frozen=True)
class Settings:
    """Thresholds, cadences and presentation choices (all with defaults)."""

    # RFM high/low split
    threshold_method: str = "mean"
    fixed_recency_days: float | None = None
    fixed_frequency: float | None = None
    fixed_monetary: float | None = None
    # lifecycle tiers
    mature_orders: int = 10
    loyal_days: int = 365
    loyal_windows: int = 3
    window_days: int = 90
    sleep_days: int = 90
    lost_days: int = 365
    # churn warning
    churn_gap_factor: float = 2.0
    churn_min_purchases: int = 3
    churn_drop: float = 0.5
    # A-E grades: expected close within this many days
    grade_a_days: int = 30
    grade_b_days: int = 90
    grade_c_days: int = 180
    # follow-up cadence in days per grade
    cadence_a: int = 1
    cadence_b: int = 7
    cadence_c: int = 15
    cadence_d: int = 30
    cadence_e: int = 365
    # follow-up of buying customers without a grade: cadence per tier ...
    cadence_new: int = 14
    cadence_repeat: int = 30
    cadence_mature: int = 30
    cadence_loyal: int = 30
    cadence_sleeping: int = 90
    cadence_lost: int = 365
    # ... and per RFM class, which wins over the tier (None: the tier's)
    cadence_important_value: int | None = 30
    cadence_important_retain: int | None = None
    cadence_important_develop: int | None = None
    cadence_important_winback: int | None = None
    cadence_general_value: int | None = None
    cadence_general_retain: int | None = None
    cadence_general_develop: int | None = None
    cadence_general_winback: int | None = None
    # a purchase counts as a contact
    purchase_is_contact: bool = True
    # customer pool (公海): off when None
    pool_no_deal_days: int | None = None
    pool_no_contact_days: int | None = None
    # the daily call plan
    plan_days: int = 5
    daily_calls: int = 20
    owner_calls: tuple[tuple[str, int], ...] = ()
    work_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()
    # urgency from days until due
    urgent_days: int = 7
    soon_days: int = 30
    not_urgent_days: int = 90
    # Pareto / ABC
    pareto_top_share: float = 0.2
    abc_a_share: float = 0.8
    abc_b_share: float = 0.95
    # report
    agenda_days: int = 14
    top_customers: int = 10
    # output: above this many customers the full table goes to Parquet (docs/engines.md)
    sheet_customer_limit: int = 200_000
    # presentation and reading
    language: str = "en"
    company: str = "Sample Trading Co."
    day_first: bool = False
    currency: str = ""  # symbol or ISO code; "" = none (or the workbook's, see jobs)
    currency_decimals: int | None = None  # of single amounts; None = the currency's usual
    # value model (BG/NBD + Gamma-Gamma, xlcrm.core.value)
    value_model: bool = True
    value_horizon_days: int = 90
    value_monthly_discount: float = 0.01
    churn_p_alive: float = 0.3
    # sales funnel (xlcrm.core.funnel): stages in order, blank for the default
    # lead; qualified; proposal; negotiation; won
    funnel_stages: str = ""
    funnel_in_sale_from: str = ""
    funnel_stuck_days: int = 30
    # margin and Kotler's relationship levels (xlcrm.core.relationship)
    default_margin_rate: float = 0.3
    relationship_few_share: float = 0.1
    relationship_many_share: float = 0.25
    relationship_low_margin: float = 0.5
    relationship_high_margin: float = 1.5

    # reading
    excluded_statuses: str = DEFAULT_EXCLUDED_STATUSES
    merge_similar_ids: bool = False

    def __post_init__(self) -> None:
        if self.threshold_method not in THRESHOLD_METHODS:
            raise SettingsError(
                N_("{key} must be one of {choices}, not {value!r}"),
                column="threshold_method",
                args={
                    "key": "threshold_method",
                    "choices": ", ".join(THRESHOLD_METHODS),
                    "value": self.threshold_method,
                },
            )
        if self.threshold_method == "fixed" and None in (
            self.fixed_recency_days,
            self.fixed_frequency,
            self.fixed_monetary,
        ):
            raise SettingsError(
                N_(
                    "threshold_method 'fixed' needs fixed_recency_days, fixed_frequency "
                    "and fixed_monetary"
                ),
                column="threshold_method",
            )
        if self.language not in ("en", "zh"):
            raise SettingsError(
                N_("{key} must be one of {choices}, not {value!r}"),
                column="language",
                args={"key": "language", "choices": "en, zh", "value": self.language},
            )
        for name, low in _AT_LEAST.items():
            value = getattr(self, name)
            if value < low:
                raise SettingsError(
                    N_("{key} must be a whole number of at least {low}, not {value}"),
                    column=name,
                    args={"key": name, "low": low, "value": value},
                )
        for name in ("fixed_recency_days", "fixed_frequency", "fixed_monetary"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise SettingsError(
                    N_("{key} must not be negative, not {value}"),
                    column=name,
                    args={"key": name, "value": value},
                )
        if not self.churn_gap_factor > 0:
            raise SettingsError(
                N_("{key} must be more than 0, not {value}"),
                column="churn_gap_factor",
                args={"key": "churn_gap_factor", "value": self.churn_gap_factor},
            )
        for name in ("churn_drop", "pareto_top_share", "abc_a_share", "abc_b_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise SettingsError(
                    N_("{key} must be a share above 0 and at most 1, not {value}"),
                    column=name,
                    args={"key": name, "value": value},
                )
        rising: tuple[tuple[str, str], ...] = (*_RISING, ("abc_a_share", "abc_b_share"))
        for lower, upper in rising:
            if not getattr(self, lower) < getattr(self, upper):
                raise SettingsError(
                    N_("{key} ({value}) must be less than {other} ({other_value})"),
                    column=lower,
                    args={
                        "key": lower,
                        "value": getattr(self, lower),
                        "other": upper,
                        "other_value": getattr(self, upper),
                    },
                )
        if self.sleep_days > self.lost_days:
            raise SettingsError(
                N_("{key} ({value}) must not be more than {other} ({other_value})"),
                column="sleep_days",
                args={
                    "key": "sleep_days",
                    "value": self.sleep_days,
                    "other": "lost_days",
                    "other_value": self.lost_days,
                },
            )
        if not 1 <= self.sheet_customer_limit <= SHEET_ROWS_MAX:
            raise SettingsError(
                N_("sheet_customer_limit must be a whole number from 1 to {most}"),
                column="sheet_customer_limit",
                args={"most": f"{SHEET_ROWS_MAX:,}"},
            )
        self._check_value_model()
        self._check_currency()
        self._check_plan()
        self._check_seeds()

    def _check_seeds(self) -> None:
        """Funnel, margin and relationship settings (see docs/definitions.md)."""
        self.stages  # noqa: B018 - parsing the stage list checks it
        checks = (
            (
                "funnel_stuck_days",
                1 <= self.funnel_stuck_days <= 3650,
                N_("{key} must be a number of days from 1 to 3650, not {value}"),
            ),
            (
                "default_margin_rate",
                0 <= self.default_margin_rate <= 1,
                N_("{key} must be a share from 0 to 1 (0.3 means 30 percent), not {value}"),
            ),
            (
                "relationship_few_share",
                0 < self.relationship_few_share < 1,
                N_("{key} must be a share between 0 and 1, not {value}"),
            ),
            (
                "relationship_many_share",
                self.relationship_few_share < self.relationship_many_share <= 1,
                N_("{key} must be above relationship_few_share and at most 1, not {value}"),
            ),
            (
                "relationship_low_margin",
                self.relationship_low_margin >= 0,
                N_("{key} must be 0 or more, not {value}"),
            ),
            (
                "relationship_high_margin",
                self.relationship_low_margin < self.relationship_high_margin,
                N_("{key} must be above relationship_low_margin, not {value}"),
            ),
        )
        for key, ok, message in checks:
            if not ok:
                value = getattr(self, key)
                raise SettingsError(message, column=key, args={"key": key, "value": value})

    @property
    def stages(self) -> tuple[Any, ...]:
        """The funnel's stages (:func:`xlcrm.core.stages.parse_stages`)."""
        from xlcrm.core.stages import parse_stages  # stages imports errors and schema only

        return parse_stages(self.funnel_stages or None, self.funnel_in_sale_from or None)

    @property
    def excluded_status_keys(self) -> frozenset[str]:
        """The excluded order statuses in matching form (see :func:`status_key`)."""
        parts = re.split(r"[,，;；、|\n]+", self.excluded_statuses or "")
        return frozenset(key for key in map(status_key, parts) if key)

    def _check_value_model(self) -> None:
        checks = (
            (
                "value_horizon_days",
                1 <= self.value_horizon_days <= 3650,
                N_("{key} must be a number of days from 1 to 3650, not {value}"),
            ),
            (
                "value_monthly_discount",
                0 <= self.value_monthly_discount < 1,
                N_("{key} must be a monthly rate from 0 up to (not including) 1, not {value}"),
            ),
            (
                "churn_p_alive",
                0 <= self.churn_p_alive <= 1,
                N_("{key} must be a probability from 0 to 1, not {value}"),
            ),
        )
        for key, ok, message in checks:
            if not ok:
                value = getattr(self, key)
                raise SettingsError(message, column=key, args={"key": key, "value": value})

    def _check_currency(self) -> None:
        if bad_symbol(self.currency):
            raise SettingsError(
                N_(
                    "setting {key} must be a currency symbol or code such as ¥, $ or CNY, "
                    "not {value!r}"
                ),
                column="currency",
                args={"key": "currency", "value": self.currency},
            )
        decimals = self.currency_decimals
        if decimals is not None and not 0 <= decimals <= MAX_DECIMALS:
            raise SettingsError(
                N_("setting {key} must be a whole number from 0 to {high}, not {value}"),
                column="currency_decimals",
                args={"key": "currency_decimals", "high": MAX_DECIMALS, "value": decimals},
            )

    @property
    def money(self) -> Currency:
        """How amounts are shown: the currency's symbol and decimals."""
        return currency_of(self.currency, self.currency_decimals)

    def _check_plan(self) -> None:
        """Follow-up, pool and call-plan settings (see docs/definitions.md)."""
        at_least_one = [f"cadence_{tier}" for tier in CADENCE_TIERS]
        at_least_one += [f"cadence_{code}" for code in RFM_CLASSES]
        at_least_one += ["pool_no_deal_days", "pool_no_contact_days", "plan_days", "daily_calls"]
        for name in at_least_one:
            value = getattr(self, name)
            if value is not None and value < 1:
                raise SettingsError(
                    N_("setting {key} must be a whole number of at least 1, not {value}"),
                    column=name,
                    args={"key": name, "value": value},
                )
        if self.plan_days > MAX_PLAN_DAYS:
            raise SettingsError(
                N_("setting {key} must be at most {limit} working days, not {value}"),
                column="plan_days",
                args={"key": "plan_days", "limit": MAX_PLAN_DAYS, "value": self.plan_days},
            )
        for owner, calls in self.owner_calls:
            if calls < 0:
                raise SettingsError(
                    N_("setting {key}: {owner} cannot have {value} calls a day"),
                    column="owner_calls",
                    args={"key": "owner_calls", "owner": owner, "value": calls},
                )
        if not set(self.work_days) <= set(range(7)):
            raise SettingsError(
                N_("setting {key} must list days of the week"),
                column="work_days",
                args={"key": "work_days"},
            )
        if not self.work_days and not self.extra_workdays:
            raise SettingsError(
                N_("setting {key} leaves no working day"),
                column="work_days",
                args={"key": "work_days"},
            )

    @property
    def tier_cadence(self) -> dict[str, int]:
        """Follow-up cadence in days of buying customers without a grade, per tier."""
        return {tier: getattr(self, f"cadence_{tier}") for tier in CADENCE_TIERS}

    @property
    def class_cadence(self) -> dict[str, int]:
        """Cadence overrides per RFM class (only the classes that have one)."""
        found = {code: getattr(self, f"cadence_{code}") for code in RFM_CLASSES}
        return {code: days for code, days in found.items() if days is not None}

    def calls_for(self, owner: object) -> int:
        """Calls per working day of ``owner`` (``owner_calls``, else ``daily_calls``)."""
        wanted = str(owner).strip().casefold() if owner is not None else ""
        for name, calls in self.owner_calls:
            if name.strip().casefold() == wanted:
                return calls
        return self.daily_calls

    @property
    def cadence(self) -> dict[str, int]:
        """Follow-up cadence in days per grade A-E."""
        return {
            "A": self.cadence_a,
            "B": self.cadence_b,
            "C": self.cadence_c,
            "D": self.cadence_d,
            "E": self.cadence_e,
        }

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (validated)."""
        return dataclasses.replace(self, **changes)


#: Longest call plan, in working days.
MAX_PLAN_DAYS: Final = 60

DEFAULT_SETTINGS: Final = Settings()

# Chinese (and a few alternative English) names for Settings sheet keys.
SETTING_ALIASES: Final[dict[str, str]] = {
    "分层阈值方法": "threshold_method",
    "阈值方法": "threshold_method",
    "成熟客户订单数": "mature_orders",
    "沉睡天数": "sleep_days",
    "流失天数": "lost_days",
    "流失预警倍数": "churn_gap_factor",
    "a类跟进天数": "cadence_a",
    "b类跟进天数": "cadence_b",
    "c类跟进天数": "cadence_c",
    "d类跟进天数": "cadence_d",
    "e类跟进天数": "cadence_e",
    "语言": "language",
    "公司名称": "company",
    "公司": "company",
    "company_name": "company",
    "lang": "language",
    "日期先写日": "day_first",
    "货币": "currency",
    "币种": "currency",
    "货币小数位数": "currency_decimals",
    "金额小数位数": "currency_decimals",
    # more Chinese keys for the Settings sheet (reader)
    "固定最近天数": "fixed_recency_days",
    "固定频次": "fixed_frequency",
    "固定金额": "fixed_monetary",
    "忠诚天数": "loyal_days",
    "忠诚窗口数": "loyal_windows",
    "窗口天数": "window_days",
    "流失预警最少购买次数": "churn_min_purchases",
    "流失预警下降比例": "churn_drop",
    "a类成交天数": "grade_a_days",
    "b类成交天数": "grade_b_days",
    "c类成交天数": "grade_c_days",
    "紧急天数": "urgent_days",
    "缓急天数": "soon_days",
    "不紧急天数": "not_urgent_days",
    "头部客户比例": "pareto_top_share",
    "abc_a类占比": "abc_a_share",
    "abc_b类占比": "abc_b_share",
    "日程天数": "agenda_days",
    "重点客户数": "top_customers",
    "日在前": "day_first",
    "排除的订单状态": "excluded_statuses",
    "排除订单状态": "excluded_statuses",
    "合并相似客户编号": "merge_similar_ids",
    # value model
    "价值模型": "value_model",
    "预测天数": "value_horizon_days",
    "月折现率": "value_monthly_discount",
    "流失预警存活概率": "churn_p_alive",
    "工作表客户上限": "sheet_customer_limit",
    # follow-up of buying customers, customer pool, call plan
    "新客户跟进天数": "cadence_new",
    "复购客户跟进天数": "cadence_repeat",
    "成熟客户跟进天数": "cadence_mature",
    "忠诚客户跟进天数": "cadence_loyal",
    "沉睡客户跟进天数": "cadence_sleeping",
    "流失客户跟进天数": "cadence_lost",
    "重要价值客户跟进天数": "cadence_important_value",
    "重要保持客户跟进天数": "cadence_important_retain",
    "重要发展客户跟进天数": "cadence_important_develop",
    "重要挽留客户跟进天数": "cadence_important_winback",
    "一般价值客户跟进天数": "cadence_general_value",
    "一般保持客户跟进天数": "cadence_general_retain",
    "一般发展客户跟进天数": "cadence_general_develop",
    "一般挽留客户跟进天数": "cadence_general_winback",
    "购买算作联系": "purchase_is_contact",
    "公海未成交天数": "pool_no_deal_days",
    "公海未联系天数": "pool_no_contact_days",
    "计划天数": "plan_days",
    "每日拜访数": "daily_calls",
    "负责人每日拜访数": "owner_calls",
    "工作日": "work_days",
    "节假日": "holidays",
    "调休上班日": "extra_workdays",
    # sales funnel, margin, relationship levels
    "漏斗阶段": "funnel_stages",
    "销售阶段": "funnel_stages",
    "售中起始阶段": "funnel_in_sale_from",
    "商机停滞天数": "funnel_stuck_days",
    "默认毛利率": "default_margin_rate",
    "客户少占比": "relationship_few_share",
    "客户多占比": "relationship_many_share",
    "低毛利指数": "relationship_low_margin",
    "高毛利指数": "relationship_high_margin",
}

# Mail (SMTP) keys of the Settings sheet; read by xlcrm.mail, known to the reader.
# Settings sheet keys (after settings.normalise_key) -> SmtpConfig field.
MAIL_SHEET_KEYS: Final[dict[str, str]] = {
    "smtp_host": "host",
    "smtp_server": "host",
    "邮件服务器": "host",
    "smtp_port": "port",
    "邮件端口": "port",
    "smtp_user": "user",
    "smtp_username": "user",
    "邮件用户名": "user",
    "smtp_from": "sender",
    "email_from": "sender",
    "发件人": "sender",
    "smtp_security": "security",
    "邮件加密": "security",
    "smtp_cafile": "cafile",
}
# Settings sheet keys holding the default recipients of the whole brief (--to).
MAIL_RECIPIENT_KEYS: Final = frozenset({"email_to", "mail_to", "收件人", "邮件收件人"})
# Keys that must never hold a password; their presence is reported, the value ignored.
MAIL_PASSWORD_KEYS: Final = frozenset({"smtp_password", "smtp_pass", "邮件密码"})

MAIL_SETTING_KEYS: Final = frozenset(MAIL_SHEET_KEYS) | MAIL_RECIPIENT_KEYS | MAIL_PASSWORD_KEYS

_BOOL_TRUE: Final = {"1", "true", "yes", "y", "on", "是", "对"}
_BOOL_FALSE: Final = {"0", "false", "no", "n", "off", "否", "不"}
# An optional number (a class cadence, a pool limit) is switched off with one of these.
_NONE_WORDS: Final = {"none", "off", "no", "-", "无", "不用", "关闭", "否"}

_WEEKDAYS: Final[dict[str, int]] = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{f"周{c}": i for i, c in enumerate("一二三四五六日")},
    **{f"星期{c}": i for i, c in enumerate("一二三四五六日")},
    "周天": 6,
    "星期天": 6,
    **{str(i + 1): i for i in range(7)},
}
_LIST_SEPARATORS: Final = (";", "；", ",", "，", "、", "\n")
_RANGE_MARKS: Final = ("..", "~", "～", "至", "–", "—", " to ")


def _split_list(text: str) -> list[str]:
    for sep in _LIST_SEPARATORS[1:]:
        text = text.replace(sep, ";")
    return [part.strip() for part in text.split(";") if part.strip()]


def _range(part: str) -> tuple[str, str] | None:
    for mark in _RANGE_MARKS:
        if mark in part:
            low, _, high = part.partition(mark)
            return low.strip(), high.strip()
    return None


def parse_weekdays(name: str, value: object) -> tuple[int, ...]:
    """Working weekdays (0 = Monday) from text like "Mon-Fri", "1-5", "周一至周五"."""
    days: set[int] = set()
    for part in _split_list(str(value).strip()):
        span = _range(part) or (_range(part.replace("-", "~")) if "-" in part else None)
        ends = span or (part, part)
        try:
            low, high = (_WEEKDAYS[end.strip().rstrip(".").casefold()] for end in ends)
        except KeyError:
            raise SettingsError(
                N_("setting {key}: {value!r} is not a day of the week; write e.g. Mon-Fri"),
                column=name,
                args={"key": name, "value": part},
            ) from None
        days.update(range(low, high + 1) if low <= high else (*range(low, 7), *range(high + 1)))
    return tuple(sorted(days))


def _one_date(name: str, value: object, day_first: bool) -> dt.date:
    from xlcrm.core.cells import parse_date_value  # cells imports schema only

    try:
        stamp = parse_date_value(value, day_first=day_first)
    except ValueError:
        stamp = None
    if stamp is None:
        raise SettingsError(
            N_("setting {key}: {value!r} is not a date"),
            column=name,
            args={"key": name, "value": str(value)},
        )
    return stamp.date()


def parse_dates(name: str, value: object, *, day_first: bool = False) -> tuple[dt.date, ...]:
    """Dates and date ranges ("2026-10-01~2026-10-07"), separated by ; or , or new lines."""
    if isinstance(value, dt.date | dt.datetime) or not isinstance(value, str):
        return (_one_date(name, value, day_first),)
    found: set[dt.date] = set()
    for part in _split_list(value):
        span = _range(part)
        if span is None:
            found.add(_one_date(name, part, day_first))
            continue
        low, high = (_one_date(name, end, day_first) for end in span)
        if high < low or (high - low).days > 366:
            raise SettingsError(
                N_("setting {key}: {value!r} is not a range of at most a year"),
                column=name,
                args={"key": name, "value": part},
            )
        found.update(low + dt.timedelta(days=k) for k in range((high - low).days + 1))
    return tuple(sorted(found))


def parse_owner_calls(name: str, value: object) -> tuple[tuple[str, int], ...]:
    """Per-owner calls a day from text like "Alice: 15; Bob: 10" (负责人：次数)."""
    out: dict[str, tuple[str, int]] = {}
    text = str(value).replace("：", ":").replace("=", ":")
    for part in _split_list(text):
        owner, _, number = part.rpartition(":")
        try:
            calls = int(number.strip())
        except ValueError:
            calls = -1
        if not owner.strip() or calls < 0:
            raise SettingsError(
                N_("setting {key}: write owner and calls a day like 'Alice: 15', not {value!r}"),
                column=name,
                args={"key": name, "value": part},
            )
        out[owner.strip().casefold()] = (owner.strip(), calls)
    return tuple(out.values())


def status_key(text: object) -> str:
    """Matching form of an order status: case-folded, without spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def normalise_key(key: str) -> str:
    """Lower-case, spaces and dashes to underscores; Chinese kept as is."""
    return "_".join(str(key).strip().casefold().replace("-", " ").split())


_CLEARED: Final = object()  # an optional setting switched off on purpose


def _coerce(name: str, kind: type, value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if name in _OPTIONAL and str(value).strip().casefold() in _NONE_WORDS:
        return _CLEARED
    if name in _SPECIAL:
        return value  # parsed by settings_from_mapping, after day_first
    if kind is bool:
        text = str(value).strip().casefold()
        if text in _BOOL_TRUE:
            return True
        if text in _BOOL_FALSE:
            return False
        raise SettingsError(
            N_("{key} must be yes or no, not {value!r}"),
            column=name,
            args={"key": name, "value": value},
        )
    if kind in (int, float):
        try:
            number = float(str(value).strip().replace(",", ""))
            if not math.isfinite(number):
                raise ValueError(value)
        except ValueError:
            raise SettingsError(
                N_("{key} must be a number, not {value!r}"),
                column=name,
                args={"key": name, "value": value},
            ) from None
        if kind is int:
            if not number.is_integer():
                raise SettingsError(
                    N_("{key} must be a whole number, not {value!r}"),
                    column=name,
                    args={"key": name, "value": value},
                )
            return int(number)
        return number
    return str(value).strip()


def _field_types() -> dict[str, type]:
    kinds: dict[str, type] = {}
    for f in fields(Settings):
        text = str(f.type)
        if "bool" in text:
            kinds[f.name] = bool
        elif "int" in text:
            kinds[f.name] = int
        elif "float" in text:
            kinds[f.name] = float
        else:
            kinds[f.name] = str
    return kinds


# Settings whose value is a list: parsed by their own function.
_SPECIAL: Final = frozenset({"owner_calls", "work_days", "holidays", "extra_workdays"})
# Optional numbers (None = off or "use the tier's").
_OPTIONAL: Final = frozenset(
    {f"cadence_{code}" for code in RFM_CLASSES} | {"pool_no_deal_days", "pool_no_contact_days"}
)


def _parse_special(name: str, value: object, day_first: bool) -> object:
    if name == "owner_calls":
        return parse_owner_calls(name, value)
    if name == "work_days":
        return parse_weekdays(name, value)
    return parse_dates(name, value, day_first=day_first)


def settings_from_mapping(
    values: Mapping[str, object], base: Settings = DEFAULT_SETTINGS
) -> tuple[Settings, list[str]]:
    """Apply key/value pairs (e.g. from a Settings sheet) on top of ``base``.

    Returns the new settings and the keys that are not settings (the caller
    reports them; some, like ``as_of``, are read elsewhere). Mail keys
    (``smtp_host`` …) are known and skipped: xlcrm.mail reads them. An invalid value
    raises :class:`SettingsError` naming the setting.
    """
    kinds = _field_types()
    changes: dict[str, object] = {}
    unknown: list[str] = []
    for raw_key, value in values.items():
        key = normalise_key(raw_key)
        name = SETTING_ALIASES.get(key, key)
        if name in MAIL_SETTING_KEYS:
            continue  # read by xlcrm.mail from the raw values
        if name not in kinds:
            unknown.append(str(raw_key))
            continue
        coerced = _coerce(name, kinds[name], value)
        if coerced is _CLEARED:
            changes[name] = None
        elif coerced is not None:
            changes[name] = coerced
    day_first = bool(changes.get("day_first", base.day_first))
    for name in _SPECIAL & changes.keys():
        changes[name] = _parse_special(name, changes[name], day_first)
    return base.replace(**changes), unknown
