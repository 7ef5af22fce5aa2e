"""Rows for the Data quality list found by the core (not by the reader).

The core does not know sheet names or the user's headers: an issue names
the table (``"deals"``, ``"feedback"`` …), the Excel row when the input frame
carried one (a ``row`` column), the canonical column, the value and a reason
code. The reader's quality list (``xlcrm.xlsx.quality``) has the same
columns and turns them into the user's sheet names, headers and words.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import pandas as pd

__all__ = ["ISSUE_COLUMNS", "concat_issues", "empty_issues", "issue_rows", "source_rows"]

#: Columns of an issues frame (those of the Data quality list).
ISSUE_COLUMNS: Final = ("sheet", "row", "column", "value", "reason", "left_out", "detail")


def empty_issues() -> pd.DataFrame:
    """An issues frame without rows."""
    return issue_rows("", [], "", [], "", left_out=False)


def source_rows(frame: pd.DataFrame) -> np.ndarray:
    """The Excel row of each row of ``frame`` (its ``row`` column), else None."""
    if "row" in frame.columns:
        return frame["row"].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


def issue_rows(
    sheet: str,
    rows: Any,
    column: str,
    values: Any,
    reason: str,
    *,
    left_out: bool,
    detail: Any = None,
) -> pd.DataFrame:
    """One issue per value (see :data:`ISSUE_COLUMNS`)."""
    values = np.asarray(values, dtype=object).reshape(-1)
    n = len(values)
    row_numbers = pd.to_numeric(pd.Series(np.asarray(rows, dtype=object), dtype=object))
    return pd.DataFrame(
        {
            "sheet": pd.Series([sheet] * n, dtype=object),
            "row": row_numbers.astype("Int64").array,
            "column": pd.Series([column] * n, dtype=object),
            "value": pd.Series(values, dtype=object),
            "reason": pd.Series([reason] * n, dtype=object),
            "left_out": np.full(n, left_out, dtype=bool),
            "detail": pd.Series(
                np.broadcast_to(np.asarray(detail, dtype=object), (n,)).copy(), dtype=object
            ),
        }
    )


def concat_issues(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Issue frames one after the other (an empty frame when there are none)."""
    found = [p for p in parts if len(p)]
    return pd.concat(found, ignore_index=True) if found else empty_issues()
