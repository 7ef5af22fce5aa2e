"""Run every case in benchmarks/bench_*.py and print one table.

python -m benchmarks            all cases
python -m benchmarks core rfm   only cases whose module or name contains a word
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.harness import Case, Result, run_case


def discover(words: list[str]) -> list[Case]:
    cases: list[Case] = []
    here = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        for case in getattr(module, "CASES", []):
            label = f"{info.name} {case.name}"
            if not words or any(w in label for w in words):
                cases.append(case)
    return cases


def main(argv: list[str]) -> int:
    console = Console(width=150)  # a readable table when piped (make bench | tee)
    table = Table(title="xlcrm benchmarks (median of repeats; ratio = candidate / baseline)")
    for col in ("case", "baseline", "baseline s", "candidate s", "ratio", "peak MB", "limit", ""):
        table.add_column(col, justify="right" if col.endswith(("s", "ratio", "MB")) else "left")
    results: list[Result] = []
    for case in discover(argv):
        console.print(f"running {case.name} …")
        r = run_case(case)
        results.append(r)
        table.add_row(
            r.name,
            r.baseline_name,
            f"{r.baseline_s:.4f}",
            f"{r.candidate_s:.4f}",
            f"{r.ratio:.2f}x",
            f"{r.peak_mb:.0f}",
            r.limit,
            "[green]ok[/]" if r.ok else "[red]OVER[/]",
        )
    console.print(table)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
