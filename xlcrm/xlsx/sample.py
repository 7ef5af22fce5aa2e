"""The demo workbook: a realistic, reproducible customer book for a seed.

Two steps, kept apart so tests and benchmarks can use the first alone:

* :func:`generate_sample` builds the Customers, Orders and Activities frames
  (canonical columns, see ``docs/architecture.md``) with seeded numpy, fully
  vectorised: 100,000 customers and a million orders take under two seconds.
* :func:`write_sample` writes them, with a Settings sheet, as an ``.xlsx``
  workbook in English or Chinese (sheet names, headers and status words).

The book covers every case the analysis distinguishes: prospects who never
ordered (open leads with expected close dates and grades, lost leads),
new customers, one-off buyers, regulars, a few big accounts that make most of
the revenue (a quarter of them gone quiet), project buyers with a few large
orders, regulars who are slipping (long gap, not yet sleeping), customers
lapsed for months and for over a year, refunds (negative amounts), 6 sales
owners (one without an e-mail address) and call/visit/email/meeting logs.
Nothing reads the clock: the period ends at ``as_of`` (default 2026-06-30).

Status words written to the sheets (``deal_status``, ``need_status``,
activity ``kind``) are in the workbook's language, exactly as a user would
type them; :data:`DEAL_STATUSES`, :data:`NEED_STATUSES` and
:data:`ACTIVITY_KIND_LABELS` map the codes to those words.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from xlcrm import files
from xlcrm.core import schema
from xlcrm.core.errors import OutputError, SettingsError
from xlcrm.core.schema import ACTIVITY_KINDS
from xlcrm.core.settings import DEFAULT_SETTINGS, SETTING_ALIASES

DEFAULT_AS_OF: Final = pd.Timestamp("2026-06-30")
DEFAULT_CUSTOMERS: Final = 2_000
DEFAULT_SEED: Final = 2026
PERIOD_DAYS: Final = 729  # days before as_of: two years of orders ending at as_of
SAMPLE_MARK: Final = (
    "xlcrm-sample"  # in the workbook's keywords; lets `demo` overwrite its own files
)

# --- what the sheets are called ------------------------------------------------

SHEET_NAMES: Final = schema.INPUT_SHEET_NAMES

HEADERS: Final[dict[str, dict[str, str]]] = {
    "customer_id": {"en": "Customer ID", "zh": "客户编号"},
    "name": {"en": "Name", "zh": "客户名称"},
    "owner": {"en": "Owner", "zh": "负责人"},
    "created": {"en": "Created", "zh": "创建日期"},
    "grade": {"en": "Grade", "zh": "等级"},
    "expected_close": {"en": "Expected close", "zh": "预计成交日期"},
    "deal_status": {"en": "Deal status", "zh": "成交状态"},
    "need_status": {"en": "Need status", "zh": "需求状态"},
    "last_contact": {"en": "Last contact", "zh": "最后联系日期"},
    "order_id": {"en": "Order ID", "zh": "订单编号"},
    "order_date": {"en": "Order date", "zh": "下单日期"},
    "amount": {"en": "Amount", "zh": "订单金额"},
    "date": {"en": "Date", "zh": "跟进日期"},
    "kind": {"en": "Kind", "zh": "跟进方式"},
}

# Settings sheet: key/value table in A:B, owners table in D:E.
SETTINGS_HEADER: Final[dict[str, tuple[str, str]]] = {
    "en": ("Setting", "Value"),
    "zh": ("设置项", "值"),
}
OWNERS_HEADER: Final[dict[str, tuple[str, str]]] = {
    "en": ("Owner", "Email"),
    "zh": ("负责人", "邮箱"),
}
SETTING_KEYS: Final = (
    "as_of",
    "company",
    "language",
    "threshold_method",
    "mature_orders",
    "sleep_days",
    "lost_days",
    "cadence_a",
    "cadence_b",
    "cadence_c",
    "cadence_d",
    "cadence_e",
    "value_model",
    "value_horizon_days",
    "value_monthly_discount",
    "churn_p_alive",
    "sheet_customer_limit",
)

# Order frames use these in canonical column order.
CUSTOMER_FRAME_COLUMNS: Final = (
    "customer_id",
    "name",
    "owner",
    "created",
    "grade",
    "expected_close",
    "deal_status",
    "need_status",
    "last_contact",
)
ORDER_FRAME_COLUMNS: Final = ("order_id", "customer_id", "order_date", "amount")
ACTIVITY_FRAME_COLUMNS: Final = ("customer_id", "date", "kind")

DEAL_STATUSES: Final[dict[str, dict[str, str]]] = {
    "open": {"en": "Open", "zh": "跟进中"},
    "won": {"en": "Won", "zh": "已成交"},
    "lost": {"en": "Lost", "zh": "丢单"},
}
NEED_STATUSES: Final[dict[str, dict[str, str]]] = {
    "clear": {"en": "Clear", "zh": "需求明确"},
    "unclear": {"en": "Unclear", "zh": "需求不明"},
    "none": {"en": "No need", "zh": "无需求"},
}
ACTIVITY_KIND_LABELS: Final[dict[str, dict[str, str]]] = {
    "call": {"en": "Call", "zh": "电话"},
    "visit": {"en": "Visit", "zh": "拜访"},
    "email": {"en": "Email", "zh": "邮件"},
    "meeting": {"en": "Meeting", "zh": "会议"},
}

COMPANY: Final[dict[str, str]] = {"en": DEFAULT_SETTINGS.company, "zh": "示例贸易有限公司"}

# Six owners with uneven books; the last has no e-mail address on purpose so
# that `xlcrm mail` has a missing address to report.
OWNERS: Final[dict[str, tuple[tuple[str, str | None], ...]]] = {
    "en": (
        ("Alice Morgan", "alice.morgan@example.com"),
        ("Ben Carter", "ben.carter@example.com"),
        ("Chloe Nguyen", "chloe.nguyen@example.com"),
        ("David Okafor", "david.okafor@example.com"),
        ("Elena Rossi", "elena.rossi@example.com"),
        ("Farid Haddad", None),
    ),
    "zh": (
        ("王芳", "wang.fang@example.com"),
        ("李强", "li.qiang@example.com"),
        ("张伟", "zhang.wei@example.com"),
        ("刘洋", "liu.yang@example.com"),
        ("陈静", "chen.jing@example.com"),
        ("赵磊", None),
    ),
}
OWNER_WEIGHTS: Final = (0.24, 0.20, 0.18, 0.16, 0.12, 0.10)


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_EN_PREFIX: Final = _words(
    "Acme Alder Apex Arbor Atlas Aurora Beacon Birch Blue Bright Cedar Clear Cobalt "
    "Coastal Copper Crest Delta Eagle Evergreen Falcon Fern Granite Harbor Highland "
    "Horizon Iron Juniper Keystone Lake Linden Maple Meadow Metro North Oak Orchid "
    "Pacific Pine Pioneer Prairie Quartz Redwood Ridge River Sierra Silver Summit "
    "Sun Terra Union Valley Vista West Willow Zenith Lark Harper Morgan Sterling"
)
_EN_TRADE: Final = _words(
    "Bakery|Builders|Catering|Clinic|Coffee|Dental|Design|Electric|Engineering|"
    "Farms|Fitness|Florists|Foods|Freight|Furniture|Hardware|Health|Hotels|"
    "Interiors|Labs|Logistics|Machinery|Marine|Media|Motors|Office Supply|"
    "Optics|Outfitters|Packaging|Pharmacy|Plumbing|Print|Properties|Retail|"
    "Software|Solar|Supply|Textiles|Tools|Travel",
    sep="|",
)
_EN_SUFFIX: Final = ("Ltd", "Inc.", "LLC", "Co.", "Group", "& Sons")
_ZH_CITY: Final = _words(
    "北京 上海 广州 深圳 杭州 南京 苏州 成都 武汉 西安 重庆 天津 长沙 郑州 青岛 "
    "厦门 宁波 合肥 福州 济南 昆明 大连 沈阳 无锡 佛山 东莞 温州 南昌 石家庄 哈尔滨"
)
_ZH_BRAND: Final = _words(
    "华信 鼎盛 恒达 瑞丰 金源 宏图 嘉禾 永安 博远 天成 新特 联创 明德 盛世 中泰 "
    "汇通 安泰 海纳 卓越 百川 东方 鑫源 同创 德润 长城 光华 远航 晨光 和信 锦程 "
    "润邦 凯达 正泰 九州 华宇 佳美 信达 诚意 优品 青禾"
)
_ZH_TRADE: Final = _words(
    "贸易 科技 电子 机械 食品 建材 物流 医疗器械 服饰 印刷 包装 化工 家具 汽配 "
    "餐饮 广告 文化传媒 软件 环保 五金 照明 纺织 酒店用品 办公用品 茶业 农业 "
    "装饰工程 教育咨询 健康管理 母婴用品"
)
_ZH_SUFFIX: Final = ("有限公司", "有限公司", "股份有限公司", "商行")

# Archetypes and their share of the customer list. Order counts per type are
# tuned so that the default 2,000 customers place about 20,000 orders.
_KINDS: Final = (
    ("prospect", 0.18),
    ("new", 0.05),
    ("one_off", 0.17),
    ("regular", 0.29),
    ("big", 0.05),
    ("project", 0.03),
    ("slipping", 0.05),
    ("lapsed_months", 0.10),
    ("lapsed_year", 0.08),
)
_REFUND_RATE: Final = 0.015


@dataclass(frozen=True)
class Sample:
    """The generated book: canonical frames plus what the Settings sheet holds.

    Values in ``deal_status``, ``need_status`` and ``kind`` are the words of
    ``lang`` (what the workbook shows), not codes.
    """

    customers: pd.DataFrame
    orders: pd.DataFrame
    activities: pd.DataFrame
    owners: pd.DataFrame  # owner, email (None for one owner)
    as_of: pd.Timestamp
    lang: str
    company: str

    def settings_rows(self) -> list[tuple[str, object]]:
        """(key, value) pairs of the Settings sheet, keys in ``lang``."""
        values: dict[str, object] = {
            "as_of": self.as_of.date(),
            "company": self.company,
            "language": self.lang,
        }
        for key in SETTING_KEYS[3:]:
            values[key] = getattr(DEFAULT_SETTINGS, key)
        return [(setting_key(key, self.lang), values[key]) for key in SETTING_KEYS]


def setting_key(name: str, lang: str) -> str:
    """The key a Settings sheet in ``lang`` uses for setting ``name``.

    Chinese keys come from :data:`xlcrm.core.settings.SETTING_ALIASES` (the first
    alias listed for the setting), ``as_of`` is 分析日期; settings without a
    Chinese alias keep the English key.
    """
    if lang != "zh":
        return name
    if name == "as_of":
        return (
            "分析日期"  # not a Settings field; the reader's Chinese key (docs/workbook-format.md)
        )
    for alias, target in SETTING_ALIASES.items():
        if target == name and not alias.isascii():
            # aliases are stored normalised (case-folded); show "A类跟进天数"
            return alias[0].upper() + alias[1:] if alias[0].isascii() else alias
    return name


def _allocate(n: int, shares: Sequence[float]) -> np.ndarray:
    """Split ``n`` into integer counts proportional to ``shares`` (largest remainder)."""
    exact = np.asarray(shares, dtype=float) * n
    counts = np.floor(exact).astype(np.int64)
    rest = n - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:rest]] += 1
    return counts


def _uniform_int(rng: np.random.Generator, low: Any, high: Any, size: int) -> np.ndarray:
    """Integers in [low, high] (inclusive; arrays broadcast)."""
    low = np.asarray(low, dtype=np.int64)
    high = np.asarray(high, dtype=np.int64)
    return low + np.floor(rng.random(size) * (high - low + 1)).astype(np.int64)


def _company_names(rng: np.random.Generator, n: int, lang: str) -> np.ndarray:
    parts: tuple[tuple[str, ...], ...]
    if lang == "zh":
        parts = (_ZH_CITY, _ZH_BRAND, _ZH_TRADE, _ZH_SUFFIX)
        sep = ""
    else:
        parts = (_EN_PREFIX, _EN_TRADE, _EN_SUFFIX)
        sep = " "
    sizes = [len(p) for p in parts]
    total = int(np.prod(sizes))
    picks = rng.choice(total, size=n, replace=n > total)
    names = np.full(n, "", dtype=object)
    for i, (part, size) in enumerate(zip(parts, sizes, strict=True)):
        picks, index = np.divmod(picks, size)
        words = np.asarray(part, dtype=object)[index]
        names = words if i == 0 else names + sep + words
    return names


def generate_sample(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    lang: str = "en",
    as_of: pd.Timestamp | str | dt.date = DEFAULT_AS_OF,
) -> Sample:
    """Generate a reproducible customer book.

    Parameters
    ----------
    customers
        Number of customers (at least 10). Orders scale proportionally:
        about 10 orders per customer.
    seed
        Seed of the numpy random generator; the same seed and arguments give
        the same book.
    lang
        ``"en"`` or ``"zh"``: names, owners and status words.
    as_of
        End of the generated two-year period; no date lies after it.

    Returns
    -------
    Sample
        Customers sorted by creation date (ids ``C00001`` … in that order),
        orders sorted by date (ids ``SO-000001`` …), activities sorted by date.
    """
    if lang not in SHEET_NAMES["customers"]:
        raise SettingsError(f"language must be 'en' or 'zh', not {lang!r}", column="lang")
    if customers < 10:
        raise SettingsError(
            f"the sample needs at least 10 customers, not {customers}", column="customers"
        )
    as_of = pd.Timestamp(as_of).normalize()
    rng = np.random.default_rng(seed)
    n = int(customers)

    kinds = np.repeat(np.arange(len(_KINDS)), _allocate(n, [s for _, s in _KINDS]))
    kinds = rng.permutation(kinds)
    kind = np.asarray([name for name, _ in _KINDS], dtype=object)[kinds]

    def is_(*names: str) -> np.ndarray:
        return np.isin(kind, names)

    # --- order windows in "days before as_of": end (last purchase) <= start
    end = np.zeros(n, dtype=np.int64)
    span = np.zeros(n, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    pois = rng.poisson

    m = is_("new")
    end[m] = _uniform_int(rng, 0, 60, int(m.sum()))
    span[m] = _uniform_int(rng, 0, 25, int(m.sum()))
    count[m] = 1 + (rng.random(int(m.sum())) < 0.4)
    m = is_("one_off")
    end[m] = _uniform_int(rng, 0, PERIOD_DAYS, int(m.sum()))
    count[m] = 1
    m = is_("regular")
    end[m] = _uniform_int(rng, 0, 45, int(m.sum()))
    span[m] = _uniform_int(rng, 150, 700, int(m.sum()))
    count[m] = 3 + pois(14, int(m.sum()))
    m = is_("big")
    end[m] = _uniform_int(rng, 0, 20, int(m.sum()))
    span[m] = _uniform_int(rng, 480, 720, int(m.sum()))
    count[m] = 20 + pois(35, int(m.sum()))
    # a quarter of the big accounts went quiet: the ones sales must win back
    quiet = m & (rng.random(n) < 0.25)
    end[quiet] = _uniform_int(rng, 95, 330, n)[quiet]
    span[quiet] = np.minimum(span[quiet], PERIOD_DAYS - end[quiet])
    m = is_("project")  # a few large project orders, recent or long ago
    end[m] = _uniform_int(rng, 0, 500, int(m.sum()))
    span[m] = _uniform_int(rng, 0, 200, int(m.sum()))
    count[m] = 1 + pois(2, int(m.sum()))
    m = is_("slipping")  # frequent buyers whose last order is 2-3 months back
    end[m] = _uniform_int(rng, 60, 88, int(m.sum()))
    span[m] = _uniform_int(rng, 200, 600, int(m.sum()))
    count[m] = 8 + pois(8, int(m.sum()))
    m = is_("lapsed_months")
    end[m] = _uniform_int(rng, 100, 330, int(m.sum()))
    span[m] = _uniform_int(rng, 90, 400, int(m.sum()))
    count[m] = 2 + pois(6, int(m.sum()))
    m = is_("lapsed_year")
    end[m] = _uniform_int(rng, 370, 640, int(m.sum()))
    span[m] = _uniform_int(rng, 30, 300, int(m.sum()))
    count[m] = 1 + pois(4, int(m.sum()))
    start = np.minimum(end + span, PERIOD_DAYS)

    # --- orders: one block of rows per customer, no Python loop over orders
    buyer = np.repeat(np.arange(n), count)
    first_row = np.cumsum(count) - count
    pos = np.arange(buyer.size) - first_row[buyer]
    b_start, b_end = start[buyer], end[buyer]
    ago = b_end + np.floor(rng.random(buyer.size) * (b_start - b_end + 1)).astype(np.int64)
    ago = np.where(pos == 0, b_end, np.where(pos == 1, b_start, ago))

    # Pareto-like value: lognormal per customer, big accounts ten times larger
    base = np.exp(rng.normal(np.log(250.0), 0.7, n))
    big = is_("big")
    base[big] = np.exp(rng.normal(np.log(2500.0), 0.5, int(big.sum())))
    project = is_("project")
    base[project] = np.exp(rng.normal(np.log(12000.0), 0.4, int(project.sum())))
    amount = np.round(np.maximum(base[buyer] * np.exp(rng.normal(0.0, 0.4, buyer.size)), 5), 2)

    refund = rng.random(buyer.size) < _REFUND_RATE
    if not refund.any() and buyer.size:
        refund[int(np.argmax(amount))] = True
    share = rng.choice(np.array([1.0, 1.0, 0.5, 0.25]), size=int(refund.sum()))
    r_buyer = buyer[refund]
    r_ago = np.maximum(ago[refund] - _uniform_int(rng, 1, 30, int(refund.sum())), 0)
    r_amount = -np.round(amount[refund] * share, 2)

    o_buyer = np.concatenate([buyer, r_buyer])
    o_ago = np.concatenate([ago, r_ago])
    o_amount = np.concatenate([amount, r_amount])

    # --- customers: created before the first order (prospects: last 18 months)
    first_ago = np.full(n, -1, dtype=np.int64)
    np.maximum.at(first_ago, buyer, ago)
    prospect = is_("prospect")
    created_ago = np.where(
        prospect,
        _uniform_int(rng, 1, 540, n),
        first_ago + _uniform_int(rng, 0, 60, n),
    )
    # some customers who bought at the start of the period go back years
    veteran = (first_ago > 600) & (rng.random(n) < 0.5)
    created_ago[veteran] += _uniform_int(rng, 30, 1500, n)[veteran]

    # deal and need status, expected close and given grades
    deal = np.full(n, "won", dtype=object)
    need = np.full(n, None, dtype=object)
    close_in = np.full(n, np.nan)  # days after as_of
    grade = np.full(n, None, dtype=object)
    u = rng.random(n)
    p_open = prospect & (u < 0.6)
    p_lost = prospect & (u >= 0.6) & (u < 0.85)
    p_blank = prospect & (u >= 0.85)
    upsell = is_("regular", "big", "new") & (rng.random(n) < 0.10)
    is_open = p_open | upsell
    deal[p_open | upsell] = "open"
    deal[p_lost] = "lost"
    deal[p_blank] = None
    close_in[is_open] = _uniform_int(rng, -20, 240, n)[is_open]
    v = rng.random(n)
    need[is_open] = np.where(v < 0.6, "clear", "unclear")[is_open]
    need[p_lost] = np.where(v < 0.7, "none", "unclear")[p_lost]
    need[p_blank & (v < 0.5)] = "unclear"
    need[~prospect & ~is_open & (v < 0.3)] = "clear"
    derived = np.select(
        [close_in <= 30, close_in <= 90, close_in <= 180], ["A", "B", "C"], default="D"
    ).astype(object)
    derived[need == "unclear"] = "D"
    w = rng.random(n)
    grade[is_open & (w < 0.7)] = derived[is_open & (w < 0.7)]
    grade[p_lost & (w < 0.8)] = "E"
    others = ~prospect & ~is_open & (w < 0.2)
    grade[others] = rng.choice(
        np.array(["B", "C", "D", "E"], dtype=object), n, p=[0.2, 0.4, 0.3, 0.1]
    )[others]
    grade[others & is_("big")] = "A"

    owner_names = np.asarray([o for o, _ in OWNERS[lang]], dtype=object)
    owner = owner_names[rng.choice(len(owner_names), size=n, p=OWNER_WEIGHTS)]
    names = _company_names(rng, n, lang)

    # --- activities: counts and windows per archetype, dates uniform inside
    lam = np.select(
        [
            p_open,
            prospect,
            is_("new"),
            is_("one_off"),
            is_("regular"),
            big,
            is_("slipping"),
            is_("lapsed_months"),
        ],
        [5.0, 1.0, 2.5, 1.0, 4.0, 12.0, 4.0, 2.0],
        default=1.5,
    )
    a_count = rng.poisson(lam)
    a_count[p_open] += 1
    a_old = np.where(prospect, created_ago, np.minimum(start + 30, PERIOD_DAYS))
    a_new = np.where(
        prospect,
        np.where(p_open, 0, np.maximum(created_ago - 60, 0)),
        np.maximum(end - 30, 0),
    )
    a_new = np.where(is_("regular") | big | is_open, 0, a_new)
    a_new = np.minimum(a_new, a_old)
    who = np.repeat(np.arange(n), a_count)
    a_ago = a_new[who] + np.floor(rng.random(who.size) * (a_old[who] - a_new[who] + 1)).astype(
        np.int64
    )
    kind_p = [0.45, 0.15, 0.30, 0.10]
    a_kind = rng.choice(len(ACTIVITY_KINDS), size=who.size, p=kind_p)
    a_kind[np.isin(who, np.flatnonzero(big)) & (rng.random(who.size) < 0.3)] = 3  # meetings

    # last contact on the Customers sheet: usually the latest activity, sometimes
    # stale or blank (people forget to update it); some have a date but no log
    last_ago = np.full(n, PERIOD_DAYS * 10, dtype=np.int64)
    np.minimum.at(last_ago, who, a_ago)
    has_log = last_ago < PERIOD_DAYS * 10
    x = rng.random(n)
    lc_ago = np.where(
        has_log,
        np.where(x < 0.75, last_ago, last_ago + _uniform_int(rng, 5, 60, n)),
        _uniform_int(rng, a_new, a_old, n),
    ).astype(float)
    lc_ago[(has_log & (x > 0.9)) | (~has_log & (x < 0.6))] = np.nan

    # --- frames, customers numbered in order of creation
    order = np.lexsort((np.arange(n), -created_ago))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    width = max(5, len(str(n)))
    ids = np.asarray(
        pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width).radd("C"), dtype=object
    )
    day = np.timedelta64(1, "D")
    as_of64 = as_of.to_datetime64()

    def dates(days_ago: np.ndarray) -> np.ndarray:
        return (as_of64 - days_ago.astype("timedelta64[D]")).astype("datetime64[ns]")

    def words(codes: np.ndarray, table: dict[str, dict[str, str]]) -> np.ndarray:
        lookup = {code: labels[lang] for code, labels in table.items()}
        mapped = pd.Series(codes, dtype=object).map(lookup)
        return np.asarray(mapped.where(mapped.notna(), None), dtype=object)

    expected = np.where(
        np.isnan(close_in), np.datetime64("NaT"), as_of64 + np.nan_to_num(close_in) * day
    )
    last_contact = np.where(
        np.isnan(lc_ago), np.datetime64("NaT"), as_of64 - np.nan_to_num(lc_ago) * day
    )
    cust = pd.DataFrame(
        {
            "customer_id": ids[rank],
            "name": names,
            "owner": owner,
            "created": dates(created_ago),
            "grade": grade,
            "expected_close": expected.astype("datetime64[ns]"),
            "deal_status": words(deal, DEAL_STATUSES),
            "need_status": words(need, NEED_STATUSES),
            "last_contact": last_contact.astype("datetime64[ns]"),
        }
    )
    cust = cust.iloc[order].reset_index(drop=True)

    orders = pd.DataFrame(
        {
            "customer_id": ids[rank[o_buyer]],
            "order_date": dates(o_ago),
            "amount": o_amount.astype(float),
        }
    )
    orders = orders.sort_values(
        ["order_date", "customer_id", "amount"], ascending=[True, True, False], kind="stable"
    ).reset_index(drop=True)
    o_width = max(6, len(str(len(orders))))
    orders.insert(
        0,
        "order_id",
        pd.Series(np.arange(1, len(orders) + 1)).astype(str).str.zfill(o_width).radd("SO-"),
    )

    kind_words = np.asarray([ACTIVITY_KIND_LABELS[k][lang] for k in ACTIVITY_KINDS], dtype=object)
    acts = pd.DataFrame(
        {
            "customer_id": ids[rank[who]],
            "date": dates(a_ago),
            "kind": kind_words[a_kind],
        }
    )
    acts = acts.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)

    owners = pd.DataFrame(list(OWNERS[lang]), columns=["owner", "email"], dtype=object)
    return Sample(
        customers=cust,
        orders=orders,
        activities=acts,
        owners=owners,
        as_of=as_of,
        lang=lang,
        company=COMPANY[lang],
    )


# --- writing --------------------------------------------------------------------

_HEADER_FONT: Final = Font(bold=True, color="FFFFFF")
_HEADER_FILL: Final = PatternFill("solid", fgColor="1F4E78")
_HEADER_ALIGN: Final = Alignment(vertical="center")
_KEY_FONT: Final = Font(bold=True)
_THIN: Final = Border(bottom=Side(style="thin", color="1F4E78"))
_DATE_FORMAT: Final = "yyyy-mm-dd"
_MONEY_FORMAT: Final = "#,##0.00;[Red]-#,##0.00"

# column widths in characters, per canonical column
_WIDTHS: Final[dict[str, float]] = {
    "customer_id": 13,
    "name": 34,
    "owner": 16,
    "created": 13,
    "grade": 8,
    "expected_close": 16,
    "deal_status": 13,
    "need_status": 14,
    "last_contact": 14,
    "order_id": 13,
    "order_date": 13,
    "amount": 14,
    "date": 13,
    "kind": 11,
}
_DATE_COLUMNS: Final = frozenset(
    {"created", "expected_close", "last_contact", "order_date", "date"}
)
_TABLE_NAMES: Final = {"customers": "Customers", "orders": "Orders", "activities": "Activities"}


def _header_cell(ws: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    cell.alignment = _HEADER_ALIGN
    return cell


def _column_values(series: pd.Series) -> list[Any]:
    """Python values openpyxl can write: dates as ``date``, missing as None."""
    if series.name in _DATE_COLUMNS:
        dates = pd.to_datetime(series)
        out: list[Any] = [None] * len(series)
        mask = dates.notna().to_numpy()
        picked = dates[mask].dt.date.tolist()
        for i, value in zip(np.flatnonzero(mask).tolist(), picked, strict=True):
            out[i] = value
        return out
    if series.dtype.kind == "f":
        return [None if np.isnan(v) else float(v) for v in series.to_numpy()]
    return series.astype(object).where(series.notna(), None).tolist()


def _write_table(wb: Workbook, key: str, frame: pd.DataFrame, lang: str) -> None:
    ws = wb.create_sheet(SHEET_NAMES[key][lang])
    columns = list(frame.columns)
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(col, 14)
    ws.freeze_panes = "A2"
    ws.append([_header_cell(ws, HEADERS[c][lang]) for c in columns])
    values = [_column_values(frame[c]) for c in columns]
    money = columns.index("amount") if "amount" in columns else -1
    for row in zip(*values, strict=True):
        if money >= 0:
            cell = WriteOnlyCell(ws, value=row[money])
            cell.number_format = _MONEY_FORMAT
            ws.append([*row[:money], cell, *row[money + 1 :]])
        else:
            ws.append(row)
    last = f"{get_column_letter(len(columns))}{len(frame) + 1}"
    table = Table(displayName=_TABLE_NAMES[key], ref=f"A1:{last}")
    # write-only sheets cannot read the header back; name the columns here
    table.tableColumns = [
        TableColumn(id=i, name=HEADERS[c][lang]) for i, c in enumerate(columns, start=1)
    ]
    table.autoFilter = AutoFilter(ref=table.ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    with warnings.catch_warnings():
        # openpyxl warns in write-only mode even when the columns are given
        warnings.filterwarnings("ignore", "In write-only mode", UserWarning)
        ws.add_table(table)


def _write_settings(wb: Workbook, sample: Sample) -> None:
    lang = sample.lang
    ws = wb.create_sheet(SHEET_NAMES["settings"][lang])
    for letter, width in zip("ABCDE", (22, 24, 3, 18, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    left = sample.settings_rows()
    right = list(sample.owners.itertuples(index=False, name=None))
    ws.append(
        [
            *(_header_cell(ws, h) for h in SETTINGS_HEADER[lang]),
            None,
            *(_header_cell(ws, h) for h in OWNERS_HEADER[lang]),
        ]
    )
    for i in range(max(len(left), len(right))):
        row: list[Any] = [None] * 5
        if i < len(left):
            key = WriteOnlyCell(ws, value=left[i][0])
            key.font = _KEY_FONT
            value = WriteOnlyCell(ws, value=left[i][1])
            value.alignment = Alignment(horizontal="left")
            if isinstance(left[i][1], dt.date):
                value.number_format = _DATE_FORMAT
            row[0:2] = [key, value]
        if i < len(right):
            row[3:5] = [right[i][0], right[i][1]]
        ws.append(row)


def write_sample(sample: Sample, path: str | os.PathLike[str]) -> Path:
    """Write ``sample`` as an ``.xlsx`` workbook at ``path``, atomically.

    Sheets: Customers, Orders, Activities, Settings (or 客户, 订单, 跟进记录,
    设置), each with a styled, frozen header row; data sheets are Excel tables
    named Customers, Orders and Activities. The file is first written next to
    ``path`` and then renamed over it, so an interrupted run leaves no
    half-written workbook.

    Raises
    ------
    OutputError
        The folder does not exist or cannot be written.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise OutputError("the folder does not exist", file=str(target))
    lang = sample.lang
    wb = Workbook(write_only=True)
    wb.properties.creator = "xlcrm"
    wb.properties.title = {"en": "xlcrm sample workbook", "zh": "xlcrm 示例工作簿"}[lang]
    wb.properties.keywords = SAMPLE_MARK
    stamp = dt.datetime.combine(sample.as_of.date(), dt.time())
    wb.properties.created = stamp
    wb.properties.modified = stamp
    _write_table(wb, "customers", sample.customers.loc[:, list(CUSTOMER_FRAME_COLUMNS)], lang)
    _write_table(wb, "orders", sample.orders.loc[:, list(ORDER_FRAME_COLUMNS)], lang)
    _write_table(wb, "activities", sample.activities.loc[:, list(ACTIVITY_FRAME_COLUMNS)], lang)
    _write_settings(wb, sample)

    try:
        with files.replacing(target) as handle:
            wb.save(handle)
    except files.WriteFailed as exc:
        raise OutputError(f"cannot write the workbook ({exc.reason})", file=str(target)) from None
    return target


def is_sample_workbook(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a workbook :func:`write_sample` made (safe to overwrite)."""
    try:
        with zipfile.ZipFile(path) as zf:
            core = zf.read("docProps/core.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return SAMPLE_MARK in core


def read_sample_values(path: str | os.PathLike[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's cell values (header included), for comparing workbooks."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        values: dict[str, list[tuple[Any, ...]]] = {}
        for ws in wb.worksheets:
            rows = [tuple(row) for row in ws.iter_rows(values_only=True)]
            width = max((len(row) for row in rows), default=0)
            # read-only mode drops trailing empty cells; pad so rows compare
            values[ws.title] = [row + (None,) * (width - len(row)) for row in rows]
        return values
    finally:
        wb.close()
