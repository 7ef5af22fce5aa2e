"""What the reader tells besides the frames: the tally of order rows, which column
was used for what, and customer ids that are probably one customer.

The tally (:class:`Ledger`) lets an adapter print a reconciliation after an
analysis: every order row read is either kept or left out for a named
reason, and the amounts add up the same way, in integer cents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xlcrm.core import cells
from xlcrm.locale import N_, t, tp
from xlcrm.xlsx.quality import (
    COLUMN_USED,
    MERGED_ID,
    ROLES,
    SHEET_READ,
    SIMILAR_ID,
    quality_rows,
)
from xlcrm.xlsx.tables import TableRead, amount_unit

#: Roles reported for each table, in this order.
_ROLES = {
    "orders": ("customer_id", "order_date", "amount", "order_id", "status"),
    "customers": ("customer_id",),
    "activities": ("customer_id", "date"),
}


def _whole_cents(amounts: np.ndarray) -> np.ndarray:
    """Each amount in whole cents; one that is not finite or too large (left out as
    not an amount, ``cells.MAX_AMOUNT``) gives 0."""
    values = np.asarray(amounts, dtype=float)
    usable = np.isfinite(values) & (np.abs(values) < cells.MAX_AMOUNT)
    return np.rint(np.where(usable, values, 0.0) * 100).astype(np.int64)


def cents(amounts: np.ndarray) -> int:
    """The sum of ``amounts`` in integer cents (each amount rounded to the cent first)."""
    if not len(amounts):
        return 0
    return int(_whole_cents(amounts).sum())


@dataclass(frozen=True)
class Ledger:
    """Order rows read and where they went (rows and amounts in cents).

    ``rows_read`` counts every order row that is not blank or a repeated
    header; ``left_out`` maps a reason code to (rows, cents). Always
    ``rows_read == rows_kept + sum of left-out rows`` and the same for cents.
    """

    sheets: tuple[str, ...] = ()
    header_row: int = 1  # Excel row of the first order sheet's header
    rows_read: int = 0
    cents_read: int = 0
    rows_kept: int = 0
    cents_kept: int = 0
    left_out: dict[str, tuple[int, int]] = field(default_factory=dict)


def build_ledger(reads: Sequence[TableRead]) -> Ledger:
    """The tally of the order sheets read."""
    reasons = np.concatenate([r.reasons for r in reads]) if reads else np.empty(0, object)
    amounts = np.concatenate([r.amounts for r in reads]) if reads else np.empty(0)
    kept = pd.isna(reasons)
    left: dict[str, tuple[int, int]] = {}
    if (~kept).any():
        frame = pd.DataFrame(
            {"reason": reasons[~kept].astype(str), "cents": _whole_cents(amounts[~kept])}
        )
        for code, group in frame.groupby("reason", sort=False):
            left[str(code)] = (len(group), int(group["cents"].sum()))
    return Ledger(
        sheets=tuple(r.sheet for r in reads),
        header_row=reads[0].header_row if reads else 1,
        rows_read=len(reasons),
        cents_read=cents(amounts),
        rows_kept=int(kept.sum()),
        cents_kept=cents(amounts[kept]),
        left_out=left,
    )


def column_notices(table: str, reads: Sequence[TableRead]) -> list[pd.DataFrame]:
    """A notice per column used (and per sheet read, when orders come from several)."""
    out: list[pd.DataFrame] = []
    for read in reads:
        header = read.header
        if header is None:
            continue
        roles = [c for c in _ROLES[table] if c in header.texts]
        details = [
            "amount_10k"
            if role == "amount" and read.multiplier == 10_000
            else "amount_1k"
            if role == "amount" and read.multiplier == 1_000
            else role
            for role in roles
        ]
        out.append(
            quality_rows(
                read.sheet,
                np.full(len(roles), read.header_row, dtype=np.int64),
                np.array([header.texts[r] for r in roles], dtype=object),
                np.array([""] * len(roles), dtype=object),
                np.full(len(roles), COLUMN_USED, dtype=object),
                np.zeros(len(roles), dtype=bool),
                np.array(details, dtype=object),
            )
        )
    if table == "orders" and len(reads) > 1:
        out.append(
            quality_rows(
                reads[0].sheet,
                np.array([r.header_row for r in reads], dtype=np.int64),
                "",
                np.array([r.sheet for r in reads], dtype=object),
                np.full(len(reads), SHEET_READ, dtype=object),
                np.zeros(len(reads), dtype=bool),
                "orders",
            )
        )
    return out


def similar_ids(
    reads: Sequence[TableRead], *, merge: bool
) -> tuple[list[pd.DataFrame], dict[str, str]]:
    """Customer ids that differ only in case, full-width or invisible characters.

    Each such id is listed at its first row with the id it resembles (the
    first one seen). With ``merge`` the returned mapping (id -> first id) is
    to be applied; otherwise it is empty and the ids stay apart.
    """
    ids = [r.frame["customer_id"] for r in reads]
    if not ids:
        return [], {}
    every = pd.concat(ids, ignore_index=True)
    unique = pd.Series(pd.unique(every.dropna()), dtype=object)
    if len(unique) < 2:
        return [], {}
    keys = cells.similar_id_keys(unique)
    shared = keys.duplicated(keep=False).to_numpy()
    if not shared.any():
        return [], {}
    first = unique.groupby(keys.to_numpy()).transform("first")
    odd = shared & (unique != first).to_numpy()
    mapping = dict(zip(unique[odd], first[odd], strict=True))
    out: list[pd.DataFrame] = []
    code = MERGED_ID if merge else SIMILAR_ID
    for read in reads:
        column = read.frame["customer_id"]
        hit = column.isin(mapping.keys()).to_numpy() & ~column.duplicated().to_numpy()
        if hit.any():
            values = column.to_numpy(dtype=object)[hit]
            out.append(
                quality_rows(
                    read.sheet,
                    read.rows[hit],
                    read.id_header,
                    values,
                    np.full(int(hit.sum()), code, dtype=object),
                    np.zeros(int(hit.sum()), dtype=bool),
                    np.array([mapping[v] for v in values], dtype=object),
                )
            )
    return out, mapping if merge else {}


@dataclass(frozen=True)
class Reconciliation:
    """Order rows and amounts from the sheets to the analysis (amounts in cents).

    ``rows_read = rows_counted + rows_after + sum(left_out rows)`` and
    ``cents_read = revenue + cents_after + sum(left_out cents) + cents_no_purchase``,
    where ``cents_no_purchase`` are the counted rows of customers without a
    purchase (refunds only): they lower no one's revenue.
    """

    rows_read: int
    rows_counted: int
    orders: int
    rows_after: int
    left_out: dict[str, tuple[int, int]]
    cents_read: int
    revenue: int
    cents_after: int
    cents_no_purchase: int
    #: the revenue summed from the rows (each rounded to the cent), to check ``revenue``
    revenue_rows: int = 0

    def adds_up(self) -> bool:
        """True when every row and every cent read is accounted for (the analysis's
        revenue may differ from its rows' by the rounding of each row to the cent)."""
        rows = self.rows_counted + self.rows_after + sum(r for r, _ in self.left_out.values())
        money = (
            self.revenue_rows
            + self.cents_after
            + self.cents_no_purchase
            + sum(c for _, c in self.left_out.values())
        )
        rounding = abs(self.revenue - self.revenue_rows) <= max(1, self.rows_counted // 2)
        return rows == self.rows_read and money == self.cents_read and rounding


def reconcile(
    ledger: Ledger, orders: pd.DataFrame, *, as_of: pd.Timestamp, orders_counted: int,
    revenue: float, purchasers: pd.Series,
) -> Reconciliation:  # fmt: skip
    """The reconciliation of an analysis of ``orders`` (the frame the reader kept).

    ``purchasers`` are the ids of customers with a purchase; the counted rows
    of other customers (refunds only) are not in ``revenue``.
    """
    after = (orders["order_date"] > as_of).to_numpy()
    amounts = orders["amount"].to_numpy(dtype=float)
    counted = ~after
    # object arrays: pandas hashes them; an Arrow string isin walks them in Python
    ids = pd.Series(orders["customer_id"].to_numpy(dtype=object))
    bought = ids.isin(pd.unique(purchasers.to_numpy(dtype=object))).to_numpy()
    no_purchase = counted & ~bought
    return Reconciliation(
        rows_read=ledger.rows_read,
        rows_counted=int(counted.sum()),
        orders=orders_counted,
        rows_after=int(after.sum()),
        left_out=dict(ledger.left_out),
        cents_read=ledger.cents_read,
        revenue=round(revenue * 100),
        cents_after=cents(amounts[after]),
        cents_no_purchase=cents(amounts[no_purchase]),
        revenue_rows=cents(amounts[counted & ~no_purchase]),
    )


# Short words for the reasons rows are left out, in the reconciliation line.
_SHORT: dict[str, str] = {
    "total_row": N_("total rows"),
    "note_row": N_("notes"),
    "status_excluded": N_("excluded statuses"),
    "other_currency": N_("other currencies"),
    "merged_line": N_("lines of merged orders"),
    "missing": N_("empty required cells"),
    "bad_id": N_("unreadable ids"),
    "bad_date": N_("unreadable dates"),
    "date_out_of_range": N_("dates out of range"),
    "number_as_date": N_("numbers in the date column"),
    "ambiguous_date": N_("ambiguous dates"),
    "bad_amount": N_("unreadable amounts"),
    "excel_error": N_("Excel errors"),
}


def _table_word(table: str, lang: str) -> str:
    if table == "orders":
        return tp("table", "Orders", lang)
    if table == "customers":
        return tp("table", "Customers", lang)
    return tp("table", "Activities", lang)


def money(cents_: int) -> str:
    """Cents as 1,234.50."""
    sign = "-" if cents_ < 0 else ""
    whole, part = divmod(abs(cents_), 100)
    return f"{sign}{whole:,}.{part:02d}"


def render_reconciliation(rec: Reconciliation, lang: str) -> str:
    """The reconciliation in one line, in ``lang``."""
    sep = t(", ", lang)
    left = sep.join(
        t("{reason} {rows:,}", lang, reason=t(_SHORT.get(code, code), lang), rows=rows)
        for code, (rows, _) in rec.left_out.items()
    )
    left_rows = sum(r for r, _ in rec.left_out.values())
    left_cents = sum(c for _, c in rec.left_out.values())
    return t(
        "Reconciliation: {read:,} order rows read = {counted:,} counted ({orders:,} orders) "
        "+ {after:,} after the analysis date + {left:,} left out ({reasons}); amounts read "
        "{amount_read} = revenue {revenue} + after the analysis date {amount_after} "
        "+ left out {amount_left} + customers with refunds only {no_purchase}",
        lang,
        read=rec.rows_read,
        counted=rec.rows_counted,
        orders=rec.orders,
        after=rec.rows_after,
        left=left_rows,
        reasons=left or tp("reconciliation", "none", lang),
        amount_read=money(rec.cents_read),
        revenue=money(rec.revenue),
        amount_after=money(rec.cents_after),
        amount_left=money(left_cents),
        no_purchase=money(rec.cents_no_purchase),
    )


def _role(role: str, header: str) -> str:
    """The role code, with the amount's unit when its header names one."""
    if role != "amount":
        return role
    unit = amount_unit(header)
    return "amount_10k" if unit == 10_000 else "amount_1k" if unit == 1_000 else role


def render_columns(
    columns_used: dict[str, dict[str, str]],
    sheets: Sequence[str],
    lang: str,
    sheet_names: dict[str, str] | None = None,
) -> list[str]:
    """Lines saying which sheet and column was used for what (and which sheets held
    orders when there are several)."""
    lines = []
    if len(sheets) > 1:
        lines.append(t("Orders read from {n} sheets: {sheets}", lang, n=len(sheets),
                       sheets=t(", ", lang).join(sheets)))  # fmt: skip
    for table, used in columns_used.items():
        parts = [
            t("{role}: {header}", lang, role=t(ROLES[_role(role, used[role])], lang),
              header=used[role])
            for role in _ROLES[table]
            if role in used
        ]  # fmt: skip
        sheet = (sheet_names or {}).get(table, "")
        lines.append(
            t("Columns used, {table} (sheet {sheet}): {parts}", lang,
              table=_table_word(table, lang), sheet=sheet, parts=t("; ", lang).join(parts))
            if sheet and not (table == "orders" and len(sheets) > 1)
            else t("Columns used, {table}: {parts}", lang, table=_table_word(table, lang),
                   parts=t("; ", lang).join(parts))
        )  # fmt: skip
    return lines


__all__ = [
    "Ledger",
    "Reconciliation",
    "build_ledger",
    "cents",
    "column_notices",
    "money",
    "reconcile",
    "render_columns",
    "render_reconciliation",
    "similar_ids",
]
