"""The demo workbook: a realistic, reproducible customer book for a seed.

Two steps, kept apart so tests and benchmarks can use the first alone:

* :func:`generate_sample` builds the Customers, Orders and Activities frames
  (canonical columns, see ``docs/architecture.md``) with seeded numpy, fully
  vectorised: 100,000 customers and a million orders take under two seconds.
* :func:`write_sample` writes them, with a Settings sheet, as an ``.xlsx``
  workbook in English or Chinese (sheet names, headers and status words).

The book's kinds of customer are one table, :data:`CUSTOMER_TYPES` (one row
per kind: share, when they last bought, how many orders, how big, how often
contacted, open or lost deals): open leads with expected close dates around
as_of (a few already passed, to re-qualify), lost and cold leads, new
customers, one-off buyers, regulars, a few big accounts that make most of the
revenue (a quarter of them gone quiet), project buyers with a few large
orders, regulars who are slipping, customers lapsed for months and for over a
year, refunds (negative amounts), 6 sales owners (one without an e-mail
address) and call/visit/email/meeting logs. The team is a live one: each
customer's last contact follows its cadence (grade for leads and deals,
lifecycle tier for buyers), except for about one in five, so that roughly 15 %
of follow-ups are overdue, as in a real book on a Monday morning. Nothing
reads the clock: the period ends at ``as_of`` (default 2026-06-30).

Deals with a stage history, Feedback and the loyalty, referral and cost
columns come from :mod:`xlcrm.xlsx.sample_seeds` (a random stream of their own).

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
from xlcrm.xlsx.sample_names import (
    ACTIVITY_KIND_LABELS,
    COMPANY,
    DEAL_STATUSES,
    LOST_REASONS,
    NEED_STATUSES,
    OWNER_WEIGHTS,
    OWNERS,
    company_names,
)
from xlcrm.xlsx.sample_seeds import TABLE_HEADERS, seed_parts

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
    "satisfaction": {"en": "Satisfaction", "zh": "满意度"},
    "recommend": {"en": "Likely to recommend", "zh": "推荐意愿"},
    "referred_by": {"en": "Referred by", "zh": "推荐人"},
    "cost": {"en": "Cost", "zh": "成本"},
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
# The Settings sheet's keys, in order.
SETTING_KEYS: Final = tuple(
    """
    as_of company language currency currency_decimals threshold_method mature_orders
    sleep_days lost_days cadence_a cadence_b cadence_c cadence_d cadence_e value_model
    value_horizon_days
    value_monthly_discount churn_p_alive excluded_statuses cadence_new cadence_repeat
    cadence_mature cadence_loyal cadence_sleeping cadence_lost cadence_important_value
    purchase_is_contact pool_no_deal_days pool_no_contact_days plan_days daily_calls
    owner_calls work_days holidays extra_workdays funnel_stages funnel_in_sale_from
    funnel_stuck_days default_margin_rate relationship_few_share relationship_many_share
    relationship_low_margin relationship_high_margin sheet_customer_limit
    """.split()  # noqa: SIM905 - 44 keys read better as words than as a 44-line tuple
)
# The sample's own values where they are not the defaults, or where the
# default is a list that reads better as words; per language.
SAMPLE_VALUES: Final[dict[str, dict[str, object]]] = {
    "en": {
        "purchase_is_contact": "yes",
        "pool_no_deal_days": 365,
        "pool_no_contact_days": 180,
        "owner_calls": "Farid Haddad: 12",
        "work_days": "Mon-Fri",
        "holidays": "2026-07-03; 2026-09-07; 2026-11-26",
        "extra_workdays": None,
        "funnel_stages": "Lead; Qualified; Proposal; Negotiation; Won",
        "funnel_in_sale_from": "Proposal",
    },
    "zh": {
        "purchase_is_contact": "是",
        "pool_no_deal_days": 365,
        "pool_no_contact_days": 180,
        "owner_calls": "赵磊: 12",
        "work_days": "周一至周五",
        "holidays": "2026-10-01~2026-10-07",
        "extra_workdays": "2026-09-27; 2026-10-10",
        "funnel_stages": "线索; 商机; 报价; 谈判; 成交",
        "funnel_in_sale_from": "报价",
    },
}
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
    "satisfaction",
    "recommend",
    "referred_by",
    "cost",
)
ORDER_FRAME_COLUMNS: Final = ("order_id", "customer_id", "order_date", "amount")
ACTIVITY_FRAME_COLUMNS: Final = ("customer_id", "date", "kind")

#: The sample's money: dollars in English, yuan in Chinese.
CURRENCY: Final[dict[str, str]] = {"en": "$", "zh": "¥"}

# --- the kinds of customer -----------------------------------------------------


@dataclass(frozen=True)
class CustomerType:
    """One kind of customer in the book: a row of :data:`CUSTOMER_TYPES`.

    Days count back from as_of; ranges are inclusive. ``last_order`` is the
    range of the last purchase (None: never buys), ``span`` of the days from
    the first purchase to the last; ``orders`` the fewest orders and the
    Poisson mean of more; ``order_value`` the median order and the spread (log
    standard deviation) of a customer's typical order; ``contacts`` the
    Poisson mean of older logged contacts; ``open_deal`` and ``lost_deal`` the
    shares with an open deal (a lead, or an upsell to a buyer) and with a lost
    one.
    """

    name: str
    share: float
    last_order: tuple[int, int] | None
    span: tuple[int, int]
    orders: tuple[int, float]
    order_value: tuple[float, float]
    contacts: float
    open_deal: float = 0.0
    lost_deal: float = 0.0


_SMALL: Final = (250.0, 0.7)  # median order and spread of most customers

#: The book, one row per kind of customer; shares add up to 1. Order counts are
#: tuned so that the default 2,000 customers place about 20,000 orders.
CUSTOMER_TYPES: Final = (
    CustomerType("lead", 0.11, None, (0, 0), (0, 0.0), _SMALL, 4.0, open_deal=1.0),
    CustomerType("lost_lead", 0.045, None, (0, 0), (0, 0.0), _SMALL, 1.0, lost_deal=1.0),
    CustomerType("cold_lead", 0.025, None, (0, 0), (0, 0.0), _SMALL, 1.0),
    CustomerType("new", 0.05, (0, 60), (0, 25), (1, 0.4), _SMALL, 1.5, open_deal=0.1),
    CustomerType("one_off", 0.17, (0, PERIOD_DAYS), (0, 0), (1, 0.0), _SMALL, 0.5),
    CustomerType("regular", 0.29, (0, 45), (150, 700), (3, 14.0), _SMALL, 3.0, open_deal=0.1),
    CustomerType(
        "big", 0.0375, (0, 20), (480, 720), (20, 35.0), (2500.0, 0.5), 10.0, open_deal=0.1
    ),
    # a quarter of the big accounts went quiet: the ones sales must win back
    CustomerType("big_quiet", 0.0125, (95, 330), (480, 720), (20, 35.0), (2500.0, 0.5), 8.0),
    CustomerType("project", 0.03, (0, 500), (0, 200), (1, 2.0), (12000.0, 0.4), 1.5),
    # frequent buyers whose last order is 2-3 months back
    CustomerType("slipping", 0.05, (60, 88), (200, 600), (8, 8.0), _SMALL, 3.0),
    CustomerType("lapsed_months", 0.10, (100, 330), (90, 400), (2, 6.0), _SMALL, 1.5),
    CustomerType("lapsed_year", 0.08, (370, 640), (30, 300), (1, 4.0), _SMALL, 1.0),
)
_REFUND_RATE: Final = 0.015

# A live team: most customers were contacted within their cadence, this share
# was not (overdue); this share of last contacts is on the Customers sheet only.
OVERDUE_SHARE: Final = 0.22
_SHEET_ONLY_CONTACT: Final = 0.08
# Expected close of open deals, in days from as_of: (share, first day, last day).
_CLOSE_BANDS: Final = (
    (0.07, -30, -1),  # passed: the deal needs re-qualifying
    (0.33, 0, 30),
    (0.30, 31, 90),
    (0.20, 91, 180),
    (0.10, 181, 300),
)
# The default cadences the sample's team follows (docs/definitions.md).
_GRADE_CADENCE: Final = {
    g: getattr(DEFAULT_SETTINGS, f"cadence_{g.lower()}") for g in ("A", "B", "C", "D", "E")
}


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
    # the Deals, stage history and Feedback sheets (xlsx.sample_seeds)
    deals: pd.DataFrame | None = None
    stage_history: pd.DataFrame | None = None
    feedback: pd.DataFrame | None = None

    def settings_rows(self) -> list[tuple[str, object]]:
        """(key, value) pairs of the Settings sheet, keys in ``lang``."""
        values: dict[str, object] = {
            "as_of": self.as_of.date(),
            "company": self.company,
            "language": self.lang,
        }
        for key in SETTING_KEYS[3:]:
            values[key] = getattr(DEFAULT_SETTINGS, key)
        values.update(SAMPLE_VALUES[self.lang])
        values["currency"], values["currency_decimals"] = CURRENCY[self.lang], 2
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

    kinds = np.repeat(
        np.arange(len(CUSTOMER_TYPES)), _allocate(n, [t.share for t in CUSTOMER_TYPES])
    )
    kinds = rng.permutation(kinds)

    def per_customer(values: Sequence[Any]) -> np.ndarray:
        """One parameter of the type table, looked up for every customer."""
        return np.asarray(values)[kinds]

    def is_(*names: str) -> np.ndarray:
        return np.isin(per_customer([t.name for t in CUSTOMER_TYPES]), names)

    # --- order windows in "days before as_of": end (last purchase) <= start
    buys = per_customer([t.last_order is not None for t in CUSTOMER_TYPES])
    last_lo, last_hi = (
        per_customer([(t.last_order or (0, 0))[i] for t in CUSTOMER_TYPES]) for i in (0, 1)
    )
    span_lo, span_hi = (per_customer([t.span[i] for t in CUSTOMER_TYPES]) for i in (0, 1))
    fewest = per_customer([t.orders[0] for t in CUSTOMER_TYPES])
    more = per_customer([t.orders[1] for t in CUSTOMER_TYPES])
    end = np.where(buys, _uniform_int(rng, last_lo, last_hi, n), 0)
    span = np.where(buys, _uniform_int(rng, span_lo, span_hi, n), 0)
    count = np.where(buys, fewest + rng.poisson(more), 0)
    start = np.minimum(end + span, PERIOD_DAYS)

    # --- orders: one block of rows per customer, no Python loop over orders
    buyer = np.repeat(np.arange(n), count)
    first_row = np.cumsum(count) - count
    pos = np.arange(buyer.size) - first_row[buyer]
    b_start, b_end = start[buyer], end[buyer]
    ago = b_end + np.floor(rng.random(buyer.size) * (b_start - b_end + 1)).astype(np.int64)
    ago = np.where(pos == 0, b_end, np.where(pos == 1, b_start, ago))

    # Pareto-like value: a lognormal typical order per customer, orders around it
    # (spread 0.6: orders vary as much as real ones, and the spend model can fit)
    median = per_customer([t.order_value[0] for t in CUSTOMER_TYPES])
    spread = per_customer([t.order_value[1] for t in CUSTOMER_TYPES])
    base = np.exp(rng.normal(np.log(median), spread))
    amount = np.round(np.maximum(base[buyer] * np.exp(rng.normal(0.0, 0.6, buyer.size)), 5), 2)
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
    prospect = ~buys
    created_ago = np.where(
        prospect,
        _uniform_int(rng, 1, 540, n),
        first_ago + _uniform_int(rng, 0, 60, n),
    )
    # some customers who bought at the start of the period go back years
    veteran = (first_ago > 600) & (rng.random(n) < 0.5)
    created_ago[veteran] += _uniform_int(rng, 30, 1500, n)[veteran]

    # --- the pipeline: deal and need status, expected close, typed grades
    u = rng.random(n)
    is_open = u < per_customer([t.open_deal for t in CUSTOMER_TYPES])
    is_lost = ~is_open & (rng.random(n) < per_customer([t.lost_deal for t in CUSTOMER_TYPES]))
    deal = np.where(is_open, "open", np.where(is_lost, "lost", "won")).astype(object)
    deal[prospect & ~is_open & ~is_lost] = None
    band = rng.choice(len(_CLOSE_BANDS), size=n, p=[b[0] for b in _CLOSE_BANDS])
    close_lo, close_hi = (np.array([b[i] for b in _CLOSE_BANDS])[band] for i in (1, 2))
    close_in = np.where(is_open, _uniform_int(rng, close_lo, close_hi, n), np.nan)
    v = rng.random(n)
    need = np.full(n, None, dtype=object)
    need[is_open] = np.where(v < 0.75, "clear", "unclear")[is_open]
    need[is_lost] = np.where(v < 0.7, "none", "unclear")[is_lost]
    need[prospect & ~is_open & ~is_lost & (v < 0.5)] = "unclear"
    need[~prospect & ~is_open & (v < 0.3)] = "clear"
    # the grade of an open deal by its expected close; a passed one was typed
    # when it still closed soon (A), and is now due for re-qualifying
    by_close = np.select(
        [close_in < 0, close_in <= 30, close_in <= 90, close_in <= 180],
        ["A", "A", "B", "C"],
        default="D",
    ).astype(object)
    by_close[need == "unclear"] = "D"
    typed = rng.random(n)
    grade = np.full(n, None, dtype=object)
    grade[is_open & (typed < 0.7)] = by_close[is_open & (typed < 0.7)]
    grade[is_lost & (typed < 0.8)] = "E"
    effective = np.where(grade == None, np.where(close_in < 0, "D", by_close), grade)  # noqa: E711
    effective[is_lost] = "E"
    effective[prospect & ~is_open & ~is_lost] = "D"

    owner_names = np.asarray([o for o, _ in OWNERS[lang]], dtype=object)
    owner = owner_names[rng.choice(len(owner_names), size=n, p=OWNER_WEIGHTS)]
    names = company_names(rng, n, lang)

    # --- a live team: the last contact follows each customer's cadence
    purchases = np.bincount(buyer, minlength=n)  # refunds are added later
    by_tier = np.select(
        [end >= DEFAULT_SETTINGS.lost_days, end >= DEFAULT_SETTINGS.sleep_days, purchases == 1],
        [
            DEFAULT_SETTINGS.cadence_lost,
            DEFAULT_SETTINGS.cadence_sleeping,
            DEFAULT_SETTINGS.cadence_new,
        ],
        default=DEFAULT_SETTINGS.cadence_repeat,
    )
    by_grade = pd.Series(effective).map(_GRADE_CADENCE).to_numpy(dtype=np.int64)
    cadence = np.where(prospect | is_open, by_grade, by_tier)
    sleeping = (
        ~prospect
        & ~is_open
        & (end >= DEFAULT_SETTINGS.sleep_days)
        & (end < DEFAULT_SETTINGS.lost_days)
    )
    # on time: contacted at most one cadence ago (so due today at the latest);
    # a sleeping customer was called for a win-back after falling asleep
    newest = np.where(sleeping, np.minimum(cadence, end - DEFAULT_SETTINGS.sleep_days), cadence)
    on_time = _uniform_int(rng, 0, np.maximum(newest, 0), n)
    late = cadence + _uniform_int(rng, 1, np.minimum(cadence, 45), n)
    late = np.where(sleeping, end - DEFAULT_SETTINGS.sleep_days + _uniform_int(rng, 1, 60, n), late)
    last_ago = np.where(rng.random(n) < OVERDUE_SHARE, late, on_time)
    last_ago = np.minimum(last_ago, np.where(prospect, created_ago, PERIOD_DAYS))

    # older contacts before the last one, back to when the customer was created
    # (or a month after the first order)
    a_count = rng.poisson(per_customer([t.contacts for t in CUSTOMER_TYPES]))
    a_old = np.where(prospect, created_ago, np.minimum(start + 30, PERIOD_DAYS))
    a_old = np.maximum(a_old, last_ago + 1)
    who = np.repeat(np.arange(n), a_count)
    low = last_ago[who] + 1
    older = low + np.floor(rng.random(who.size) * (a_old[who] - low + 1)).astype(np.int64)
    sheet_only = rng.random(n) < _SHEET_ONLY_CONTACT
    logged = np.flatnonzero(~sheet_only)
    who = np.concatenate([who, logged])
    a_ago = np.concatenate([older, last_ago[logged]])
    kind_p = [0.45, 0.15, 0.30, 0.10]
    a_kind = rng.choice(len(ACTIVITY_KINDS), size=who.size, p=kind_p)
    big = is_("big", "big_quiet")
    a_kind[big[who] & (rng.random(who.size) < 0.3)] = 3  # meetings

    # last contact on the Customers sheet: usually the latest contact, sometimes
    # stale or blank (people forget to update it); some contacts are only there
    x = rng.random(n)
    lc_ago = np.where(x < 0.75, last_ago, last_ago + _uniform_int(rng, 5, 60, n)).astype(float)
    lc_ago[x > 0.9] = np.nan
    lc_ago[sheet_only] = last_ago[sheet_only]

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
    type_names = per_customer([t.name for t in CUSTOMER_TYPES])
    parts = seed_parts(
        cust,
        orders,
        kinds=type_names[order],
        deal=deal[order],
        lost_reasons=LOST_REASONS[lang],
        lang=lang,
        as_of=as_of,
        seed=seed,
    )
    cust = cust.assign(**parts.customer_columns)
    return Sample(
        customers=cust,
        orders=orders,
        activities=acts,
        owners=owners,
        as_of=as_of,
        lang=lang,
        company=COMPANY[lang],
        deals=parts.deals,
        stage_history=parts.stage_history,
        feedback=parts.feedback,
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
    {"created", "expected_close", "last_contact", "order_date", "date", "closed"}
)
_TABLE_NAMES: Final = {
    "customers": "Customers",
    "orders": "Orders",
    "activities": "Activities",
    "deals": "Deals",
    "stage_history": "StageHistory",
    "feedback": "Feedback",
}


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


def _write_table(
    wb: Workbook,
    key: str,
    frame: pd.DataFrame,
    lang: str,
    headers: dict[str, dict[str, str]] = HEADERS,
) -> None:
    ws = wb.create_sheet(SHEET_NAMES[key][lang])
    columns = list(frame.columns)
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(col, 14)
    ws.freeze_panes = "A2"
    ws.append([_header_cell(ws, headers[c][lang]) for c in columns])
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
        TableColumn(id=i, name=headers[c][lang]) for i, c in enumerate(columns, start=1)
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
    for key in ("deals", "stage_history", "feedback"):
        frame = getattr(sample, key)
        if frame is not None:
            _write_table(wb, key, frame, lang, TABLE_HEADERS[key])
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
