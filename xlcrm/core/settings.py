"""Every threshold and cadence xlcrm uses, with its default.

One frozen :class:`Settings` object travels from the adapters into the core.
Precedence is applied by the adapters: command-line option > Settings sheet >
default. :func:`settings_from_mapping` reads the key/value pairs of a Settings
sheet (English or Chinese keys) and reports unknown or invalid ones by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from xlcrm.core.errors import SettingsError
from xlcrm.locale import N_

THRESHOLD_METHODS: Final = ("mean", "median", "fixed", "score")
#: Data rows an Excel sheet holds (1,048,576 rows less the header).
SHEET_ROWS_MAX: Final = 1_048_575


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
    currency: str = ""
    # value model (BG/NBD + Gamma-Gamma, xlcrm.core.value)
    value_model: bool = True
    value_horizon_days: int = 90
    value_monthly_discount: float = 0.01
    churn_p_alive: float = 0.3

    def __post_init__(self) -> None:
        if self.threshold_method not in THRESHOLD_METHODS:
            raise SettingsError(
                f"threshold_method must be one of {', '.join(THRESHOLD_METHODS)}, "
                f"not {self.threshold_method!r}",
                column="threshold_method",
            )
        if self.threshold_method == "fixed" and None in (
            self.fixed_recency_days,
            self.fixed_frequency,
            self.fixed_monetary,
        ):
            raise SettingsError(
                "threshold_method 'fixed' needs fixed_recency_days, fixed_frequency "
                "and fixed_monetary",
                column="threshold_method",
            )
        if self.language not in ("en", "zh"):
            raise SettingsError(
                f"language must be 'en' or 'zh', not {self.language!r}", column="language"
            )
        if not 0 < self.abc_a_share < self.abc_b_share <= 1:
            raise SettingsError("abc shares must satisfy 0 < abc_a_share < abc_b_share <= 1")
        if not 0 < self.pareto_top_share <= 1:
            raise SettingsError("pareto_top_share must be in (0, 1]")
        if not self.sleep_days <= self.lost_days:
            raise SettingsError("sleep_days must not exceed lost_days", column="sleep_days")
        for name in ("cadence_a", "cadence_b", "cadence_c", "cadence_d", "cadence_e"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1 day", column=name)
        if not 1 <= self.sheet_customer_limit <= SHEET_ROWS_MAX:
            raise SettingsError(
                N_("sheet_customer_limit must be a whole number from 1 to {most}"),
                column="sheet_customer_limit",
                args={"most": f"{SHEET_ROWS_MAX:,}"},
            )
        self._check_value_model()

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
    # value model
    "价值模型": "value_model",
    "预测天数": "value_horizon_days",
    "月折现率": "value_monthly_discount",
    "流失预警存活概率": "churn_p_alive",
    "工作表客户上限": "sheet_customer_limit",
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


def normalise_key(key: str) -> str:
    """Lower-case, spaces and dashes to underscores; Chinese kept as is."""
    return "_".join(str(key).strip().casefold().replace("-", " ").split())


def _coerce(name: str, kind: type, value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind is bool:
        text = str(value).strip().casefold()
        if text in _BOOL_TRUE:
            return True
        if text in _BOOL_FALSE:
            return False
        raise SettingsError(f"setting {name!r} must be yes or no, not {value!r}", column=name)
    if kind in (int, float):
        try:
            number = float(str(value).strip().replace(",", ""))
        except ValueError:
            raise SettingsError(
                f"setting {name!r} must be a number, not {value!r}", column=name
            ) from None
        if kind is int:
            if not number.is_integer():
                raise SettingsError(
                    f"setting {name!r} must be a whole number, not {value!r}", column=name
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
        if coerced is not None:
            changes[name] = coerced
    return base.replace(**changes), unknown
