"""=RFM_CLASS() on 100,000 rows: one whole-column call against 100,000 per-cell calls.

Both go through the same worksheet function with the arguments xlwings hands
it (2-D lists of floats). In Excel each per-cell call also pays a COM round
trip (~10 ms, xlwings issue #1976) that is not measured here, so the real gap
is far wider than the ratio shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.harness import Case

N = 100_000


def setup() -> dict[str, Any]:
    rng = np.random.default_rng(100_000)
    recency = rng.integers(0, 730, N).astype(float)
    frequency = rng.integers(1, 40, N).astype(float)
    monetary = np.round(rng.gamma(2.0, 800.0, N), 2)
    from xlcrm.excel import udfs

    columns = [[[float(v)] for v in col] for col in (recency, frequency, monetary)]
    cuts = [float(recency.mean()), float(frequency.mean()), float(monetary.mean())]
    return {"udfs": udfs, "columns": columns, "cuts": cuts}


def whole_column(data: dict[str, Any]) -> object:
    out = data["udfs"].rfm_class(*data["columns"])
    assert len(out) == N
    return out


def per_cell(data: dict[str, Any]) -> object:
    rfm_class = data["udfs"].rfm_class
    r_cut, f_cut, m_cut = data["cuts"]
    r, f, m = data["columns"]
    return [rfm_class([r[i]], [f[i]], [m[i]], r_cut, f_cut, m_cut) for i in range(N)]


CASES = [
    Case(
        name="rfm_class 100k rows: per-cell calls vs one whole-column call",
        setup=setup,
        baseline=whole_column,
        candidate=per_cell,
        baseline_name="whole column",
        min_ratio=100,
        repeat=3,
    )
]
