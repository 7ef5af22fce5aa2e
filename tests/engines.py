"""Helpers for the engine tests: an awkward order history, and the check that the
workbook path and the engine path give the same per-customer result."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

AS_OF = "2024-06-30"

# Ids that are easy to get wrong: padding, dots, quotes, commas, CJK, case, full width.
AWKWARD_IDS = (
    " C1 ",
    "C1",
    "c1",
    "00123",
    "123.0",
    "123",
    "a'b",
    "x,y",
    'say "hi"',
    "客户7",
    "\u3000客户8",
    "Ｃ９",
    "#REF",
    "A.B",
    "tab\tin",
    "nbsp\u00a0",
)


def history(n_orders: int, n_customers: int, *, seed: int = 7) -> pd.DataFrame:
    """Order rows as text cells (what a CSV holds): refunds, same-day orders, order
    lines sharing an order id, rows without one, tied amounts, half cents, future
    orders, awkward ids and a few unreadable rows."""
    rng = np.random.default_rng(seed)
    ids = np.array(
        [*AWKWARD_IDS, *(f"K{i:05d}" for i in range(n_customers - len(AWKWARD_IDS)))],
        dtype=object,
    )
    who = ids[np.minimum((rng.pareto(1.1, n_orders) * 40).astype(np.int64), len(ids) - 1)]
    day0 = np.datetime64("2020-01-01")
    days = rng.integers(0, 1700, n_orders)  # runs past AS_OF: future orders
    # same-day orders: every 7th order copies the day of the order before, same customer
    same = np.arange(n_orders) % 7 == 3
    days[same] = days[np.flatnonzero(same) - 1]
    who[same] = who[np.flatnonzero(same) - 1]
    # tied amounts, half cents and refunds
    amounts = rng.choice([19.9, 25.0, 99.99, 100.0, 0.125, 2.675, 0.0], n_orders)
    amounts = np.where(
        rng.random(n_orders) < 0.5, np.round(rng.lognormal(4, 1, n_orders), 2), amounts
    )
    refund = rng.random(n_orders) < 0.06
    amounts = np.where(refund, -np.round(amounts * rng.choice([1.0, 0.5], n_orders), 2), amounts)
    dates = (day0 + days.astype("timedelta64[D]")).astype(str)
    # a few other date spellings the reader knows
    pick = rng.random(n_orders)
    dates = np.where(pick < 0.03, [f"{d[:4]}/{int(d[5:7])}/{int(d[8:])}" for d in dates], dates)
    dates = np.where((pick >= 0.03) & (pick < 0.05), [f"{d} 14:22:01" for d in dates], dates)
    # order numbers: every 5th pair of rows shares one (lines of one order), some are blank
    order_no = np.array([f"SO-{i:07d}" for i in range(n_orders)], dtype=object)
    lines = np.arange(n_orders) % 5 == 1
    order_no[lines] = order_no[np.flatnonzero(lines) - 1]
    who[lines] = who[np.flatnonzero(lines) - 1]
    order_no[rng.random(n_orders) < 0.05] = ""
    frame = pd.DataFrame(
        {
            "Order ID": order_no,
            "Customer ID": who,
            "Order Date": dates,
            "Amount": [repr(float(a)) if a != int(a) else str(int(a)) for a in amounts],
        }
    )
    # unreadable rows and an all-blank one
    frame.loc[11, "Amount"] = "lots"
    frame.loc[23, "Order Date"] = "not a date"
    frame.loc[37, "Customer ID"] = ""
    frame.loc[41, "Order Date"] = "1850-01-01"
    frame.loc[59, "Amount"] = "¥1,234.50"
    frame.loc[61, ["Order ID", "Customer ID", "Order Date", "Amount"]] = ""
    return frame


# A shop export: a status column, a subtotal per order (label in the order number column,
# customer and date filled in), a grand total (label in the customer column, dated), and
# lines of one order sharing its number.
SHOP_HEADER = ["订单编号", "买家会员名", "订单创建时间", "买家实际支付金额", "订单状态"]
SHOP = [
    ["T1", "buyerA", "2024-03-01 10:00:00", "100", "交易成功"],
    ["T2", "buyerB", "2024-03-02 11:00:00", "60", "交易关闭"],
    ["T3", "buyerB", "2024-03-03 12:00:00", "40", "退款成功"],
    ["T4", "buyerB", "2024-03-04 12:00:00", "40", "交易成功"],
    ["T5", "buyerC", "2024-03-05 09:00:00", "30", "卖家已发货"],
    ["T5", "buyerC", "2024-03-05 09:00:00", "20", "卖家已发货"],
    ["小计", "buyerC", "2024-03-05 09:00:00", "50", ""],
    ["T6", "buyerA", "2024/3/6 下午 2:22:07", "10", "交易成功"],
    ["", "合计", "2024-03-31", "350", ""],
]


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def assert_same_customers(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Every column of every customer equal (NaN == NaN), in the same order."""
    assert list(left.columns) == list(right.columns)
    assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True), check_exact=True)


def assert_engines_agree(book: Path, *, as_of: str = AS_OF) -> None:
    """The workbook path (pandas) and the DuckDB path give the same analysis of ``book``."""
    from xlcrm.engine.run import run_engine
    from xlcrm.jobs import run_job
    from xlcrm.xlsx.reader import read_workbook

    today = dt.date(2024, 6, 30)
    pandas_job = run_job(read_workbook(book), today=today, as_of=as_of)
    engine_job = run_engine(book, today=today, as_of=as_of)
    assert_same_customers(engine_job.analysis.customers, pandas_job.analysis.customers)
    assert engine_job.analysis.thresholds == pandas_job.analysis.thresholds or all(
        np.isnan(engine_job.analysis.thresholds[k]) and np.isnan(v)
        for k, v in pandas_job.analysis.thresholds.items()
    )
