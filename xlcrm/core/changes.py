"""What changed between two analyses: moves between RFM classes and tiers, new
churn warnings, customers who became lost.

:func:`compare_analyses` takes the customers of an analysis as of an earlier
day (``since``) and of the analysis as of ``as_of``. A customer not yet known
on the earlier day comes from ``none`` (no class, or not yet a customer);
``none`` as a class also stands for a customer without a purchase. Each
analysis uses its own cut points (the mean R, F and M of its day), so a move
between classes means a change against the other customers of that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from xlcrm.core.errors import SettingsError
from xlcrm.core.schema import RFM_CLASSES, TIERS
from xlcrm.locale import N_

__all__ = ["NONE", "Changes", "compare_analyses", "moves_matrix"]

#: The row/column of a move matrix for "no class" or "not yet a customer".
NONE: Final = "none"
_CARRIED: Final = ("customer_id", "name", "owner")


@dataclass(frozen=True)
class Changes:
    """The result of :func:`compare_analyses`.

    ``class_moves`` and ``tier_moves`` are square count matrices: rows are
    where customers were on ``since`` (codes plus :data:`NONE`), columns where
    they are on ``as_of``. ``moved`` lists every customer whose class or tier
    changed (``customer_id``, ``name``, ``owner``, ``class_before``,
    ``rfm_class``, ``tier_before``, ``tier``). ``new_warnings`` and
    ``newly_lost`` list the customers with a churn warning now but not then,
    and in the lost tier now but not then.
    """

    since: pd.Timestamp
    as_of: pd.Timestamp
    class_moves: pd.DataFrame
    tier_moves: pd.DataFrame
    moved: pd.DataFrame
    new_warnings: pd.DataFrame
    newly_lost: pd.DataFrame

    @property
    def class_changes(self) -> int:
        """Customers whose RFM class differs (new customers included)."""
        m = self.class_moves.to_numpy()
        return int(m.sum() - np.trace(m))

    @property
    def tier_changes(self) -> int:
        """Customers whose tier differs (new customers included)."""
        m = self.tier_moves.to_numpy()
        return int(m.sum() - np.trace(m))


def moves_matrix(before: pd.Series, after: pd.Series, codes: tuple[str, ...]) -> pd.DataFrame:
    """Counts of (before, after) pairs; missing values are :data:`NONE`."""
    labels = (*codes, NONE)
    b = pd.Categorical(before.fillna(NONE).astype(object), categories=labels)
    a = pd.Categorical(after.fillna(NONE).astype(object), categories=labels)
    table = pd.crosstab(b, a, dropna=False).reindex(index=labels, columns=labels, fill_value=0)
    table.index.name, table.columns.name = "before", "after"
    return table.astype(np.int64)


def compare_analyses(
    before: pd.DataFrame, after: pd.DataFrame, *, since: pd.Timestamp, as_of: pd.Timestamp
) -> Changes:
    """Compare the customers of two analyses (``Analysis.customers`` frames).

    Raises
    ------
    SettingsError
        When ``since`` is not before ``as_of``.
    """
    since, as_of = pd.Timestamp(since).normalize(), pd.Timestamp(as_of).normalize()
    if not since < as_of:
        raise SettingsError(
            N_("--compare-as-of must be before as_of ({as_of}), not {value}"),
            args={"as_of": as_of.date().isoformat(), "value": since.date().isoformat()},
        )
    then = before.set_index("customer_id")
    now = after.set_index("customer_id")
    then = then.reindex(now.index)
    known = now.index.isin(before["customer_id"])
    tier_then = then["tier"].astype(object).where(known, None)
    class_then = then["rfm_class"].astype(object)
    frame = pd.DataFrame(
        {
            "customer_id": now.index.to_numpy(dtype=object),
            "name": now["name"].to_numpy(dtype=object) if "name" in now else None,
            "owner": now["owner"].to_numpy(dtype=object) if "owner" in now else None,
            "class_before": class_then.to_numpy(dtype=object),
            "rfm_class": now["rfm_class"].astype(object).to_numpy(dtype=object),
            "tier_before": tier_then.to_numpy(dtype=object),
            "tier": now["tier"].astype(object).to_numpy(dtype=object),
        }
    )
    class_moves = moves_matrix(frame["class_before"], frame["rfm_class"], RFM_CLASSES)
    tier_moves = moves_matrix(frame["tier_before"], frame["tier"], TIERS)
    changed = (frame["class_before"].fillna(NONE) != frame["rfm_class"].fillna(NONE)) | (
        frame["tier_before"].fillna(NONE) != frame["tier"].fillna(NONE)
    )
    warned_then = then["churn_warning"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    warned_now = now["churn_warning"].astype(bool).to_numpy()
    new_warning = warned_now & ~warned_then
    lost_now = (frame["tier"] == "lost").to_numpy()
    lost_then = (frame["tier_before"] == "lost").fillna(False).to_numpy(dtype=bool)
    warnings = frame.loc[new_warning, list(_CARRIED)].reset_index(drop=True)
    warnings["churn_reason"] = now["churn_reason"].to_numpy(dtype=object)[new_warning]
    lost = frame.loc[lost_now & ~lost_then, list(_CARRIED)].reset_index(drop=True)
    lost["last_purchase"] = now["last_purchase"].to_numpy()[lost_now & ~lost_then]
    lost["tier_before"] = frame["tier_before"].to_numpy(dtype=object)[lost_now & ~lost_then]
    return Changes(
        since=since,
        as_of=as_of,
        class_moves=class_moves,
        tier_moves=tier_moves,
        moved=frame[changed.to_numpy()].reset_index(drop=True),
        new_warnings=warnings,
        newly_lost=lost,
    )
